-- The due-index's to-do list in a narrow table of its own (issue 14, "The scheduler's own
-- aim"). The index timer used to mark each task it put into Redis with `UPDATE task SET
-- indexed = true`: `indexed` is named by a partial index's predicate, so that update was never
-- HOT and wrote every new task's row a second time (a third with the row lock of its SELECT
-- ... FOR UPDATE SKIP LOCKED), with an entry in every index of task: the largest statement a
-- lead at the national day's load. Now the tasks still to be put into Redis are rows of
-- task_unindexed; the index timer locks them (SKIP LOCKED), puts the tasks still planned and
-- deletes the rows in the transaction after the put, and never writes task.
--
-- The list is filled by triggers, so every place that makes a task or asks for a re-index
-- (`indexed = false` in the SET list: a move back to planned, a re-date, a rollover) keeps
-- doing so as it did: a statement-level AFTER INSERT trigger with a transition table (one
-- statement per insert), and a row-level AFTER UPDATE OF indexed trigger, which fires only
-- for the UPDATEs that name the column (the assignment's bag UPDATE does not). `indexed` is
-- now only that request: nothing sets it true any more. The functions keep the schema's
-- search_path (a session of another role, e.g. an operator's psql, may insert tasks too).
CREATE TABLE task_unindexed (
    branch text NOT NULL,
    id bigint NOT NULL,
    PRIMARY KEY (branch, id)
);
INSERT INTO task_unindexed (branch, id)
    SELECT branch, id FROM task WHERE state = 'planned' AND NOT indexed AND channel <> 'letter';
DROP INDEX task_unindexed_spoken;

CREATE FUNCTION task_unindexed_made() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO task_unindexed (branch, id)
        SELECT branch, id FROM task_made
         WHERE state = 'planned' AND NOT indexed AND channel <> 'letter';
    RETURN NULL;
END $$;
CREATE TRIGGER task_unindexed_made AFTER INSERT ON task REFERENCING NEW TABLE AS task_made
    FOR EACH STATEMENT EXECUTE FUNCTION task_unindexed_made();

-- DO UPDATE, not DO NOTHING: a row the index timer holds (it may have read the task's old due
-- time) is waited for; once the timer has deleted it and committed, the insert is retried and
-- the task goes into Redis again with what this transaction wrote.
CREATE FUNCTION task_unindexed_asked() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO task_unindexed (branch, id) VALUES (NEW.branch, NEW.id)
        ON CONFLICT (branch, id) DO UPDATE SET id = excluded.id;
    RETURN NULL;
END $$;
CREATE TRIGGER task_unindexed_asked AFTER UPDATE OF indexed ON task FOR EACH ROW
    WHEN (NEW.state = 'planned' AND NOT NEW.indexed AND NEW.channel <> 'letter')
    EXECUTE FUNCTION task_unindexed_asked();
