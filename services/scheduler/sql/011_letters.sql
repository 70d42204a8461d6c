-- Letters and WeChat (issue 16). A letter is printed, not phoned: the customer copy keeps
-- the postal address for the day's batch (from intake's events, as every other field), and
-- letter tasks never enter the due-index (an agent's date bag is phone and visit work): the
-- index skips them, so its partial index leaves them out too. They wait, planned, for
-- `letters print` and are done when calllog logs them sent.
ALTER TABLE customer ADD COLUMN address text NOT NULL DEFAULT '';
CREATE INDEX task_unindexed_spoken ON task (branch, id)
    WHERE state = 'planned' AND NOT indexed AND channel <> 'letter';
DROP INDEX task_unindexed_branch;
