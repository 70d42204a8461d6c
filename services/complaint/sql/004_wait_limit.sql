-- A card waiting on the customer stops its clock, but not for ever: after the category's wait
-- limit (wall-clock hours; 0: none) the clock runs again by itself ("wait-expired"), and the
-- card warns and escalates like any other. Copied onto the card at filing, as the period is.
ALTER TABLE sla ADD COLUMN wait_hours int NOT NULL DEFAULT 72 CHECK (wait_hours BETWEEN 0 AND 720);
ALTER TABLE complaint ADD COLUMN wait_limit_ms bigint NOT NULL DEFAULT 0;  -- 0: no limit
