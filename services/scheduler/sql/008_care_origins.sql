-- Member care (campaigns and occasions) makes tasks of two more origins: 'campaign' (an
-- invitation, a reminder or a thank-you call of an event) and 'occasion' (a birthday, festival
-- or weather greeting). One migration names both, so the two features do not each rewrite
-- the check.
ALTER TABLE task DROP CONSTRAINT task_origin_check;
ALTER TABLE task ADD CONSTRAINT task_origin_check
    CHECK (origin IN ('plan', 'callback', 'adverse', 'promised', 'campaign', 'occasion'));
