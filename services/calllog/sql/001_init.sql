-- Call-log owns every contact record and the outcome taxonomy.
-- Outcomes are data (per branch; branch '' holds the defaults), each with the flags that
-- drive both what happens next and the reports, like a dialer's dispositions.
CREATE TABLE outcome (
    branch text NOT NULL DEFAULT '',
    code text NOT NULL,
    name text NOT NULL,
    human_answered boolean NOT NULL,
    contacted boolean NOT NULL,
    sale boolean NOT NULL DEFAULT false,
    do_not_call boolean NOT NULL DEFAULT false,
    unworkable boolean NOT NULL DEFAULT false,
    callback boolean NOT NULL DEFAULT false,
    completed boolean NOT NULL,
    PRIMARY KEY (branch, code)
);
INSERT INTO outcome (branch, code, name, human_answered, contacted, sale, do_not_call, unworkable, callback, completed) VALUES
 ('', 'connected', 'Connected, follow-up done', true, true, false, false, false, false, true),
 ('', 'no-answer', 'No answer', false, false, false, false, false, false, false),
 ('', 'busy', 'Busy', false, false, false, false, false, false, false),
 ('', 'wrong-number', 'Wrong number', false, false, false, false, true, false, true),
 ('', 'not-in-service', 'Number not in service', false, false, false, false, true, false, true),
 ('', 'refused', 'Refused further contact', true, true, false, true, false, false, true),
 ('', 'hostile', 'Hostile', true, true, false, true, false, false, true),
 ('', 'callback', 'Callback requested', true, true, false, false, false, true, false);

-- Agents, copied from intake's events: who may log for whom.
CREATE TABLE agent (
    branch text NOT NULL,
    id text NOT NULL,
    role text NOT NULL,
    PRIMARY KEY (branch, id)
);

CREATE TABLE contact (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    task_id bigint NOT NULL,
    claim_no int NOT NULL,
    customer_id bigint NOT NULL,
    agent text NOT NULL,
    outcome text NOT NULL,
    channel text NOT NULL,
    purpose text NOT NULL DEFAULT '',
    effect text NOT NULL DEFAULT '' CHECK (effect IN ('', 'good', 'none', 'adverse')),
    order_qty int NOT NULL DEFAULT 0 CHECK (order_qty >= 0),
    delivery text NOT NULL DEFAULT '' CHECK (delivery IN ('', 'home', 'store')),
    callback_at_ms bigint NOT NULL DEFAULT 0,
    next_date date,
    note text NOT NULL DEFAULT '',
    started_at_ms bigint NOT NULL,
    duration_s int NOT NULL DEFAULT 0,
    logged_at_ms bigint NOT NULL,
    -- a claim of a task is logged once; a second log of the same claim is a conflict
    UNIQUE (task_id, claim_no)
);
CREATE INDEX contact_customer ON contact (customer_id);
CREATE INDEX contact_agent_day ON contact (branch, agent, logged_at_ms);
