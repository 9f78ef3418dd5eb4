-- Tasks on leads (seed 002): a to-do with a due time and an assignee. A deleted task's row
-- goes; its lead's timeline keeps what it was.
CREATE TABLE tasks (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations(id),
    lead_id       INTEGER NOT NULL REFERENCES leads(id),
    title         TEXT NOT NULL,
    due_at        INTEGER NOT NULL,
    assignee_id   INTEGER NOT NULL REFERENCES users(id),
    status        TEXT NOT NULL CONSTRAINT tasks_status_check CHECK (status IN ('pending', 'done')),
    created_by    INTEGER NOT NULL REFERENCES users(id),
    created_at    INTEGER NOT NULL,
    completed_at  INTEGER,
    CONSTRAINT tasks_completed_check CHECK ((status = 'done') = (completed_at IS NOT NULL))
);
-- A lead's tasks; a status expiry that waits on them reads the pending ones.
CREATE INDEX tasks_lead_idx ON tasks(lead_id, status, due_at);
-- Someone's task list, soonest first.
CREATE INDEX tasks_assignee_idx ON tasks(org_id, assignee_id, status, due_at);
