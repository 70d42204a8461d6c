-- Campaigns (issue 16): the scheduler's copy of each campaign (from intake.campaign_created
-- and campaign_invited) and the campaign of each of its tasks: an invitation, a reminder
-- the day before for those who accepted, a thank-you the day after for those who came.
CREATE TABLE campaign (
    id bigint PRIMARY KEY,
    branch text NOT NULL,
    name text NOT NULL,
    place text NOT NULL,
    at_ms bigint NOT NULL,              -- UTC ms
    event_day date NOT NULL,            -- local date of the event
    invite_days int NOT NULL
);

ALTER TABLE task ADD COLUMN campaign_id bigint;
-- one task of each purpose per campaign and customer, however often the events arrive
CREATE UNIQUE INDEX task_campaign ON task (campaign_id, customer_id, purpose)
    WHERE campaign_id IS NOT NULL;
