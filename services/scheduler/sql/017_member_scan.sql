-- The hourly look for members without a home visit (sched_house.c, SCHED_Q_UNVISITED_MEMBERS)
-- read every customer of the copy, members or not: 165 ms at 50,000 customers, minutes at a
-- national chain's ten million, once a clock hour in each instance (found by the national
-- day's statement profile, issue 14). A member is a member tier on a card that is not void
-- nor opted out, or an active member plan: each side now has a partial index of its own, so
-- the look reads the members only.
CREATE INDEX customer_member ON customer (id)
    WHERE tier IN ('gold', 'silver', 'member') AND NOT opted_out AND card_type <> 'void';
CREATE INDEX plan_member_active ON plan (customer_id) WHERE template = 'member' AND state = 'active';
