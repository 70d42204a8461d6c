-- Member care, the gaps of issue 16 (sched_occasion.c): a greeting is for its day.

-- The open occasion tasks, for the timer that cancels those past their day and grace, and
-- the task each occasion_made row made (its day).
CREATE INDEX task_occasion_open ON task (id)
    WHERE origin = 'occasion' AND state IN ('planned', 'assigned', 'paused');
CREATE INDEX occasion_made_task ON occasion_made (task_id) WHERE result = 'task';
