-- The rules of issue 4: what the scheduler keeps to pause, postpone, cancel, call back, send
-- a doctor, move an absent agent's bag and raise supervisor alerts.

-- The customer copy grows what the rules read: the customer's own call windows, tier and
-- reference date (from intake's events), and what the scheduler counts itself.
ALTER TABLE customer
    ADD COLUMN windows text NOT NULL DEFAULT '',        -- "" = the branch's windows
    ADD COLUMN tier text NOT NULL DEFAULT '',
    ADD COLUMN ref_date date,
    ADD COLUMN created_at_ms bigint NOT NULL DEFAULT 0, -- UTC ms
    ADD COLUMN unanswered int NOT NULL DEFAULT 0,       -- unanswered attempts in a row
    ADD COLUMN last_visit_ms bigint NOT NULL DEFAULT 0; -- UTC ms of the last home visit

-- Open complaints hold a customer's sales-purpose steps (paused) until resolved.
CREATE TABLE complaint_hold (
    complaint_id bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    opened_at_ms bigint NOT NULL
);
CREATE INDEX complaint_hold_customer ON complaint_hold (customer_id);

-- A plan starts from a purchase, or from a lead that names a plan (no purchase): lead_key
-- makes that exactly-once too.
ALTER TABLE plan ALTER COLUMN purchase_id DROP NOT NULL;
ALTER TABLE plan
    ADD COLUMN lead_key text UNIQUE,
    ADD COLUMN ended_at_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN end_reason text NOT NULL DEFAULT '';
CREATE INDEX plan_active_end ON plan (branch, supply_end) WHERE state = 'active';

-- Tasks: paused (a complaint holds a sales step); tasks that no plan step made (a callback
-- the customer asked for, a doctor's visit after an adverse reaction) are unique per contact.
ALTER TABLE task DROP CONSTRAINT task_state_check;
ALTER TABLE task ADD CONSTRAINT task_state_check
    CHECK (state IN ('planned', 'assigned', 'claimed', 'done', 'cancelled', 'paused'));
ALTER TABLE task DROP CONSTRAINT task_plan_id_step_no_occurrence_key;
ALTER TABLE task
    ADD COLUMN origin text NOT NULL DEFAULT 'plan' CHECK (origin IN ('plan', 'callback', 'adverse')),
    ADD COLUMN parent_id bigint,                     -- the task whose contact made this one
    ADD COLUMN contact_id bigint,                    -- that contact
    ADD COLUMN reserved_agent text NOT NULL DEFAULT '', -- a callback's owner while not missed
    ADD COLUMN deadline_ms bigint NOT NULL DEFAULT 0,   -- UTC ms; a callback not done by then is missed
    ADD COLUMN misses int NOT NULL DEFAULT 0,
    ADD COLUMN latest_at_ms bigint NOT NULL DEFAULT 0,  -- UTC ms; end of a flexible step's window
    ADD COLUMN assigned_at_ms bigint NOT NULL DEFAULT 0; -- UTC ms; put into a date bag
CREATE UNIQUE INDEX task_plan_step ON task (plan_id, step_no, occurrence)
    WHERE origin = 'plan' AND plan_id IS NOT NULL;
CREATE UNIQUE INDEX task_from_contact ON task (contact_id, origin) WHERE contact_id IS NOT NULL;
CREATE INDEX task_deadline ON task (deadline_ms) WHERE deadline_ms > 0;
CREATE INDEX task_purchase ON task (purchase_id) WHERE purchase_id > 0;
-- The indexer takes unindexed tasks branch by branch (one pipelined put per branch); the
-- index by id alone is no longer read. An assignment updates a task's indexed columns, so
-- every index of the table costs an entry per assignment: only the ones queries need stay.
CREATE INDEX task_unindexed_branch ON task (branch, id) WHERE state = 'planned' AND NOT indexed;
DROP INDEX task_unindexed;

-- What the capacity guard granted in its last update (set in the same UPDATE, from the old
-- values, so a batch learns how many of its wanted slots it got).
ALTER TABLE agent_day
    ADD COLUMN granted_calls int NOT NULL DEFAULT 0,
    ADD COLUMN granted_visits int NOT NULL DEFAULT 0;

-- Absences: the agent gets nothing on these local days; their bag moves to colleagues.
CREATE TABLE agent_absence (
    branch text NOT NULL,
    agent text NOT NULL,
    from_day date NOT NULL,
    until_day date NOT NULL,
    created_at_ms bigint NOT NULL,
    PRIMARY KEY (branch, agent, from_day),
    CHECK (until_day >= from_day)
);

-- Contacts as the next caller needs them: from calllog's call_logged events.
CREATE TABLE contact_note (
    contact_id bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    task_id bigint NOT NULL DEFAULT 0,
    branch text NOT NULL,
    agent text NOT NULL DEFAULT '',
    channel text NOT NULL DEFAULT '',
    purpose text NOT NULL DEFAULT '',
    outcome text NOT NULL DEFAULT '',
    effect text NOT NULL DEFAULT '',
    order_qty int NOT NULL DEFAULT 0,
    note text NOT NULL DEFAULT '',
    logged_at_ms bigint NOT NULL
);
CREATE INDEX contact_note_customer ON contact_note (customer_id, logged_at_ms DESC);

-- Supervisor alerts; dedup makes each one once, however many instances notice it.
CREATE TABLE alert (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('callback-missed', 'member-unvisited')),
    customer_id bigint NOT NULL DEFAULT 0,
    task_id bigint NOT NULL DEFAULT 0,
    agent text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT '',
    dedup text NOT NULL UNIQUE,
    raised_at_ms bigint NOT NULL,
    acked_at_ms bigint NOT NULL DEFAULT 0,
    acked_by text NOT NULL DEFAULT ''
);
CREATE INDEX alert_open ON alert (branch, raised_at_ms) WHERE acked_at_ms = 0;
-- Where a flexible step has room: planned load per branch and day
CREATE INDEX task_branch_due ON task (branch, due_at_ms) WHERE state = 'planned';
