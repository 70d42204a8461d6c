-- A task's update pays for no list check (issue 14, pgcpu9). Postgres checks every CHECK
-- constraint of a table on every UPDATE of a row, whatever columns it changes, and reads each
-- constraint's stored expression again (stringToNode) and prepares it again
-- (expression_planner, ExecInitExpr) at every execution of the statement: task's two list
-- checks (state IN (...), origin IN (...)) were paid by each claim, each call logged, each
-- assignment batch and each re-dating of a task, and by every insert. A domain's check is read
-- and planned once a connection (the type cache) and runs where a value of it is written (an
-- INSERT, an UPDATE that sets the column): the same values are refused where they were, and an
-- update that leaves origin alone (all of them) pays nothing for it. As intake's customer
-- (intake 012): the domains are made bare, the columns moved to them (binary-coercible: the
-- rows are not rewritten; the indexes naming state are rebuilt), then their checks added
-- (ALTER DOMAIN validates the rows there). The re-index request's trigger (019) names state in
-- its WHEN, which a column's type change may not keep: it is dropped and made again as it was.
CREATE DOMAIN task_state AS text;
CREATE DOMAIN task_origin AS text;
DROP TRIGGER task_unindexed_asked ON task;
ALTER TABLE task
    DROP CONSTRAINT task_state_check,
    DROP CONSTRAINT task_origin_check,
    ALTER COLUMN state TYPE task_state,
    ALTER COLUMN origin TYPE task_origin;
ALTER DOMAIN task_state ADD CONSTRAINT task_state_check
    CHECK (VALUE IN ('planned', 'assigned', 'claimed', 'done', 'cancelled', 'paused'));
ALTER DOMAIN task_origin ADD CONSTRAINT task_origin_check
    CHECK (VALUE IN ('plan', 'callback', 'adverse', 'promised', 'campaign', 'occasion'));
CREATE TRIGGER task_unindexed_asked AFTER UPDATE OF indexed ON task FOR EACH ROW
    WHEN (NEW.state = 'planned' AND NOT NEW.indexed AND NEW.channel <> 'letter')
    EXECUTE FUNCTION task_unindexed_asked();
