-- tests/bench/reporting/load.sql: a year of one large branch in reporting's schema, for
-- the benchmark (run.sh). 10,000,000 contacts (call records), 10,000,000 plan steps,
-- 1,000,000 customers, 1,500,000 purchases, 2,000,000 leads, 100,000 complaints; 700 agents
-- (600 phone, 50 consultation, 50 visitors) in 20 regions, 8 products, 300 lead collectors.
--
-- The raw records are inserted in bulk (generate_series, deterministic), and the rollups are
-- then built from them with one INSERT ... SELECT ... GROUP BY each: the same sums the event
-- handlers accumulate one event at a time, reached without sending 30 million events through
-- the stream. The raw records stay in place (reporting keeps contacts, tasks, purchases and
-- complaints; the leads, which reporting does not keep, go to a table of their own in the
-- schema "bench") so that the benchmark can time a full scan of them beside each report.
SET search_path = reporting;
SET synchronous_commit = off;

INSERT INTO branch (code, name, tz) VALUES ('BJ01', 'Bench branch', 'Asia/Shanghai');
INSERT INTO agent (branch, id, name, role, regions, active)
SELECT 'BJ01', 'A' || lpad(i::text, 4, '0'), 'Agent ' || i,
       CASE WHEN i <= 600 THEN 'phone' WHEN i <= 650 THEN 'consult' ELSE 'visit' END,
       ARRAY['r' || lpad((i % 20 + 1)::text, 2, '0')], true
FROM generate_series(1, 700) i;
INSERT INTO product (branch, code, name, price_fen, days_per_unit, plan)
SELECT 'BJ01', 'P' || i, 'Product ' || i, 5000 + i * 1000, 30, 'monthly-course'
FROM generate_series(1, 8) i;

INSERT INTO customer (id, branch, region, card_type, void_reason)
SELECT i, 'BJ01', 'r' || lpad((i % 20 + 1)::text, 2, '0'),
       (ARRAY['new', 'one-on-one', 'customer', 'void'])[i % 4 + 1],
       CASE WHEN i % 4 = 3 THEN (ARRAY['refused', 'unanswered', 'invalid-phone'])[i % 3 + 1] ELSE '' END
FROM generate_series(1, 1000000) i;

-- 10M contacts over 2026, about 27,400 a day; 5% are home visits; a third unanswered;
-- one in ten takes an order of 1-3 units
INSERT INTO contact (id, branch, day, agent, customer_id, task_id, channel, outcome, contacted,
                     order_qty, order_product, region)
SELECT i, 'BJ01', date '2026-01-01' + (i / 27398)::int,
       CASE WHEN i % 20 = 0 THEN 'A' || lpad((651 + i % 50)::text, 4, '0')
            ELSE 'A' || lpad((i * 31 % 600 + 1)::text, 4, '0') END,
       i % 1000000 + 1, i,
       CASE WHEN i % 20 = 0 THEN 'visit' ELSE 'phone' END,
       CASE WHEN i % 3 = 0 THEN 'no-answer' ELSE 'connected' END,
       i % 3 <> 0,
       CASE WHEN i % 10 = 1 THEN i % 3 + 1 ELSE 0 END,
       CASE WHEN i % 10 = 1 THEN 'P' || (i % 8 + 1) ELSE '' END,
       'r' || lpad(((i % 1000000 + 1) % 20 + 1)::text, 4 - 2, '0')
FROM generate_series(1, 10000000) i;

-- 10M plan steps: one a contact; 80% done (a fifth of them a day late), 8% cancelled, the
-- rest open; each in the date bag of its contact's agent
INSERT INTO task (id, branch, customer_id, purchase_id, plan_id, step_no, purpose, due_day, state,
                  agent, bag_day, last_bag_agent, last_bag_day, claims, calls, done_day)
SELECT c.id, 'BJ01', c.customer_id, c.customer_id, c.customer_id, 1, 'care', c.day,
       CASE WHEN c.id % 25 < 20 THEN 'done' WHEN c.id % 25 < 22 THEN 'cancelled' ELSE 'assigned' END,
       CASE WHEN c.id % 25 >= 22 THEN c.agent ELSE '' END,
       CASE WHEN c.id % 25 >= 22 THEN c.day END, c.agent, c.day, 1, 1,
       CASE WHEN c.id % 25 < 20 THEN c.day + (c.id % 5 = 0)::int END
FROM contact c;

INSERT INTO purchase (id, branch, customer_id, product, plan, quantity, price_fen, purchase_day,
                      supply_end, nth, next_day)
SELECT i, 'BJ01', i % 1000000 + 1, 'P' || (i % 8 + 1),
       (ARRAY['monthly-course', 'single-course', 'member'])[i % 3 + 1], 1 + i % 3,
       (5000 + (i % 8 + 1) * 1000) * (1 + i % 3), date '2025-12-01' + (i / 4110)::int,
       date '2025-12-01' + (i / 4110)::int + 30 * (1 + i % 3), i / 1000000 + 1, NULL
FROM generate_series(1, 1500000) i;
-- the next purchase of the same customer (nth + 1)
UPDATE purchase p SET next_day = n.purchase_day FROM purchase n
WHERE n.customer_id = p.customer_id AND n.nth = p.nth + 1;

INSERT INTO complaint (id, branch, opened_day, category, agent, state, level, opened_at_ms,
                       due_at_ms, resolved_at_ms)
