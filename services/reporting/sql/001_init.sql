-- Reporting's read models, built from events only, exactly once.
-- event_tally: how many events of each kind each branch produced per UTC day; the base
-- of the event-stream checks and of the reports that follow.
CREATE TABLE event_tally (
    producer text NOT NULL,
    payload text NOT NULL,
    branch text NOT NULL,
    day date NOT NULL,          -- UTC date of occurred_at
    n bigint NOT NULL,
    PRIMARY KEY (producer, payload, branch, day)
);
