-- Campaigns (issue 16): each campaign and its members as the events told them — invited
-- (intake.campaign_invited), the answer (scheduler.campaign_answered), attendance
-- (intake.campaign_attended). The campaign report joins them with the purchases.
CREATE TABLE campaign (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    name text NOT NULL,
    place text NOT NULL DEFAULT '',
    at_ms bigint NOT NULL,              -- UTC ms
    event_day date NOT NULL,            -- local date of the event
    capacity int NOT NULL DEFAULT 0,
    bought_within_days int NOT NULL DEFAULT 14
);

CREATE TABLE campaign_member (
    campaign_id bigint NOT NULL,
    customer_id bigint NOT NULL,
    invited boolean NOT NULL DEFAULT false,
    answer text NOT NULL DEFAULT '',    -- '' | accepted | declined
    attended boolean NOT NULL DEFAULT false,
    PRIMARY KEY (campaign_id, customer_id)
);
