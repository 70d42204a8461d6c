-- tests/bench/hq/load.sql: a national chain in reporting's read models, for the headquarters
-- benchmark (run.sh). 1,000 branches (codes B0001..B1000, four time zones), 10,000 agents
-- (ten a branch: six phone, two consultation, two home visit), and a year of daily rows
-- (2026): agent_day (3.65M rows), order_day (every other day for the phone agents, 1.1M),
-- step_day, lead_day (two channels), complaint_day, complaints (100 a branch), order_month,
-- agent_month, repurchase_month, the branch rollups (branch_day, branch_month, step_month:
-- the sums of the agents' and steps' rows) and a commission rate for half the branches. Deterministic
-- (generate_series and arithmetic), written straight into the rollups: the same rows the
-- event handlers build one event at a time, reached without sending the events.
SET search_path = reporting;
SET synchronous_commit = off;

INSERT INTO branch (code, name, tz)
SELECT 'B' || lpad(i::text, 4, '0'), 'Branch ' || i,
       (ARRAY['Asia/Shanghai', 'Asia/Urumqi', 'Asia/Hong_Kong', 'Asia/Harbin'])[i % 4 + 1]
FROM generate_series(1, 1000) i;
CREATE TEMP TABLE ag AS
SELECT 'B' || lpad(b::text, 4, '0') branch, 'B' || lpad(b::text, 4, '0') || 'A' || k id, b, k,
       CASE WHEN k <= 6 THEN 'phone' WHEN k <= 8 THEN 'consult' ELSE 'visit' END role
FROM generate_series(1, 1000) b, generate_series(1, 10) k;
INSERT INTO agent (branch, id, name, role) SELECT branch, id, 'Agent ' || id, role FROM ag;
INSERT INTO product (branch, code, name, price_fen, days_per_unit, plan)
SELECT 'B' || lpad(b::text, 4, '0'), 'P' || p, 'Product ' || p, 5000 + p * 1000, 30, 'monthly-course'
FROM generate_series(1, 1000) b, generate_series(1, 4) p;

CREATE TEMP TABLE d AS
SELECT day::date, (day::date - date '2026-01-01') n
FROM generate_series(date '2026-01-01', date '2026-12-31', interval '1 day') day;

INSERT INTO agent_day (branch, day, agent, tasks_due, opened, closed, attempts, contacts, orders,
                       complaints, consultations, consult_bought, visits)
SELECT ag.branch, d.day, ag.id,
       CASE WHEN ag.role <> 'consult' THEN 20 + (d.n + ag.b) % 7 ELSE 0 END,
       CASE WHEN ag.role <> 'consult' THEN 20 + (d.n + ag.b) % 7 ELSE 0 END,
       CASE WHEN ag.role <> 'consult' THEN 19 + (d.n + ag.k) % 9 ELSE 0 END,
       CASE WHEN ag.role = 'phone' THEN 25 + (d.n * ag.k) % 11 ELSE 0 END,
       CASE WHEN ag.role = 'phone' THEN 15 + (d.n * ag.k) % 7 ELSE 0 END,
       CASE WHEN ag.role = 'phone' THEN (d.n + ag.k) % 4 ELSE 0 END,
       CASE WHEN ag.role = 'phone' AND (d.n + ag.b) % 13 = 0 THEN 1 ELSE 0 END,
       CASE WHEN ag.role = 'consult' THEN 10 + (d.n + ag.b) % 5 ELSE 0 END,
       CASE WHEN ag.role = 'consult' THEN (d.n + ag.k) % 4 ELSE 0 END,
       CASE WHEN ag.role = 'visit' THEN 5 + d.n % 3 ELSE 0 END
