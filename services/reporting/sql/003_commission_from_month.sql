-- A commission rate applies from the month it is set in (the branch's zone), never backwards:
-- each change is a row of its own, and a month's report takes the latest row at or before
-- that month. The rate set before this change applied to every month: it keeps doing so.
CREATE TABLE commission_rate (
    branch text NOT NULL,
    from_month date NOT NULL,   -- the first day of the month the rate applies from
    rate_bp int NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    set_at_ms bigint NOT NULL DEFAULT 0,  -- UTC ms
    PRIMARY KEY (branch, from_month)
);
INSERT INTO commission_rate (branch, from_month, rate_bp)
    SELECT branch, DATE '1970-01-01', rate_bp FROM commission;
DROP TABLE commission;
