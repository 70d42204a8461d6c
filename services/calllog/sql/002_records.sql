-- The whole contact record, inbound consultations, the delivery book, quality checks and
-- alerts; and the copies of intake's branches and products that validation needs.

-- Branches (their zone gives a contact its local date) and products (an order names one),
-- copied from intake's events.
CREATE TABLE branch (
    code text PRIMARY KEY,
    tz text NOT NULL
);
CREATE TABLE product (
    branch text NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    days_per_unit int NOT NULL,
    price_fen bigint NOT NULL,
    PRIMARY KEY (branch, code)
);

-- The rest of the follow-up record sheet.
ALTER TABLE contact
    ADD COLUMN day date,                           -- local date in the branch's zone
    ADD COLUMN purchase_id bigint NOT NULL DEFAULT 0,
    ADD COLUMN dose text NOT NULL DEFAULT '',
    ADD COLUMN timing text NOT NULL DEFAULT '',
    ADD COLUMN other_medicines text NOT NULL DEFAULT '',
    ADD COLUMN diet text NOT NULL DEFAULT '',
    ADD COLUMN advice text NOT NULL DEFAULT '',
    ADD COLUMN order_product text NOT NULL DEFAULT '',
    ADD COLUMN delivery_address text NOT NULL DEFAULT '',
    ADD COLUMN referral_name text NOT NULL DEFAULT '',
    ADD COLUMN referral_phone text NOT NULL DEFAULT '',
    ADD COLUMN event_accepted boolean NOT NULL DEFAULT false,
    ADD COLUMN event text NOT NULL DEFAULT '',
    ADD COLUMN typical_case boolean NOT NULL DEFAULT false,
    ADD COLUMN typical_consent boolean NOT NULL DEFAULT false,
    -- the patient service sheet of a home visit
    ADD COLUMN blood_pressure text NOT NULL DEFAULT '',
    ADD COLUMN pulse int NOT NULL DEFAULT 0 CHECK (pulse >= 0),
    ADD COLUMN symptoms text NOT NULL DEFAULT '',
    ADD COLUMN findings text NOT NULL DEFAULT '',
    ADD CONSTRAINT contact_consent CHECK (typical_case OR NOT typical_consent),
    ADD CONSTRAINT contact_order CHECK ((order_qty = 0) = (order_product = ''));
CREATE INDEX contact_branch_day ON contact (branch, day, agent);

-- Inbound consultation calls: every call is recorded.
CREATE TABLE consultation (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    name text NOT NULL,
    phone text NOT NULL DEFAULT '',
    gender text NOT NULL DEFAULT '' CHECK (gender IN ('', 'f', 'm')),
    age int NOT NULL DEFAULT 0 CHECK (age BETWEEN 0 AND 150),
    address text NOT NULL DEFAULT '',
    region text NOT NULL DEFAULT '',
    chief_complaint text NOT NULL DEFAULT '',
    media text NOT NULL DEFAULT '',
    outcome text NOT NULL CHECK (outcome IN ('', 'bought', 'not-bought')),
    product text NOT NULL DEFAULT '',
    quantity int NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    delivery text NOT NULL DEFAULT '' CHECK (delivery IN ('', 'home', 'store')),
    agent text NOT NULL DEFAULT '',
    regulator boolean NOT NULL DEFAULT false,
    regulator_unit text NOT NULL DEFAULT '',
    regulator_position text NOT NULL DEFAULT '',
    regulator_contact text NOT NULL DEFAULT '',
    day date NOT NULL,
    logged_at_ms bigint NOT NULL,
    -- a regulator is not a customer: no outcome; anyone else bought or did not
    CHECK (regulator = (outcome = ''))
);
CREATE INDEX consultation_branch_day ON consultation (branch, day);

-- The delivery book. A contact or a consultation opens at most one entry; an entry moves
-- pending -> delivered once, through a guarded UPDATE.
CREATE TABLE delivery (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    source text NOT NULL CHECK (source IN ('call', 'consult')),
    contact_id bigint UNIQUE REFERENCES contact (id),
    consultation_id bigint UNIQUE REFERENCES consultation (id),
    customer_id bigint NOT NULL DEFAULT 0,
    name text NOT NULL DEFAULT '',
    phone text NOT NULL DEFAULT '',
    address text NOT NULL DEFAULT '',
    region text NOT NULL DEFAULT '',
    product text NOT NULL,
    quantity int NOT NULL CHECK (quantity > 0),
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
    agent text NOT NULL DEFAULT '',
    deliverer text NOT NULL DEFAULT '',
    requested_at_ms bigint NOT NULL,
    delivered_at_ms bigint NOT NULL DEFAULT 0,
    CHECK ((contact_id IS NULL) <> (consultation_id IS NULL)),
    CHECK ((state = 'delivered') = (delivered_at_ms > 0))
);
CREATE INDEX delivery_branch_state ON delivery (branch, state);

-- Quality checks: the share of each agent's calls a day drawn for a supervisor's review, per
-- branch (branch '' holds the default).
CREATE TABLE review_rate (
    branch text PRIMARY KEY,
    percent int NOT NULL CHECK (percent BETWEEN 0 AND 100)
);
INSERT INTO review_rate (branch, percent) VALUES ('', 10);

CREATE TABLE review (
    contact_id bigint PRIMARY KEY REFERENCES contact (id),
    branch text NOT NULL,
    agent text NOT NULL,
    day date NOT NULL,
    sampled boolean NOT NULL,
    score int CHECK (score BETWEEN 1 AND 5),
    note text NOT NULL DEFAULT '',
    reviewer text NOT NULL DEFAULT '',
    scored_at_ms bigint NOT NULL DEFAULT 0
);
CREATE INDEX review_branch_day ON review (branch, day, agent);

-- Alerts to the manager (a regulator called).
CREATE TABLE alert (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    kind text NOT NULL,
    to_role text NOT NULL,
    summary text NOT NULL,
    consultation_id bigint REFERENCES consultation (id),
    raised_by text NOT NULL DEFAULT '',
    raised_at_ms bigint NOT NULL
);
CREATE INDEX alert_branch ON alert (branch, raised_at_ms);
