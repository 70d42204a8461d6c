-- Occasions and the weekly contact cap (issue 16; sched_occasion.c, sched_cap.c).

-- The weekly contact cap, as data per branch: at most per_week contacts a customer in an ISO
-- week of the branch's zone, every plan and occasion counted (branch '' holds the default).
CREATE TABLE contact_cap (
    branch text PRIMARY KEY,
    per_week int NOT NULL CHECK (per_week BETWEEN 1 AND 50),
    updated_at_ms bigint NOT NULL DEFAULT 0,  -- UTC ms
    updated_by text NOT NULL DEFAULT ''
);
INSERT INTO contact_cap (branch, per_week) VALUES ('', 2);

-- What the agent is to say besides the task's purpose: an occasion's script, or an occasion
-- greeting merged into a call already planned that day.
ALTER TABLE task ADD COLUMN talking_points text NOT NULL DEFAULT '';

-- Each occasion_due's customer once (a replayed or repeated event makes nothing twice): the
-- task made, the task it was merged into, or why it was dropped.
CREATE TABLE occasion_made (
    key text NOT NULL,                -- OccasionDue.key
    customer_id bigint NOT NULL,
    branch text NOT NULL,
    day date NOT NULL,                -- local day of the call
    result text NOT NULL CHECK (result IN ('task', 'merged', 'dropped')),
    task_id bigint NOT NULL DEFAULT 0,
    reason text NOT NULL DEFAULT '',
    at_ms bigint NOT NULL,            -- UTC ms
    PRIMARY KEY (key, customer_id)
);
