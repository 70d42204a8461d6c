-- An approved return gives money back (complaint.return_decided): the customer's spend goes
-- down by the refund and the tier follows. One row per return, so a replayed event refunds
-- nothing twice.
CREATE TABLE refund (
    return_id bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    purchase_id bigint NOT NULL,
    refund_fen bigint NOT NULL CHECK (refund_fen >= 0),
    applied_at_ms bigint NOT NULL     -- UTC ms
);
