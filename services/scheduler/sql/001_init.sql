-- The scheduler's own copies of what it needs from intake (from events), its plan
-- templates, plans, tasks and each agent's daily load.
CREATE TABLE branch (
    code text PRIMARY KEY,
    tz text NOT NULL,
    windows text NOT NULL DEFAULT ''
);

CREATE TABLE agent (
    branch text NOT NULL,
    id text NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    regions text[] NOT NULL DEFAULT '{}',
    daily_calls int NOT NULL,
    daily_visits int NOT NULL,
    active boolean NOT NULL DEFAULT true,
    PRIMARY KEY (branch, id)
);

CREATE TABLE customer (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    name text NOT NULL,
    phone text NOT NULL,
    region text NOT NULL DEFAULT '',
    card_type text NOT NULL DEFAULT 'new',
    opted_out boolean NOT NULL DEFAULT false,
    dnd_until date
);

CREATE TABLE purchase (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    branch text NOT NULL,
    product text NOT NULL,
    quantity int NOT NULL,
    price_fen bigint NOT NULL,
    purchase_date date NOT NULL,
    supply_end date NOT NULL,
    days_of_supply int NOT NULL,
    nth int NOT NULL,
    plan text NOT NULL
);

-- Templates are data: branch '' holds the defaults every branch uses unless it has its own.
CREATE TABLE plan_template (
    branch text NOT NULL DEFAULT '',
    code text NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (branch, code)
);

CREATE TABLE plan_step (
    branch text NOT NULL DEFAULT '',
    template text NOT NULL,
    step_no int NOT NULL,
    anchor text NOT NULL CHECK (anchor IN ('purchase', 'supply_end', 'previous', 'ref_date')),
    offset_days int NOT NULL,
    window_days int NOT NULL DEFAULT 0 CHECK (window_days >= 0),
    repeat_days int NOT NULL DEFAULT 0 CHECK (repeat_days >= 0),
    purpose text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('phone', 'visit', 'letter', 'wechat')),
    role text NOT NULL,
    PRIMARY KEY (branch, template, step_no),
    FOREIGN KEY (branch, template) REFERENCES plan_template (branch, code) ON DELETE CASCADE
);

-- One plan per purchase: the UNIQUE constraint is what makes planning exactly-once.
CREATE TABLE plan (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    customer_id bigint NOT NULL,
    purchase_id bigint NOT NULL UNIQUE,
    template text NOT NULL,
    state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'archived', 'cancelled')),
    supply_end date NOT NULL,
    started_at_ms bigint NOT NULL
);
CREATE INDEX plan_customer ON plan (customer_id, state);

CREATE TABLE task (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    plan_id bigint REFERENCES plan (id),
    customer_id bigint NOT NULL,
    purchase_id bigint NOT NULL DEFAULT 0,
    step_no int NOT NULL,
    occurrence int NOT NULL DEFAULT 0,
    purpose text NOT NULL,
    channel text NOT NULL,
    role text NOT NULL,
    due_at_ms bigint NOT NULL,            -- UTC ms
    window_days int NOT NULL DEFAULT 0,
    state text NOT NULL DEFAULT 'planned'
        CHECK (state IN ('planned', 'assigned', 'claimed', 'done', 'cancelled')),
    agent text NOT NULL DEFAULT '',
    priority int NOT NULL,
    attempts int NOT NULL DEFAULT 0,
    claims int NOT NULL DEFAULT 0,
    bag_date date,                        -- local date of the date bag it is in
    outcome text NOT NULL DEFAULT '',
    indexed boolean NOT NULL DEFAULT false, -- put into the Redis due-index
    updated_at_ms bigint NOT NULL,
    UNIQUE (plan_id, step_no, occurrence)
);
CREATE INDEX task_unindexed ON task (id) WHERE state = 'planned' AND NOT indexed;
CREATE INDEX task_agent ON task (branch, agent, state, bag_date);
CREATE INDEX task_customer ON task (customer_id);
CREATE INDEX task_plan ON task (plan_id, state);

CREATE TABLE agent_day (
    branch text NOT NULL,
    agent text NOT NULL,
    day date NOT NULL,
    calls int NOT NULL DEFAULT 0,
    visits int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, agent, day)
);
