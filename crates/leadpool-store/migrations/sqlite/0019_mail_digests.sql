-- Daily digests (issue 17): who chose one and when their next is due. A row exists while
-- the person has the digest among their email choices; taking it moves `due_at` a day on in
-- the same statement, so each morning's digest is written once whatever the instances.
CREATE TABLE mail_digests (
    user_id  INTEGER PRIMARY KEY REFERENCES users(id),
    org_id   INTEGER NOT NULL REFERENCES organizations(id),
    due_at   INTEGER NOT NULL
);
-- The worker's question: whose digest is due.
CREATE INDEX mail_digests_due_idx ON mail_digests(due_at);
