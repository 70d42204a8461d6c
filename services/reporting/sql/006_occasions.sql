-- Occasions (issue 16, member care): per branch, local day of the calls and occasion, the
-- customers intake found due (intake.occasion_due) and what the scheduler made of them
-- (scheduler.occasion_planned): a greeting call, a talking point merged into a call planned
-- that day, dropped by the weekly contact cap, dropped otherwise (opted out, void, do not
-- disturb, the day passed).
CREATE TABLE occasion_day (
    branch text NOT NULL,
    day date NOT NULL,
    occasion text NOT NULL,
    due bigint NOT NULL DEFAULT 0,
    made bigint NOT NULL DEFAULT 0,
    merged bigint NOT NULL DEFAULT 0,
    dropped_cap bigint NOT NULL DEFAULT 0,
    dropped bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, day, occasion)
);
