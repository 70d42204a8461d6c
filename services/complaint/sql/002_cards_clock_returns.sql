-- The full complaint card with its resolution clock, the history of every change, the
-- configuration (resolution periods, business hours, return policy), the return register,
-- word-of-mouth risks, and local copies of what other services publish (branches, agents,
-- customers, products, purchases).

-- ---- the card and its clock ----
ALTER TABLE complaint
    ADD COLUMN severity text NOT NULL DEFAULT 'normal',
    ADD COLUMN channel text NOT NULL DEFAULT '',
    ADD COLUMN location text NOT NULL DEFAULT '',
    ADD COLUMN description text NOT NULL DEFAULT '',   -- sensitive: never logged, never in events
    ADD COLUMN plan text NOT NULL DEFAULT '',
    ADD COLUMN resolution text NOT NULL DEFAULT '',
    ADD COLUMN agent text NOT NULL DEFAULT '',         -- who answers at level 0
    ADD COLUMN owner text NOT NULL DEFAULT '',         -- who answers now
    ADD COLUMN filed_by text NOT NULL DEFAULT '',
    ADD COLUMN level int NOT NULL DEFAULT 0,
    ADD COLUMN breaches int NOT NULL DEFAULT 0,
    ADD COLUMN period_no int NOT NULL DEFAULT 1,
    ADD COLUMN period_ms bigint NOT NULL DEFAULT 86400000,   -- clock ms per level
    ADD COLUMN business_hours boolean NOT NULL DEFAULT false,
    ADD COLUMN used_ms bigint NOT NULL DEFAULT 0,            -- clock ms used before run_from_ms
    ADD COLUMN run_from_ms bigint NOT NULL DEFAULT 0,        -- UTC ms; 0 = clock stopped
    ADD COLUMN warned int NOT NULL DEFAULT 0,                -- 0, 50, 75 in this period
    ADD COLUMN period_started_at_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN due_at_ms bigint NOT NULL DEFAULT 0,          -- UTC ms of the breach; 0 = stopped
    ADD COLUMN next_timer_ms bigint NOT NULL DEFAULT 0,      -- UTC ms of the next threshold
    ADD COLUMN paused_at_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN resolved_at_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN updated_at_ms bigint NOT NULL DEFAULT 0,
    -- false until the next timer is in the Redis due-queue (or removed from it when stopped)
    ADD COLUMN indexed boolean NOT NULL DEFAULT false;

-- cards opened before the clock existed start it at their opening
UPDATE complaint SET severity = 'high', run_from_ms = opened_at_ms,
    period_started_at_ms = opened_at_ms, next_timer_ms = opened_at_ms + 43200000,
    due_at_ms = opened_at_ms + 86400000, updated_at_ms = opened_at_ms
  WHERE state = 'open';

ALTER TABLE complaint
    ADD CONSTRAINT complaint_category CHECK (category IN ('product-effect', 'adverse-reaction',
        'attitude', 'delivery', 'price', 'other')),
    ADD CONSTRAINT complaint_state CHECK (state IN ('open', 'in-progress', 'waiting',
        'resolved', 'closed', 'reopened')),
    ADD CONSTRAINT complaint_severity CHECK (severity IN ('low', 'normal', 'high')),
    ADD CONSTRAINT complaint_level CHECK (level BETWEEN 0 AND 3);

CREATE INDEX complaint_running ON complaint (branch, due_at_ms) WHERE run_from_ms > 0;
CREATE INDEX complaint_unindexed ON complaint (id) WHERE NOT indexed;
CREATE INDEX complaint_customer ON complaint (customer_id);

