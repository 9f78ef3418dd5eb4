-- Live updates across instances (issue 17): PostgreSQL adds NOTIFY triggers on outbox and
-- timer inserts here. SQLite has one server per file, which wakes its own listeners after
-- commit (the store's `wake` module), so it needs nothing; this file keeps the versions alike.
SELECT 1;
