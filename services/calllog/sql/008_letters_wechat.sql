-- Letters and WeChat (issue 16). A WeChat task is worked like a call, with outcomes of its
-- own; a letter is logged as sent. An outcome may now be for some channels only (channels;
-- '{}' = any channel, as every outcome was): `call log` refuses a WeChat outcome on a phone
-- call. Every WeChat outcome completes the task: a message not replied to is not an
-- unanswered call (the scheduler never screens a customer out for it).
ALTER TABLE outcome ADD COLUMN channels text[] NOT NULL DEFAULT '{}';
INSERT INTO outcome (branch, code, name, human_answered, contacted, sale, do_not_call, unworkable,
                     callback, completed, channels) VALUES
 ('', 'sent', 'Sent (a WeChat message, a letter)', false, false, false, false, false, false, true,
  '{wechat,letter}'),
 ('', 'read', 'WeChat: read, no reply', false, true, false, false, false, false, true, '{wechat}'),
 ('', 'replied', 'WeChat: replied', true, true, false, false, false, false, true, '{wechat}'),
 ('', 'no-reply', 'WeChat: not read, no reply', false, false, false, false, false, false, true,
  '{wechat}')
ON CONFLICT DO NOTHING;
