-- Issue 18: each person's time zone, in which every page shows them times (NULL: UTC, the
-- default lives in the app, not here), and the reason a person is paused, shown to whoever
-- assigns leads (NULL while they are not paused or gave none).
ALTER TABLE users ADD COLUMN time_zone TEXT;
ALTER TABLE users ADD COLUMN pause_reason TEXT;
