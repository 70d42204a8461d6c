-- A complaint of category adverse-reaction filed directly (not from a contact) sends a
-- doctor too; complaint_id ties that visit to its complaint, once.
ALTER TABLE task ADD COLUMN complaint_id bigint;
CREATE UNIQUE INDEX task_from_complaint ON task (complaint_id, origin) WHERE complaint_id IS NOT NULL;
