-- Every lead gets its first call (issue 13): a lead without a purchase (counter, clinic,
-- hospital, mail, referral, other, an imported file) starts the conversion plan its branch
-- names for the channel, by default this one. The anchor "purchase" of a lead's plan is the
-- day it was collected. The first call is a flexible step over days 1-7: placed at plan time
-- on the day of the window with the fewest planned tasks of the role, so a large import
-- spreads over the week instead of flooding one day. A second call a fortnight later, also
-- flexible. Purpose new-lead: the lowest priority of the date bag, and a sales step (held
-- while a complaint is open), like consult-not-converted's.
INSERT INTO plan_template (branch, code, name) VALUES
 ('', 'new-lead', 'New lead: first call within days 1-7 of collection, a second call in days 14-20');

INSERT INTO plan_step (branch, template, step_no, anchor, offset_days, window_days, repeat_days, purpose, channel, role) VALUES
 ('', 'new-lead', 1, 'purchase', 1, 6, 0, 'new-lead', 'phone', 'phone'),
 ('', 'new-lead', 2, 'purchase', 14, 6, 0, 'new-lead', 'phone', 'phone');