SELECT i, 'BJ01', date '2026-01-01' + (i / 274)::int,
       (ARRAY['product-effect', 'attitude', 'delivery', 'price', 'other'])[i % 5 + 1],
       'A' || lpad((i * 31 % 600 + 1)::text, 4, '0'),
       CASE WHEN i % 10 = 0 THEN 'open' ELSE 'resolved' END, (i % 7 = 0)::int,
       extract(epoch FROM (date '2026-01-01' + (i / 274)::int)::timestamptz)::bigint * 1000,
       extract(epoch FROM (date '2026-01-01' + (i / 274)::int)::timestamptz)::bigint * 1000 + 86400000,
       CASE WHEN i % 10 = 0 THEN 0
            ELSE extract(epoch FROM (date '2026-01-01' + (i / 274)::int)::timestamptz)::bigint * 1000
                 + (i % 30) * 3600000 END
FROM generate_series(1, 100000) i;

CREATE SCHEMA bench;
-- 300 collectors, each at one place (source) of one channel
CREATE TABLE bench.lead AS
SELECT i AS id, date '2026-01-01' + (i / 5480)::int AS day,
       (ARRAY['counter', 'consult', 'clinic', 'hospital', 'mail', 'referral', 'other'])[i % 300 % 7 + 1] AS channel,
       'source ' || (i % 300 % 40) AS source, 'S' || lpad((i % 300)::text, 3, '0') AS collector,
       CASE WHEN i % 9 = 0 THEN 'merged' WHEN i % 23 = 0 THEN 'rejected' ELSE 'registered' END AS kind
FROM generate_series(1, 2000000) i;

-- ---- the rollups, from the raw records ----
INSERT INTO agent_day (branch, day, agent, tasks_due, opened, closed, attempts, contacts, orders,
                       visits)
SELECT 'BJ01', day, agent, count(*), count(*), count(*) FILTER (WHERE id % 25 < 22),
       count(*) FILTER (WHERE channel <> 'visit'),
       count(*) FILTER (WHERE channel <> 'visit' AND contacted),
       count(*) FILTER (WHERE order_qty > 0), count(*) FILTER (WHERE channel = 'visit')
FROM contact GROUP BY day, agent;
INSERT INTO agent_day (branch, day, agent, consultations, consult_bought)
SELECT 'BJ01', d, 'A' || lpad(a::text, 4, '0'), 20 + a % 7, 8 + a % 5
FROM generate_series(date '2026-01-01', date '2026-12-31', interval '1 day') d,
     generate_series(601, 650) a;
INSERT INTO agent_month (branch, agent, month, net)
SELECT branch, agent, date_trunc('month', day)::date, sum(opened - closed)
FROM agent_day GROUP BY 1, 2, 3;
INSERT INTO agent_day AS x (branch, day, agent, complaints)
SELECT branch, opened_day, agent, count(*) FROM complaint GROUP BY branch, opened_day, agent
ON CONFLICT (branch, agent, day) DO UPDATE SET complaints = x.complaints + EXCLUDED.complaints;

INSERT INTO order_day (branch, day, agent, product, orders, units)
SELECT 'BJ01', day, agent, order_product, count(*), sum(order_qty)
FROM contact WHERE order_qty > 0 GROUP BY day, agent, order_product;
INSERT INTO order_month (branch, month, agent, region, product, orders, units)
SELECT 'BJ01', date_trunc('month', day)::date, agent, region, order_product, count(*), sum(order_qty)
FROM contact WHERE order_qty > 0 GROUP BY 2, agent, region, order_product;

INSERT INTO step_day (branch, due_day, planned, on_time, late, cancelled)
SELECT 'BJ01', due_day, count(*), count(*) FILTER (WHERE state = 'done' AND done_day <= due_day),
       count(*) FILTER (WHERE state = 'done' AND done_day > due_day),
       count(*) FILTER (WHERE state = 'cancelled')
FROM task GROUP BY due_day;

INSERT INTO lead_day (branch, day, channel, source, collector, registered, merged, rejected)
SELECT 'BJ01', day, channel, source, collector, count(*) FILTER (WHERE kind = 'registered'),
       count(*) FILTER (WHERE kind = 'merged'), count(*) FILTER (WHERE kind = 'rejected')
FROM bench.lead GROUP BY day, channel, source, collector;

INSERT INTO card_count (branch, card_type, n)
SELECT 'BJ01', card_type, count(*) FROM customer GROUP BY card_type;
INSERT INTO card_flow_day (branch, day, from_type, to_type, reason, n)
SELECT 'BJ01', date '2026-01-01' + (id % 365)::int, '', card_type, void_reason, count(*)
FROM customer GROUP BY 2, card_type, void_reason;
INSERT INTO screen_day (branch, day, reason, n)
SELECT 'BJ01', d, r, 15 FROM generate_series(date '2026-01-01', date '2026-12-31', interval '1 day') d,
       unnest(ARRAY['unanswered', 'wrong-number']) r;

INSERT INTO repurchase_month (branch, month, product, plan, gap, n)
SELECT 'BJ01', date_trunc('month', supply_end)::date, product, plan,
       CASE WHEN next_day IS NULL THEN 9999 ELSE greatest(-1, least(367, next_day - supply_end)) END,
       count(*)
FROM purchase GROUP BY 2, 3, 4, 5;

INSERT INTO complaint_day (branch, day, escalations, returns_requested, returns_approved,
                           returns_rejected, refund_fen, risks)
SELECT 'BJ01', opened_day, count(*) FILTER (WHERE level > 0), count(*) / 10, count(*) / 20,
       count(*) / 40, (count(*) / 20) * 16800, count(*) / 50
FROM complaint GROUP BY opened_day;

INSERT INTO terminal_map (branch, region, terminal)
SELECT 'BJ01', 'r' || lpad(i::text, 2, '0'), 'Store ' || (i % 8 + 1) FROM generate_series(1, 20) i;
INSERT INTO commission (branch, rate_bp) VALUES ('BJ01', 500);

VACUUM ANALYZE;
