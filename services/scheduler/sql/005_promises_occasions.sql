-- The follow-up an agent promised on a contact (`call log --next DATE`, `visit log --next`):
-- a task of its own on that day, for that agent, unique per contact like callbacks.
ALTER TABLE task DROP CONSTRAINT task_origin_check;
ALTER TABLE task ADD CONSTRAINT task_origin_check
    CHECK (origin IN ('plan', 'callback', 'adverse', 'promised'));

-- Unanswered attempts count once per occasion (the opening of the call window, or the local
-- day without windows, they fell in; UTC ms): two tasks rung out in the same minute are one
-- attempt of three, not two.
ALTER TABLE customer ADD COLUMN unanswered_occasion_ms bigint NOT NULL DEFAULT 0;

-- A task left unworked in a bag rolls into the next day's bag, one step more urgent; this
-- counts how many days it did (shown in the worklist).
ALTER TABLE task ADD COLUMN rolls int NOT NULL DEFAULT 0;
-- The roll-over looks for the bags of earlier days branch by branch.
CREATE INDEX task_bag_open ON task (branch, bag_date) WHERE state = 'assigned';
