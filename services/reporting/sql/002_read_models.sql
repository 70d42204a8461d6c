-- Reporting's read models, built from events only (never from another service's tables),
-- each event applied exactly once in the transaction that records the producer's sequence.
--
-- Two kinds of table: copies of the facts the reports need (branch, agent, product,
-- customer, purchase, task, contact, complaint), keyed by the producer's ids; and rollups,
-- counters per branch and local day (or month) updated by each event, so that a report reads
-- a few hundred rows whatever the history holds. Days are local dates in the branch's zone.
-- No names or phone numbers of customers are kept: no report needs them.

-- ---- copies of reference data ----

CREATE TABLE branch (
    code text PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    tz text NOT NULL
);

CREATE TABLE agent (
    branch text NOT NULL,
    id text NOT NULL,
    name text NOT NULL DEFAULT '',
    role text NOT NULL DEFAULT '',
    regions text[] NOT NULL DEFAULT '{}',
    active boolean NOT NULL DEFAULT true,
    PRIMARY KEY (branch, id)
);

CREATE TABLE product (
    branch text NOT NULL,
    code text NOT NULL,
    name text NOT NULL DEFAULT '',
    price_fen bigint NOT NULL DEFAULT 0,   -- unit list price, fen
    days_per_unit int NOT NULL DEFAULT 0,
    plan text NOT NULL DEFAULT '',
    PRIMARY KEY (branch, code)
);

-- The card of each customer as last published (type, region); merged_into > 0 marks a card
-- merged into another (it no longer counts).
CREATE TABLE customer (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    region text NOT NULL DEFAULT '',
    card_type text NOT NULL DEFAULT 'new',
    void_reason text NOT NULL DEFAULT '',
    merged_into bigint NOT NULL DEFAULT 0
);

-- Purchases (forms). next_day: the date of the customer's next purchase, set when it comes.
CREATE TABLE purchase (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    customer_id bigint NOT NULL,
    product text NOT NULL,
    plan text NOT NULL DEFAULT '',
    quantity int NOT NULL,
    price_fen bigint NOT NULL,
    purchase_day date NOT NULL,
    supply_end date NOT NULL,
    nth int NOT NULL,
    next_day date
);
CREATE INDEX purchase_customer ON purchase (customer_id, nth);

-- Plan steps (tasks) as the scheduler published them. due_day: the local day the plan put
-- the step on (never moved by retries or postponements); state mirrors the scheduler's:
-- planned | assigned | claimed | done | cancelled. agent and bag_day describe the open
-- assignment (assigned or claimed); claims counts claims seen, calls contacts logged.
CREATE TABLE task (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    customer_id bigint NOT NULL,
    purchase_id bigint NOT NULL DEFAULT 0,
    plan_id bigint NOT NULL DEFAULT 0,
    step_no int NOT NULL DEFAULT 0,
    purpose text NOT NULL DEFAULT '',
    due_day date NOT NULL,
    planned_at_ms bigint NOT NULL DEFAULT 0,  -- UTC ms of the plan's start
    state text NOT NULL,
    agent text NOT NULL DEFAULT '',
    bag_day date,
    last_bag_agent text NOT NULL DEFAULT '',
    last_bag_day date,
    claims int NOT NULL DEFAULT 0,
    calls int NOT NULL DEFAULT 0,
    done_day date
);
CREATE INDEX task_customer_open ON task (customer_id) WHERE state IN ('planned', 'assigned', 'claimed');

