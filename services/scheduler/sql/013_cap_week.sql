-- The weekly contact cap's count (issue 14; sched_cap.c, SCHED_Q_CAP_CHECK): a customer's calls
-- in date bags, by bag day, so the count of one ISO week reads that week's calls only, not
-- every task the customer ever had (task_customer). Same predicate as the count's (channel
-- phone, SCHED_CAP_CHANNELS; assigned, claimed or done); the outcome stays out of it, so an
-- update of the outcome alone can still be HOT.
CREATE INDEX task_cap_week ON task (customer_id, bag_date)
    WHERE channel = 'phone' AND state IN ('assigned', 'claimed', 'done');
