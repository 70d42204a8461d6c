-- The load's leads (issue 14, "Consumers that keep up"): what a lead's plan and tasks write
-- that nothing reads.
-- - task.plan_id's foreign key: a per-row check (a query and a FOR KEY SHARE lock, itself a
--   heap write with its WAL record, on the plan row) for each task inserted, two a lead. Every
--   task is inserted with the id its plan's insert just returned, in the same transaction,
--   and nothing deletes a plan (plans end as archived or cancelled; migration 014), so the
--   check never fails: the key is dropped.
-- - plan's unique keys on purchase_id and lead_key: a plan has one or the other, and a NULL
--   key is an index entry that no lookup (= $n) and no uniqueness ever reads. Each is now a
--   partial unique index of the plans that have the key: a lead's plan writes one entry
--   fewer (its NULL purchase_id), a purchase's plan one fewer (its NULL lead_key). The
--   plans' inserts say ON CONFLICT DO NOTHING without a target, which every unique index
--   arbitrates, partial or not.
ALTER TABLE task DROP CONSTRAINT task_plan_id_fkey;
CREATE UNIQUE INDEX plan_purchase ON plan (purchase_id) WHERE purchase_id IS NOT NULL;
ALTER TABLE plan DROP CONSTRAINT plan_purchase_id_key;
CREATE UNIQUE INDEX plan_lead_key ON plan (lead_key) WHERE lead_key IS NOT NULL;
ALTER TABLE plan DROP CONSTRAINT plan_lead_key_key;
