-- Occasions (issue 16): birthday, festival and weather care calls as rules per branch, and
-- the daily sweep that finds who is due (intake_occasion.c).

-- A rule: which occasion (birthday | festival:<name> | weather:<kind>), whom (a segment of
-- the campaign slice, or the branch's customers narrowed by card type, tier and regions),
-- how many days before, with which purpose and talking points. A removed rule stays (its
-- id is named by the tasks it made) with removed_at_ms set.
CREATE TABLE occasion_rule (
    id bigserial PRIMARY KEY,
    branch text NOT NULL REFERENCES branch (code),
    occasion text NOT NULL,
    segment_id bigint,                     -- NULL: no segment
    card_type text NOT NULL DEFAULT '',    -- '' any
    tier text NOT NULL DEFAULT '',         -- '' any
    regions text[] NOT NULL DEFAULT '{}',  -- {} any
    days_before int NOT NULL DEFAULT 0 CHECK (days_before BETWEEN 0 AND 30),
    purpose text NOT NULL DEFAULT 'care',
    script text NOT NULL DEFAULT '',
    created_at_ms bigint NOT NULL,         -- UTC ms
    created_by text NOT NULL DEFAULT '',
    removed_at_ms bigint NOT NULL DEFAULT 0 -- UTC ms; 0 while in force
);
CREATE INDEX occasion_rule_live ON occasion_rule (branch) WHERE removed_at_ms = 0;

-- Each branch's local day is swept once (the row is claimed in the sweep's transaction, so
-- two instances never sweep a day twice).
CREATE TABLE occasion_sweep (
    branch text NOT NULL,
    day date NOT NULL,                     -- local date in the branch's zone
    swept_at_ms bigint NOT NULL,           -- UTC ms
    customers int NOT NULL DEFAULT 0,      -- customers named in its events
    PRIMARY KEY (branch, day)
);

-- Birthdays by month and day, for the sweep.
CREATE INDEX customer_birthday ON customer (branch, (extract(month FROM birth)), (extract(day FROM birth)))
    WHERE birth IS NOT NULL AND merged_into IS NULL;
