-- customer edit: each field changed by hand, with its value before and after, who changed it
-- and when. Written in the transaction of the change, read by customer show (the history).
CREATE TABLE customer_change (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customer (id),
    field text NOT NULL,              -- the LeadAdd field name: name, address, windows, ...
    old_value text NOT NULL,
    new_value text NOT NULL,
    actor text NOT NULL DEFAULT '',   -- the agent or user acting, '' for ops
    changed_at_ms bigint NOT NULL     -- UTC ms
);
CREATE INDEX customer_change_customer ON customer_change (customer_id, id);
