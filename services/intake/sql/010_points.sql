-- Points and gifts (issue 16). Members earn points per whole yuan paid and per attended
-- event, by rules that are data per branch (branch '' holds the defaults), and a clerk
-- redeems them for a gift or a free service.
CREATE TABLE points_rule (
    branch text PRIMARY KEY,
    per_yuan int NOT NULL CHECK (per_yuan BETWEEN 0 AND 100),      -- points per whole yuan
    per_event int NOT NULL CHECK (per_event BETWEEN 0 AND 100000)  -- per attended event
);
INSERT INTO points_rule (branch, per_yuan, per_event) VALUES ('', 1, 100);

-- The balance of a customer, one row each: every change takes the row's lock (UPDATE), so
-- concurrent redemptions queue behind each other, and the CHECK makes a negative balance
-- impossible whatever the code does. owed: points a return could not take back because
-- they were spent already; later earnings settle it before they reach the balance.
CREATE TABLE points_account (
    customer_id bigint PRIMARY KEY,
    branch text NOT NULL,
    balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
    owed bigint NOT NULL DEFAULT 0 CHECK (owed >= 0)
);
CREATE INDEX points_account_branch ON points_account (branch);

-- The ledger that explains a balance: the deltas of a customer's rows add up to the balance.
-- A purchase, an event award and a return are recorded once each (the unique index over
-- their reference), so a replayed event or a repeated award changes nothing.
CREATE TABLE points_ledger (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL,
    branch text NOT NULL,
    delta bigint NOT NULL,
    reason text NOT NULL CHECK (reason IN ('purchase', 'event', 'redeem', 'return', 'adjust')),
    reference text NOT NULL,
    balance_after bigint NOT NULL CHECK (balance_after >= 0),
    owed_after bigint NOT NULL DEFAULT 0 CHECK (owed_after >= 0),
    points bigint NOT NULL,              -- what the rule gave or took, before settling owed
    shortfall bigint NOT NULL DEFAULT 0, -- return: what could not be taken back
    purchase_id bigint,                  -- purchase and return rows: the purchase
    actor text NOT NULL DEFAULT '',
    at_ms bigint NOT NULL                -- UTC ms
);
CREATE INDEX points_ledger_customer ON points_ledger (customer_id, id);
CREATE UNIQUE INDEX points_ledger_once ON points_ledger (customer_id, reason, reference)
    WHERE reason IN ('purchase', 'event', 'return');

-- The gift catalogue of a branch: what points buy.
CREATE TABLE gift (
    branch text NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    points bigint NOT NULL CHECK (points > 0),
    active boolean NOT NULL DEFAULT true,
    PRIMARY KEY (branch, code)
);
