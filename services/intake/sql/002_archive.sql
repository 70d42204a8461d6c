-- The archive as clerks use it: every registration field, card types with their reasons,
-- loyalty tiers and stages as data per branch, consent and do-not-disturb, merges, several
-- phones per customer, and bulk imports that can be run twice without adding anything.

ALTER TABLE customer
    ADD COLUMN age int CHECK (age IS NULL OR age BETWEEN 0 AND 130),
    ADD COLUMN route text NOT NULL DEFAULT '',
    ADD COLUMN condition text NOT NULL DEFAULT '',
    ADD COLUMN baby_name text NOT NULL DEFAULT '',
    ADD COLUMN baby_sex text NOT NULL DEFAULT '' CHECK (baby_sex IN ('', 'f', 'm')),
    ADD COLUMN baby_birth date,
    ADD COLUMN due_date date,
    ADD COLUMN current_brand text NOT NULL DEFAULT '',
    ADD COLUMN feeding text NOT NULL DEFAULT '' CHECK (feeding IN ('', 'breast', 'formula', 'mixed')),
    ADD COLUMN employer text NOT NULL DEFAULT '',
    ADD COLUMN hobbies text NOT NULL DEFAULT '',
    ADD COLUMN health text NOT NULL DEFAULT '',
    ADD COLUMN windows text NOT NULL DEFAULT '',      -- the customer's own call windows
    ADD COLUMN tier text NOT NULL DEFAULT 'regular'
        CHECK (tier IN ('gold', 'silver', 'member', 'regular')),
    ADD COLUMN spend_fen bigint NOT NULL DEFAULT 0,   -- total over every purchase
    ADD COLUMN purchases int NOT NULL DEFAULT 0,
    ADD COLUMN opt_out_reason text NOT NULL DEFAULT '',
    ADD COLUMN dnd_reason text NOT NULL DEFAULT ''
        CHECK (dnd_reason IN ('', 'hospital', 'confinement', 'due-date', 'other')),
    ADD COLUMN merged_into bigint REFERENCES customer (id),  -- a tombstone after a merge
    ADD CONSTRAINT customer_void_reason CHECK (card_type <> 'void' OR void_reason <> '');

-- purchases that existed before this migration count for spend and tier
UPDATE customer c SET spend_fen = p.spend, purchases = p.n
  FROM (SELECT customer_id, sum(price_fen) AS spend, count(*) AS n FROM purchase GROUP BY customer_id) p
 WHERE p.customer_id = c.id;

ALTER TABLE customer_phone
    ADD CONSTRAINT customer_phone_relation CHECK (relation IN ('self', 'spouse', 'child', 'parent', 'other'));
-- a customer's phones (profile, merge) without scanning every phone of the branch
CREATE INDEX customer_phone_customer ON customer_phone (customer_id);

ALTER TABLE lead_source
    ADD COLUMN referrer text NOT NULL DEFAULT '',
    ADD COLUMN referrer_customer_id bigint,
    -- the event that brought the lead (e.g. "calllog:consult:12"), so a redelivery adds nothing
    ADD COLUMN origin text;
-- a customer's sources are read together (profile, merge): the key leads with the customer,
-- which spares a second index on every insert
ALTER TABLE lead_source DROP CONSTRAINT lead_source_pkey, ADD PRIMARY KEY (customer_id, id);
CREATE UNIQUE INDEX lead_source_origin ON lead_source (origin) WHERE origin IS NOT NULL;

-- Row-by-row foreign keys on the tables every lead writes cost a fifth of a bulk import's
-- time in Postgres (a trigger and a lookup per row, at commit for the deferred one). Intake
-- is the only writer of these tables and writes a customer, its phones and its sources in
-- one transaction (a merge moves them together), so the references are kept by the code
-- paths instead. Purchases, written one at a time, keep theirs.
ALTER TABLE customer DROP CONSTRAINT customer_branch_fkey;
ALTER TABLE customer_phone DROP CONSTRAINT customer_phone_customer_id_fkey;
ALTER TABLE lead_source DROP CONSTRAINT lead_source_customer_id_fkey;

ALTER TABLE purchase
    ADD COLUMN contact_id bigint,          -- the call-log contact that took the order
    ADD COLUMN consultation_id bigint,     -- the consultation that sold it
    ADD COLUMN agent text NOT NULL DEFAULT '';
-- one purchase per contact and per consultation, however often their events arrive
CREATE UNIQUE INDEX purchase_contact ON purchase (branch, contact_id) WHERE contact_id IS NOT NULL;
CREATE UNIQUE INDEX purchase_consultation ON purchase (branch, consultation_id)
    WHERE consultation_id IS NOT NULL;

-- Every row of every bulk import, by the hash of its content: claimed before the row is
-- recorded, in the same transaction, so a row is recorded once however often (and however
-- concurrently) its file is imported, and an import killed half-way can simply be run again.
CREATE TABLE import_row (
    -- the first 128 bits of SHA-256 over the branch and the row's content: the branch is
    -- in the hash, so the key alone is UNIQUE (a narrow index: keys are random, and every
    -- row of an import inserts one)
    key uuid PRIMARY KEY,
    imported_at_ms bigint NOT NULL     -- UTC ms
);

-- Loyalty tiers: the first of gold, silver, member whose thresholds a customer meets, else
-- regular. Branch '' holds the defaults for branches without rules of their own.
CREATE TABLE tier_rule (
    branch text NOT NULL,
    tier text NOT NULL CHECK (tier IN ('gold', 'silver', 'member')),
    min_spend_fen bigint NOT NULL CHECK (min_spend_fen >= 0),
    min_purchases int NOT NULL DEFAULT 0 CHECK (min_purchases >= 0),
    PRIMARY KEY (branch, tier)
);
INSERT INTO tier_rule (branch, tier, min_spend_fen, min_purchases) VALUES
    ('', 'gold', 1000000, 0),      -- 10,000 yuan
    ('', 'silver', 500000, 0),     -- 5,000 yuan
    ('', 'member', 100000, 0);     -- 1,000 yuan

-- Stages from the reference date (e.g. the baby's birth or due date): the age in months or
-- days, inclusive bounds, NULL for open. Branch '' holds the defaults (DOMAIN.md):
-- T0 pregnant, T1 the first month, T2 months 2-4, T3 months 5-8, T4 months 9-18, T5 after.
CREATE TABLE stage_rule (
    branch text NOT NULL,
    code text NOT NULL,
    unit text NOT NULL DEFAULT 'month' CHECK (unit IN ('month', 'day')),
    from_age int,
    to_age int,
    label text NOT NULL DEFAULT '',
    PRIMARY KEY (branch, code),
    CHECK (from_age IS NULL OR to_age IS NULL OR from_age <= to_age)
);
INSERT INTO stage_rule (branch, code, unit, from_age, to_age, label) VALUES
    ('', 'T0', 'month', NULL, -1, 'pregnant'),
    ('', 'T1', 'month', 0, 0, 'under one month'),
    ('', 'T2', 'month', 1, 3, '2-4 months'),
    ('', 'T3', 'month', 4, 7, '5-8 months'),
    ('', 'T4', 'month', 8, 17, '9-18 months'),
    ('', 'T5', 'month', 18, NULL, 'over 18 months');
