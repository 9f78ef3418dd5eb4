-- A status expiry waiting on tasks (seed 002: "only call leads without pending tasks or
-- tasks past due by"): while the lead has a pending task, or until every pending task is
-- overdue by a given time.
ALTER TABLE statuses ADD COLUMN expires_hold_while_task_pending BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE statuses ADD COLUMN expires_task_overdue_after_ms INTEGER;
