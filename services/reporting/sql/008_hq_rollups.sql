-- Rollups per branch for the headquarters reports (issue 14): the same counters as the
-- per-agent rows, summed over the branch's agents, so that a day of a 1,000-branch chain is
-- 1,000 rows, not 10,000. The event handlers add to them through the same per-batch
-- counters (rep_count) as to the agent rows, in the same transaction: each equals, at every
-- commit, the sum of the rows it summarises (tests/e2e/507_hq_rollups.sh checks it).
--
-- branch_day: the agent_day counters of every agent of the branch and local day.
CREATE TABLE branch_day (
    branch text NOT NULL,
    day date NOT NULL,
    tasks_due int NOT NULL DEFAULT 0,
    opened int NOT NULL DEFAULT 0,
    closed int NOT NULL DEFAULT 0,
    attempts int NOT NULL DEFAULT 0,
    contacts int NOT NULL DEFAULT 0,
    orders int NOT NULL DEFAULT 0,
    complaints int NOT NULL DEFAULT 0,
    consultations int NOT NULL DEFAULT 0,
    consult_bought int NOT NULL DEFAULT 0,
    visits int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, day)
);
-- branch_month: agent_month's net (assignments opened - closed) of every agent of the
-- branch and local month.
CREATE TABLE branch_month (
    branch text NOT NULL,
    month date NOT NULL,                   -- first day of the local month
    net int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, month)
);
-- step_month: the plan steps still open (planned - on time - late - cancelled) of the
-- step_day rows whose due day falls in the local month: the overdue backlog before a day is
-- the months before its month plus its month's days before it.
CREATE TABLE step_month (
    branch text NOT NULL,
    month date NOT NULL,                   -- first day of the local month of the due day
    open int NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, month)
);

-- A report of every branch reads a period of the whole chain: by day, not branch by branch
-- (1,000 descents of the (branch, day) key cost the planner as much as reading the table,
-- which it then does). The branch's own reports keep reading by their primary keys.
CREATE INDEX branch_day_day ON branch_day (day);
CREATE INDEX step_day_due ON step_day (due_day);
CREATE INDEX order_day_day ON order_day (day);

-- what the handlers built before this migration, summed from the rows they wrote
INSERT INTO branch_day (branch, day, tasks_due, opened, closed, attempts, contacts, orders,
                        complaints, consultations, consult_bought, visits)
SELECT branch, day, sum(tasks_due), sum(opened), sum(closed), sum(attempts), sum(contacts),
       sum(orders), sum(complaints), sum(consultations), sum(consult_bought), sum(visits)
FROM agent_day GROUP BY branch, day ORDER BY day, branch;
INSERT INTO branch_month (branch, month, net)
SELECT branch, month, sum(net) FROM agent_month GROUP BY branch, month ORDER BY month, branch;
INSERT INTO step_month (branch, month, open)
SELECT branch, date_trunc('month', due_day)::date, sum(planned - on_time - late - cancelled)
FROM step_day GROUP BY 1, 2 ORDER BY 2, 1;
