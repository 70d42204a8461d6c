-- Complaint owns complaint cards and returns. This first migration holds the cards that
-- call-log contacts raise (an adverse effect is a complaint of category adverse-reaction);
-- the 24-hour clock, escalation and returns come in later migrations.
CREATE TABLE complaint (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    customer_id bigint NOT NULL,
    category text NOT NULL,
    source_contact bigint UNIQUE,         -- the call-log contact that raised it, if any
    state text NOT NULL DEFAULT 'open',
    opened_at_ms bigint NOT NULL
);
