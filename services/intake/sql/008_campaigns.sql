-- Campaigns and segments (issue 16). A segment is a saved filter over the archive, never a
-- hand-kept list: its columns are the filter as given (SegmentFilter), evaluated afresh in
-- one parameterised query whenever it is used (intake_segment.c). A campaign is an event
-- with a segment; its members are the segment's customers on the day it was added.

-- When each customer was last contacted (UTC ms), kept from calllog.call_logged, for the
-- segments' "last contact before/after".
ALTER TABLE customer ADD COLUMN last_contact_at_ms bigint;

CREATE TABLE segment (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    name text NOT NULL,
    regions text NOT NULL DEFAULT '',          -- comma-separated lists: any of them
    card_types text NOT NULL DEFAULT '',
    tiers text NOT NULL DEFAULT '',
    stages text NOT NULL DEFAULT '',
    products text NOT NULL DEFAULT '',
    purchased_before date,                     -- local dates in the branch's zone
    purchased_after date,
    contacted_before date,
    contacted_after date,
    birthday_from text NOT NULL DEFAULT '',    -- MM-DD, with birthday_to; may wrap
    birthday_to text NOT NULL DEFAULT '',
    attended text NOT NULL DEFAULT '',         -- '' | 'any' | a campaign id
    not_attended text NOT NULL DEFAULT '',
    created_at_ms bigint NOT NULL,             -- UTC ms
    created_by text NOT NULL DEFAULT '',
    UNIQUE (branch, name)
);

CREATE TABLE campaign (
    id bigserial PRIMARY KEY,
    branch text NOT NULL,
    name text NOT NULL,                        -- what
    place text NOT NULL,                       -- where
    at_ms bigint NOT NULL,                     -- when, UTC ms
    event_day date NOT NULL,                   -- local date of the event
    capacity int NOT NULL CHECK (capacity >= 0),  -- seats, 0 for no limit
    segment_id bigint NOT NULL REFERENCES segment (id),
    invite_days int NOT NULL CHECK (invite_days BETWEEN 1 AND 30),
    bought_within_days int NOT NULL CHECK (bought_within_days BETWEEN 0 AND 366),
    created_at_ms bigint NOT NULL,             -- UTC ms
    created_by text NOT NULL DEFAULT ''
);
CREATE INDEX campaign_branch ON campaign (branch, at_ms);

-- Who was invited (the segment when the campaign was added), what they answered and whether
-- they came. A walk-in checked in at the door gets a row with invited false.
CREATE TABLE campaign_member (
    campaign_id bigint NOT NULL REFERENCES campaign (id),
    customer_id bigint NOT NULL,
    invited boolean NOT NULL DEFAULT true,
    answer text NOT NULL DEFAULT '' CHECK (answer IN ('', 'accepted', 'declined')),
    answered_at_ms bigint,                     -- UTC ms
    attended_at_ms bigint,                     -- UTC ms, NULL until checked in
    attended_by text NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, customer_id)
);
-- "has (not) attended": the members of a customer
CREATE INDEX campaign_member_customer ON campaign_member (customer_id) WHERE attended_at_ms IS NOT NULL;

-- Completed months from a to b (a <= b), as intake_rules.c counts them: a month is complete
-- on the same day of the month, or on the last day of a shorter month.
CREATE FUNCTION segment_months(a date, b date) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT ((extract(year FROM b) - extract(year FROM a)) * 12
            + extract(month FROM b) - extract(month FROM a))::int
         - CASE WHEN extract(day FROM b) < extract(day FROM a)
                 AND b <> (date_trunc('month', b) + interval '1 month - 1 day')::date
                THEN 1 ELSE 0 END
$$;

-- A customer's stage from the reference date, as intake_stage_of() computes it: the first
-- rule (in code order) of the branch's own rules, else the defaults, that the age matches.
CREATE FUNCTION segment_stage(br text, ref date, today date) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT r.code FROM stage_rule r,
               LATERAL (SELECT CASE WHEN r.unit = 'day' THEN today - ref
                                    WHEN today >= ref THEN segment_months(ref, today)
                                    ELSE -1 - segment_months(today, ref) END AS age) g
         WHERE ref IS NOT NULL
           AND r.branch = (SELECT max(branch) FROM stage_rule WHERE branch IN (br, ''))
           AND (r.from_age IS NULL OR g.age >= r.from_age)
           AND (r.to_age IS NULL OR g.age <= r.to_age)
         ORDER BY r.code LIMIT 1), '')
$$;
