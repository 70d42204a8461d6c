-- task skip: the reason a claimed task was ended unworked (outcome 'skipped'); '' otherwise.
ALTER TABLE task ADD COLUMN skip_reason text NOT NULL DEFAULT '';