FROM ag, d ORDER BY d.day, ag.branch; -- in time order, as the events build it
INSERT INTO agent_month (branch, agent, month, net)
SELECT ag.branch, ag.id, m::date, (ag.b + extract(month FROM m)::int) % 5
FROM ag, generate_series(date '2026-01-01', date '2026-12-01', interval '1 month') m
WHERE ag.role <> 'consult';
INSERT INTO order_day (branch, day, agent, product, orders, units)
SELECT ag.branch, d.day, ag.id, 'P' || ((d.n + ag.k) % 4 + 1), 1 + (d.n + ag.k) % 3, 2 + d.n % 3
FROM ag, d WHERE ag.role = 'phone' AND (d.n + ag.k) % 2 = 0 ORDER BY d.day, ag.branch;
INSERT INTO order_month (branch, month, agent, region, product, orders, units)
SELECT ag.branch, m::date, ag.id, 'r' || r, 'P' || r, 20 + ag.k, 40 + ag.b % 9
FROM ag, generate_series(date '2026-01-01', date '2026-12-01', interval '1 month') m,
     generate_series(1, 2) r WHERE ag.role = 'phone';
INSERT INTO step_day (branch, due_day, planned, on_time, late, cancelled)
SELECT 'B' || lpad(b::text, 4, '0'), d.day, 200 + b % 50, 150 + b % 40, 20, 5
FROM generate_series(1, 1000) b, d;
INSERT INTO lead_day (branch, day, channel, source, collector, registered, merged, rejected)
SELECT 'B' || lpad(b::text, 4, '0'), d.day, ch, 'fair', 'B' || lpad(b::text, 4, '0') || 'A1',
       10 + (d.n + b) % 6, 2, (d.n + b) % 3
FROM generate_series(1, 1000) b, d, unnest(ARRAY['counter', 'clinic']) ch;
INSERT INTO complaint_day (branch, day, escalations, returns_requested, returns_approved,
                           returns_rejected, refund_fen, risks)
SELECT 'B' || lpad(b::text, 4, '0'), d.day, (d.n + b) % 3 / 2, (d.n + b) % 4 / 3, (d.n + b) % 8 / 7,
       0, ((d.n + b) % 8 / 7) * 9900, 0
FROM generate_series(1, 1000) b, d;
INSERT INTO complaint (id, branch, opened_day, category, agent, state, breaches, opened_at_ms,
                       due_at_ms, resolved_at_ms)
SELECT b * 1000 + i, 'B' || lpad(b::text, 4, '0'), date '2026-01-01' + (i * 3 + b) % 365,
       (ARRAY['attitude', 'delivery', 'product-effect', 'price'])[i % 4 + 1],
       'B' || lpad(b::text, 4, '0') || 'A1', CASE WHEN i % 3 = 0 THEN 'open' ELSE 'resolved' END,
       i % 7 / 6, 1767225600000 + ((i * 3 + b) % 365)::bigint * 86400000,
       1767225600000 + ((i * 3 + b) % 365 + 2)::bigint * 86400000,
       CASE WHEN i % 3 = 0 THEN 0 ELSE 1767225600000 + ((i * 3 + b) % 365 + 1 + i % 3)::bigint * 86400000 END
FROM generate_series(1, 1000) b, generate_series(1, 100) i;
INSERT INTO repurchase_month (branch, month, product, plan, gap, n)
SELECT 'B' || lpad(b::text, 4, '0'), m::date, 'P' || p, 'monthly-course', g, 5 + (b + p + g) % 7
FROM generate_series(1, 1000) b, generate_series(date '2026-01-01', date '2026-12-01', interval '1 month') m,
     generate_series(1, 4) p, unnest(ARRAY[5, 20, 60, 9999]) g;
-- the branch's rollups (migration 008), as the handlers keep them beside the agents' and the
-- steps' rows: their sums, built day by day in time order as the events build them
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
INSERT INTO commission_rate (branch, from_month, rate_bp)
SELECT 'B' || lpad(b::text, 4, '0'), date '2026-01-01', 300 + b % 200
FROM generate_series(1, 1000, 2) b;
ANALYZE;
