-- Customers' addresses, copied from intake's events (a lead, a merge, an update, a purchase
-- each carry the whole card): a home delivery goes to the customer's address unless the
-- order names another.
CREATE TABLE customer (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    address text NOT NULL DEFAULT '',
    region text NOT NULL DEFAULT ''
);
