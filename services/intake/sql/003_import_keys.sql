-- Bulk imports without a key row per lead: a recorded row's key (the first 128 bits of
-- SHA-256 over the branch and its content) is kept on its lead source instead of in
-- import_row, whose random-keyed index cost an import more than any other table.
--
-- A row is recorded at most once because (intake_lead.c, intake_leads_record):
--  - a row whose phone this batch claims as new cannot have been recorded before (recording
--    it would have claimed the phone);
--  - a row of a known phone is looked up among its customer's lead sources (the primary key
--    leads with customer_id) after that customer is locked FOR UPDATE, so a concurrent
--    import of the same row has committed its source by then, and a merge cannot move it.
-- No index on row_key: it is only ever read through customer_id.
ALTER TABLE lead_source ADD COLUMN row_key uuid;

-- import_row now holds only the keys of rejected rows (rejected = true), so that a rerun
-- answers them again without telling the others (LeadRejected) twice. Keys from before this
-- migration (rejected IS NULL) were claimed by every imported row: a row of a known phone
-- whose key is among them counts as already imported, as it did then.
ALTER TABLE import_row ADD COLUMN rejected boolean;
