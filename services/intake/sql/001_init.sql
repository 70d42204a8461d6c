-- Intake owns the organisation (branches, agents, products) and the customer archive.
CREATE TABLE branch (
    code text PRIMARY KEY,
    name text NOT NULL,
    tz text NOT NULL,                 -- IANA zone
    windows text NOT NULL DEFAULT '', -- call windows, local "HH:MM-HH:MM,..."
    created_at_ms bigint NOT NULL     -- UTC ms
);

CREATE TABLE agent (
    branch text NOT NULL REFERENCES branch (code),
    id text NOT NULL,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('phone','consult','visit','doctor','deliver','lead','head','manager')),
    regions text[] NOT NULL DEFAULT '{}',
    daily_calls int NOT NULL CHECK (daily_calls >= 0),
    daily_visits int NOT NULL CHECK (daily_visits >= 0),
    active boolean NOT NULL DEFAULT true,
    PRIMARY KEY (branch, id)
);

CREATE TABLE product (
    branch text NOT NULL REFERENCES branch (code),
    code text NOT NULL,
    name text NOT NULL,
    days_per_unit int NOT NULL CHECK (days_per_unit > 0),
    price_fen bigint NOT NULL CHECK (price_fen >= 0),
    plan text NOT NULL DEFAULT 'monthly-course',
    PRIMARY KEY (branch, code)
);

CREATE TABLE customer (
    id bigserial PRIMARY KEY,
    branch text NOT NULL REFERENCES branch (code),
    name text NOT NULL,
    phone text NOT NULL,              -- the primary phone, normalised
    gender text NOT NULL DEFAULT '' CHECK (gender IN ('', 'f', 'm')),
    birth date,
    ref_date date,
    region text NOT NULL DEFAULT '',
    address text NOT NULL DEFAULT '',
    card_type text NOT NULL DEFAULT 'new' CHECK (card_type IN ('new','one-on-one','customer','void')),
    void_reason text NOT NULL DEFAULT '',
    opted_out boolean NOT NULL DEFAULT false,
    dnd_until date,
    created_at_ms bigint NOT NULL
);
CREATE INDEX customer_name ON customer (branch, name text_pattern_ops);

-- Every phone of every customer; the normalised phone is the identity within a branch.
-- The customer row is written after the phone row claims the number, so the reference
-- is checked at commit.
CREATE TABLE customer_phone (
    branch text NOT NULL,
    phone text NOT NULL,
    customer_id bigint NOT NULL REFERENCES customer (id) DEFERRABLE INITIALLY DEFERRED,
    relation text NOT NULL DEFAULT 'self',
    PRIMARY KEY (branch, phone)
);

-- Each time a lead reached us: the customer's channel history.
CREATE TABLE lead_source (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customer (id),
    channel text NOT NULL,
    collector text NOT NULL DEFAULT '',
    source text NOT NULL DEFAULT '',
    note text NOT NULL DEFAULT '',
    collected_at_ms bigint NOT NULL,
    merged boolean NOT NULL
);

CREATE TABLE purchase (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customer (id),
    branch text NOT NULL,
    product text NOT NULL,
    quantity int NOT NULL CHECK (quantity > 0),
    price_fen bigint NOT NULL CHECK (price_fen >= 0),
    purchase_date date NOT NULL,      -- local date in the branch's zone
    supply_end date NOT NULL,         -- local date the supply runs out
    days_of_supply int NOT NULL,
    nth int NOT NULL,
    plan text NOT NULL,
    created_at_ms bigint NOT NULL,
    UNIQUE (customer_id, nth),
    FOREIGN KEY (branch, product) REFERENCES product (branch, code)
);
