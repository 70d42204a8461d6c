-- Campaigns (issue 16): an invitation call ends with the customer's answer. Both are a
-- conversation that finishes the step; the scheduler turns them into CampaignAnswered (and
-- a reminder the day before the event for accepted).
INSERT INTO outcome (branch, code, name, human_answered, contacted, sale, do_not_call, unworkable, callback, completed) VALUES
 ('', 'accepted', 'Accepted the invitation', true, true, false, false, false, false, true),
 ('', 'declined', 'Declined the invitation', true, true, false, false, false, false, true)
ON CONFLICT DO NOTHING;