CREATE TABLE complaint_history (
    id bigserial PRIMARY KEY,
    complaint_id bigint NOT NULL REFERENCES complaint (id),
    at_ms bigint NOT NULL,          -- UTC ms the change happened (a threshold's own instant)
    change text NOT NULL,
    level int NOT NULL,
    owner text NOT NULL,
    actor text NOT NULL DEFAULT '',
    period_no int NOT NULL,
    due_at_ms bigint NOT NULL DEFAULT 0
);
-- a warning or a breach happens once per period, whatever instances or retries do
CREATE UNIQUE INDEX complaint_history_once ON complaint_history (complaint_id, period_no, change)
    WHERE change IN ('warning-50', 'warning-75', 'escalated');
CREATE INDEX complaint_history_of ON complaint_history (complaint_id, id);

-- ---- configuration (branch '' holds the defaults; category '*' every other category) ----
CREATE TABLE sla (
    branch text NOT NULL DEFAULT '',
    category text NOT NULL DEFAULT '*',
    hours int NOT NULL CHECK (hours BETWEEN 1 AND 720),
    business_hours boolean NOT NULL DEFAULT false,
    PRIMARY KEY (branch, category)
);
INSERT INTO sla (branch, category, hours, business_hours) VALUES ('', '*', 24, false);

-- business hours in the branch's zone, local minutes of the day
CREATE TABLE calendar (
    branch text PRIMARY KEY,
    day_start int NOT NULL CHECK (day_start BETWEEN 0 AND 1439),
    day_end int NOT NULL CHECK (day_end BETWEEN 1 AND 1440),
    lunch_start int NOT NULL DEFAULT 0,
    lunch_end int NOT NULL DEFAULT 0,
    workdays int NOT NULL CHECK (workdays BETWEEN 1 AND 127),   -- bit d-1 for ISO weekday d
    CHECK (day_end > day_start)
);
INSERT INTO calendar (branch, day_start, day_end, lunch_start, lunch_end, workdays)
    VALUES ('', 540, 1080, 720, 780, 31);   -- 09:00-18:00, lunch 12:00-13:00, Monday-Friday

CREATE TABLE holiday (
    branch text NOT NULL,
    day date NOT NULL,
    PRIMARY KEY (branch, day)
);

CREATE TABLE return_policy (
    branch text PRIMARY KEY,
    opened_fee_fen bigint NOT NULL DEFAULT 0 CHECK (opened_fee_fen >= 0),
    opened_fee_bp int NOT NULL DEFAULT 0 CHECK (opened_fee_bp BETWEEN 0 AND 10000)
);
INSERT INTO return_policy (branch, opened_fee_fen, opened_fee_bp) VALUES ('', 0, 1000);  -- 10 %

-- ---- copies of other services' records, from their events ----
CREATE TABLE branch (
    code text PRIMARY KEY,
    tz text NOT NULL
);
CREATE TABLE agent (
    branch text NOT NULL,
    id text NOT NULL,
    role text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    PRIMARY KEY (branch, id)
);
CREATE TABLE customer (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    name text NOT NULL DEFAULT ''
);
CREATE TABLE product (
    branch text NOT NULL,
    code text NOT NULL,
    price_fen bigint NOT NULL,
    PRIMARY KEY (branch, code)
);
CREATE TABLE purchase (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    customer_id bigint NOT NULL,
    product text NOT NULL,
    quantity int NOT NULL,
    price_fen bigint NOT NULL,        -- price paid
    unit_price_fen bigint NOT NULL,   -- the product's unit price when bought
    purchase_date text NOT NULL DEFAULT ''
);
CREATE INDEX purchase_customer ON purchase (customer_id);

-- ---- returns ----
CREATE TABLE return_request (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    purchase_id bigint NOT NULL,
    customer_id bigint NOT NULL,
    product text NOT NULL,
    quantity int NOT NULL,
    price_paid_fen bigint NOT NULL,
    unit_price_fen bigint NOT NULL,
    used_qty int NOT NULL CHECK (used_qty >= 0),
    packaging_intact boolean NOT NULL,
    reason text NOT NULL,
    depreciation_fen bigint NOT NULL,
    packaging_fee_fen bigint NOT NULL,
    refund_fen bigint NOT NULL CHECK (refund_fen >= 0),
    state text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'approved', 'rejected')),
    requested_by text NOT NULL DEFAULT '',
    requested_at_ms bigint NOT NULL,
    decided_by text NOT NULL DEFAULT '',
    decided_at_ms bigint NOT NULL DEFAULT 0,
    decision_reason text NOT NULL DEFAULT ''
);
-- one live request per purchase: a rejected one may be asked again, an approved one not
CREATE UNIQUE INDEX return_request_live ON return_request (purchase_id)
    WHERE state IN ('requested', 'approved');

-- ---- word-of-mouth risk ----
-- per customer, the latest effect a contact reported
CREATE TABLE customer_effect (
    customer_id bigint PRIMARY KEY,
    effect text NOT NULL,
    contact_id bigint NOT NULL,
    at_ms bigint NOT NULL
);
CREATE TABLE risk (
    customer_id bigint PRIMARY KEY,   -- flagged once
    branch text NOT NULL,
    reason text NOT NULL,
    no_effect_contact bigint NOT NULL,
    refusal_contact bigint NOT NULL,
    flagged_at_ms bigint NOT NULL
);
