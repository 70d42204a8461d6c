-- A customer's purchases found by customer_id (issue 14, the national day): a brief task show
-- (calllog asks one at every call logged) and a task's context read every purchase of the
-- task's customer, and nothing indexed purchase.customer_id: both read the whole table, every
-- purchase of the chain, twice a call (617 rows a call over a tenth of the chain's day, the
-- table growing by every order). The index also gives both their order (nth, id).
CREATE INDEX purchase_customer ON purchase (customer_id, nth, id);
