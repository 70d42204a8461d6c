-- alerts ack: a manager acknowledges a regulator alert, once.
ALTER TABLE alert ADD COLUMN acked_at_ms bigint NOT NULL DEFAULT 0,  -- UTC ms; 0: not yet
    ADD COLUMN acked_by text NOT NULL DEFAULT '',
    ADD COLUMN ack_note text NOT NULL DEFAULT '';
