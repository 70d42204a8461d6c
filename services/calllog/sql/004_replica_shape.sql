-- The copies of intake's branches and agents take the shape every service's copies share
-- (hf_replica: branch code, tz, windows; agent branch, id, role, active), so that one set
-- of handlers in common/ keeps them. Call-log reads only what it read before.
ALTER TABLE branch ADD COLUMN windows text NOT NULL DEFAULT '';
ALTER TABLE agent ADD COLUMN active boolean NOT NULL DEFAULT true;
