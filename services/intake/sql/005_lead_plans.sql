-- Every lead gets its first call (issue 13): the conversion plan a lead without a purchase
-- starts, per channel, "counter=new-lead,consult=consult-not-converted,mail=none"; "" takes
-- the defaults (consult: consult-not-converted, every other channel: new-lead), "none" starts
-- no plan for any channel. Checked when set (channels known, plans asked of the scheduler).
ALTER TABLE branch ADD COLUMN lead_plans text NOT NULL DEFAULT '';
