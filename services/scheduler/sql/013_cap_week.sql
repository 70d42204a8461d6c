-- The weekly contact cap's count (issue 14; sched_cap.c, SCHED_Q_CAP_CHECK) reads one ISO
-- week of a customer's bags: the customer's index gains the bag day, so that count is a range
-- of the index (this week's tasks only) instead of every task the customer ever had. It
-- replaces the index on customer_id alone, which every lookup by customer still uses by its
-- first column: no index more to write when a task is assigned (a partial index of calls in
-- bags, the other way, cost one more index entry per assignment).
DROP INDEX task_customer;
CREATE INDEX task_customer ON task (customer_id, bag_date);
