-- Points (issue 16): intake's points_earned, points_redeemed and points_reversed, summed per
-- branch and local day (the branch's zone). Each figure is in points as they reached the
-- balances: issued (earned, after settling what returns left owed), redeemed, taken back by
-- returns; adjusted: points moved by hand or between two records of one person (a merge:
-- the one's balance leaves, the other's arrives; signed); owed: what returns could not take
-- back. Outstanding at a day's end is the sum of issued - redeemed - taken_back + adjusted
-- over every day up to it: every balance of the branch.
CREATE TABLE points_day (
    branch text NOT NULL,
    day date NOT NULL,
    issued bigint NOT NULL DEFAULT 0,
    redeemed bigint NOT NULL DEFAULT 0,
    taken_back bigint NOT NULL DEFAULT 0,
    adjusted bigint NOT NULL DEFAULT 0,
    owed bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, day)
);
