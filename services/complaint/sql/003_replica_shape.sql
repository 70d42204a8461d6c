-- The copies of intake's branches and products take the shape every service's copies share
-- (hf_replica: branch code, tz, windows; product branch, code, name, days_per_unit,
-- price_fen), so that one set of handlers in common/ keeps them. Complaint reads only what
-- it read before.
ALTER TABLE branch ADD COLUMN windows text NOT NULL DEFAULT '';
ALTER TABLE product ADD COLUMN name text NOT NULL DEFAULT '',
    ADD COLUMN days_per_unit int NOT NULL DEFAULT 0;