-- Assignments closed before the contact of their claim arrived (the scheduler's stream ran
-- ahead of calllog's, as after a restart): when the contact comes, the close moves to its day.
CREATE TABLE pending_close (
    task_id bigint NOT NULL,
    claim int NOT NULL,
    agent text NOT NULL,
    day date NOT NULL,
    PRIMARY KEY (task_id, claim)
);

-- Contacts as logged (the raw records the rollups summarise; the benchmark's full scan).
CREATE TABLE contact (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    day date NOT NULL,
    agent text NOT NULL,
    customer_id bigint NOT NULL DEFAULT 0,
    task_id bigint NOT NULL DEFAULT 0,
    channel text NOT NULL DEFAULT '',
    outcome text NOT NULL DEFAULT '',
    contacted boolean NOT NULL DEFAULT false,
    order_qty int NOT NULL DEFAULT 0,
    order_product text NOT NULL DEFAULT '',
    region text NOT NULL DEFAULT ''
);

CREATE TABLE complaint (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    opened_day date NOT NULL,
    category text NOT NULL DEFAULT '',
    agent text NOT NULL DEFAULT '',        -- who raised it (see rep_models.c)
    state text NOT NULL DEFAULT 'open',
    level int NOT NULL DEFAULT 0,
    breaches int NOT NULL DEFAULT 0,       -- periods of the clock it outlived (escalations)
    opened_at_ms bigint NOT NULL,          -- UTC ms
    due_at_ms bigint NOT NULL DEFAULT 0,   -- UTC ms; 0 while the clock is stopped
    resolved_at_ms bigint NOT NULL DEFAULT 0
);
CREATE INDEX complaint_opened ON complaint (branch, opened_day);

-- ---- rollups ----

-- Per agent and local day. tasks_due: distinct tasks in the agent's date bag of that day;
-- opened / closed: assignments opened (bag day) and closed (worked, handed over or
-- cancelled) that day, so the open ones at the end of day D are the sums up to D.
CREATE TABLE agent_day (
    branch text NOT NULL,
    day date NOT NULL,
    agent text NOT NULL,
    tasks_due int NOT NULL DEFAULT 0,
    opened int NOT NULL DEFAULT 0,
    closed int NOT NULL DEFAULT 0,
    attempts int NOT NULL DEFAULT 0,
    contacts int NOT NULL DEFAULT 0,
    orders int NOT NULL DEFAULT 0,
    complaints int NOT NULL DEFAULT 0,
    consultations int NOT NULL DEFAULT 0,
    consult_bought int NOT NULL DEFAULT 0,
    visits int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, agent, day)
);
CREATE INDEX agent_day_day ON agent_day (branch, day);
-- opened - closed per agent and local month: the assignments open at the end of a day are
-- the months before it plus its month's days up to it, a few rows whatever the history
CREATE TABLE agent_month (
    branch text NOT NULL,
    agent text NOT NULL,
    month date NOT NULL,                   -- first day of the local month
    net int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, agent, month)
);

-- Follow-up orders per agent, day and product (value = units × the product's price).
CREATE TABLE order_day (
    branch text NOT NULL,
    day date NOT NULL,
    agent text NOT NULL,
    product text NOT NULL,
    orders int NOT NULL DEFAULT 0,
    units bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, day, agent, product)
);

-- Follow-up orders per month, agent, the customer's region and product: the attribution.
CREATE TABLE order_month (
    branch text NOT NULL,
    month date NOT NULL,                   -- first day of the local month
    agent text NOT NULL,
    region text NOT NULL,
    product text NOT NULL,
    orders int NOT NULL DEFAULT 0,
    units bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, month, agent, region, product)
);

-- Plan steps per due day: how many were planned, done on time (on or before the due day),
-- done late, and cancelled; the rest are open (missed once the due day has passed).
CREATE TABLE step_day (
    branch text NOT NULL,
    due_day date NOT NULL,
    planned int NOT NULL DEFAULT 0,
    on_time int NOT NULL DEFAULT 0,
    late int NOT NULL DEFAULT 0,
    cancelled int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, due_day)
);

-- Leads per day (of collection), channel, source and collector.
CREATE TABLE lead_day (
    branch text NOT NULL,
    day date NOT NULL,
    channel text NOT NULL,
    source text NOT NULL,
    collector text NOT NULL,
    registered int NOT NULL DEFAULT 0,
    merged int NOT NULL DEFAULT 0,
    rejected int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, day, channel, source, collector)
);

-- Card-type changes per day (from, to, reason), and customers screened out per reason.
CREATE TABLE card_flow_day (
    branch text NOT NULL,
    day date NOT NULL,
    from_type text NOT NULL,
    to_type text NOT NULL,
    reason text NOT NULL,
    n int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, day, from_type, to_type, reason)
);
CREATE TABLE screen_day (
    branch text NOT NULL,
    day date NOT NULL,
    reason text NOT NULL,
    n int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, day, reason)
);
-- Cards per type now.
CREATE TABLE card_count (
    branch text NOT NULL,
    card_type text NOT NULL,
    n int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, card_type)
);

-- Purchases by the local month their supply ends, product and plan template, counted by
-- gap: days from the supply end to the customer's next purchase (clamped to -1 .. 367;
-- 9999 while there is none). The share repurchased within N days is the part with gap <= N.
CREATE TABLE repurchase_month (
    branch text NOT NULL,
    month date NOT NULL,
    product text NOT NULL,
    plan text NOT NULL,
    gap int NOT NULL,
    n int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, month, product, plan, gap)
);

-- Complaint and return events per day.
CREATE TABLE complaint_day (
    branch text NOT NULL,
    day date NOT NULL,
    escalations int NOT NULL DEFAULT 0,
    returns_requested int NOT NULL DEFAULT 0,
    returns_approved int NOT NULL DEFAULT 0,
    returns_rejected int NOT NULL DEFAULT 0,
    refund_fen bigint NOT NULL DEFAULT 0,
    risks int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, day)
);

-- ---- the attribution's data, owned by reporting (set with `huifang attribution ...`) ----

CREATE TABLE terminal_map (
    branch text NOT NULL,
    region text NOT NULL,
    terminal text NOT NULL,
    PRIMARY KEY (branch, region)
);
CREATE TABLE commission (
    branch text PRIMARY KEY,
    rate_bp int NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000)
);
