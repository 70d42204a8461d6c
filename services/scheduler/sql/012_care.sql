-- Member care, the gaps of issue 16 (sched_occasion.c): a greeting is for its day.

-- The open occasion tasks, for the timer that cancels those past their day and grace, and
-- the task each occasion_made row made (its day).
CREATE INDEX task_occasion_open ON task (id)
    WHERE origin = 'occasion' AND state IN ('planned', 'assigned', 'paused');
CREATE INDEX occasion_made_task ON occasion_made (task_id) WHERE result = 'task';

-- One place for what to say: a campaign task's talking points are stored with the task when
-- it is made (sched_campaign.c; TaskContext.talking_points is no longer filled). The open
-- campaign tasks made before get them here, in front of any greeting merged into them.
UPDATE task t SET talking_points = k.name || ' at ' || k.place || ', '
        || to_char(to_timestamp(k.at_ms / 1000.0) AT TIME ZONE b.tz, 'YYYY-MM-DD HH24:MI')
        || ' (' || CASE t.purpose WHEN 'campaign-invite' THEN 'invite; log accepted or declined'
                   WHEN 'campaign-reminder' THEN 'remind: they accepted'
                   ELSE 'thank them for coming' END || ')'
        || CASE WHEN t.talking_points = '' THEN '' ELSE E'\n' || t.talking_points END
    FROM campaign k JOIN branch b ON b.code = k.branch
    WHERE k.id = t.campaign_id AND t.origin = 'campaign'
      AND t.state IN ('planned', 'assigned', 'claimed', 'paused');

-- The customer's language (BCP 47, '' = the branch's) from intake's Customer.language, for
-- the letters batch (sched_letters.c); a copy made before gets it with its next event.
ALTER TABLE customer ADD COLUMN language text NOT NULL DEFAULT '';
