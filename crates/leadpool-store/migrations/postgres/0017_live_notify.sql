-- Live updates across instances (issue 17): a committed outbox row or timer wakes every
-- instance, not only the one that wrote it. NOTIFY is sent at commit (never for a rolled-back
-- transaction) and collapses repeats within one transaction, so a statement-level trigger
-- costs one notification per writing transaction, however many rows it wrote. The payload
-- is empty: listeners re-read the table, which is the truth.

CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leadpool_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();

CREATE FUNCTION notify_timers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leadpool_timers', '');
    RETURN NULL;
END $$;

CREATE TRIGGER timers_notify AFTER INSERT ON timers
FOR EACH STATEMENT EXECUTE FUNCTION notify_timers();
