-- Email (issue 17): each person's choice of what they are emailed about, and email as the
-- second channel of deliveries from the outbox, to the person the event is addressed to.

-- JSON list of event types; NULL: nobody chose yet, which means every mailable type (the
-- default lives in the domain, `MailChoices::default`, not here).
ALTER TABLE users ADD COLUMN email_events TEXT;

ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('webhook', 'email'));
-- An event is emailed once: to the one person whose outbox holds it.
CREATE UNIQUE INDEX deliveries_email_event_key ON deliveries(event_id) WHERE channel = 'email';
-- The admins' deliveries page: an organization's deliveries of either channel, newest first.
CREATE INDEX deliveries_org_idx ON deliveries(org_id, id);
