-- tests/e2e/hq_seed.sql: figures for the headquarters report tests (505, 506), written
-- straight into reporting's read models for the branches reporting already knows (made
-- through `huifang branch add`), each branch a multiple m of the first (1, 2, 3, ...) with
-- day-to-day variation, so that every column of every report has something to add up.
-- November 2026 (weeks 45-48), one earlier month for the overdue carried in, a product of
-- its own (P9) for the values; the branch rollups (branch_day, branch_month, step_month) are
-- the sums of the agents' and steps' rows, as the handlers keep them.
SET search_path = reporting;
CREATE TEMP TABLE b AS SELECT code, row_number() OVER (ORDER BY code)::int m FROM branch;
CREATE TEMP TABLE d AS SELECT day::date, extract(day FROM day)::int n
    FROM generate_series(date '2026-11-01', date '2026-11-22', interval '1 day') day;
CREATE TEMP TABLE ag AS SELECT b.code branch, b.code || x.id id, x.role, b.m
    FROM b, (VALUES ('P1', 'phone'), ('P2', 'phone'), ('C1', 'consult'), ('V1', 'visit')) x(id, role);

INSERT INTO product (branch, code, name, price_fen, days_per_unit, plan)
SELECT code, 'P9', 'Seed product', 12345 + m, 30, 'monthly-course' FROM b ON CONFLICT DO NOTHING;
INSERT INTO agent (branch, id, name, role) SELECT branch, id, 'Seed ' || id, role FROM ag
ON CONFLICT DO NOTHING;
INSERT INTO agent_day (branch, day, agent, tasks_due, opened, closed, attempts, contacts, orders,
                       complaints, consultations, consult_bought, visits)
SELECT ag.branch, d.day, ag.id,
       CASE WHEN ag.role IN ('phone', 'visit') THEN d.n % 3 + ag.m ELSE 0 END,
       CASE WHEN ag.role IN ('phone', 'visit') THEN ag.m ELSE 0 END,
       CASE WHEN ag.role IN ('phone', 'visit') THEN d.n % 2 ELSE 0 END,
       CASE WHEN ag.role = 'phone' THEN 5 * ag.m + d.n % 4 ELSE 0 END,
       CASE WHEN ag.role = 'phone' THEN 3 * ag.m - d.n % 2 ELSE 0 END,
       CASE WHEN ag.role = 'phone' THEN d.n % 2 ELSE 0 END,
       CASE WHEN ag.role = 'phone' AND d.n % 5 = 0 THEN 1 ELSE 0 END,
       CASE WHEN ag.role = 'consult' THEN ag.m + d.n % 3 ELSE 0 END,
       CASE WHEN ag.role = 'consult' THEN d.n % 2 ELSE 0 END,
       CASE WHEN ag.role = 'visit' THEN 1 + d.n % 2 ELSE 0 END
FROM ag, d;
INSERT INTO agent_month (branch, agent, month, net)
SELECT branch, id, date '2026-10-01', 2 * m FROM ag WHERE role IN ('phone', 'visit');
INSERT INTO order_day (branch, day, agent, product, orders, units)
SELECT ag.branch, d.day, ag.id, 'P9', 1, d.n % 3 + 1 FROM ag, d
WHERE ag.role = 'phone' AND d.n % 2 = 1;
INSERT INTO step_day (branch, due_day, planned, on_time, late, cancelled)
SELECT b.code, day::date, 10 * b.m, 5, 2, 1 + extract(day FROM day)::int % 2
FROM b, generate_series(date '2026-11-01', date '2026-11-30', interval '1 day') day;
-- steps of October still open: the backlog carried in from a month before
INSERT INTO step_day (branch, due_day, planned, on_time, late, cancelled)
SELECT b.code, day::date, 3 * b.m + extract(day FROM day)::int % 3, 1, 1, 0
FROM b, generate_series(date '2026-10-20', date '2026-10-31', interval '1 day') day;
INSERT INTO lead_day (branch, day, channel, source, collector, registered, merged, rejected)
SELECT b.code, d.day, ch, '', b.code || 'P1', b.m + d.n % 2, 1, d.n % 2
FROM b, d, unnest(ARRAY['counter', 'mail']) ch WHERE d.day >= date '2026-11-16';
INSERT INTO repurchase_month (branch, month, product, plan, gap, n)
SELECT code, date '2026-11-01', 'P9', 'monthly-course', g, CASE WHEN g = 10 THEN 3 * m ELSE 2 END
FROM b, unnest(ARRAY[10, 40, 9999]) g;
-- complaints opened in week 47: resolved in time, resolved late, open overdue, open
INSERT INTO complaint (id, branch, opened_day, category, agent, state, breaches, opened_at_ms,
                       due_at_ms, resolved_at_ms)
SELECT 900000 + b.m * 100 + i, b.code, date '2026-11-16' + i % 7,
       (ARRAY['attitude', 'delivery', 'product-effect'])[i % 3 + 1], b.code || 'P1',
       CASE WHEN i % 4 < 2 THEN 'resolved' ELSE 'open' END, CASE WHEN i % 4 = 1 THEN 1 ELSE 0 END,
       1763251200000 + i * 3600000,
       CASE WHEN i % 4 = 2 THEN 1763251200000 ELSE 1893456000000 END,
       CASE WHEN i % 4 < 2 THEN 1763337600000 ELSE 0 END
FROM b, generate_series(1, 3 + 2 * b.m) i;
INSERT INTO complaint_day (branch, day, escalations, returns_requested, returns_approved,
                           returns_rejected, refund_fen, risks)
SELECT b.code, d.day, d.n % 2, b.m, d.n % 2, 1 - d.n % 2, 1000 * b.m + d.n, d.n % 3 / 2
FROM b, d WHERE d.day >= date '2026-11-16';
INSERT INTO order_month (branch, month, agent, region, product, orders, units)
SELECT ag.branch, date '2026-11-01', ag.id, r, 'P9', 4 * ag.m, 5 * ag.m + length(r)
FROM ag, unnest(ARRAY['north', 'south']) r WHERE ag.role = 'phone';
INSERT INTO commission_rate (branch, from_month, rate_bp)
SELECT code, date '2026-10-01', 250 * m + 3 FROM b WHERE m <= 2;
-- the branch's rollups the handlers keep beside the agents' and the steps' (migration 008):
-- their sums, as the migration's backfill makes them
DELETE FROM branch_day WHERE branch IN (SELECT code FROM b);
DELETE FROM branch_month WHERE branch IN (SELECT code FROM b);
DELETE FROM step_month WHERE branch IN (SELECT code FROM b);
INSERT INTO branch_day (branch, day, tasks_due, opened, closed, attempts, contacts, orders,
                        complaints, consultations, consult_bought, visits)
SELECT branch, day, sum(tasks_due), sum(opened), sum(closed), sum(attempts), sum(contacts),
       sum(orders), sum(complaints), sum(consultations), sum(consult_bought), sum(visits)
FROM agent_day WHERE branch IN (SELECT code FROM b) GROUP BY branch, day;
INSERT INTO branch_month (branch, month, net)
SELECT branch, month, sum(net) FROM agent_month WHERE branch IN (SELECT code FROM b)
GROUP BY branch, month;
INSERT INTO step_month (branch, month, open)
SELECT branch, date_trunc('month', due_day)::date, sum(planned - on_time - late - cancelled)
FROM step_day WHERE branch IN (SELECT code FROM b) GROUP BY 1, 2;
