-- Live updates across instances (issue 17): a committed outbox row or timer wakes every
-- instance, not only the one that wrote it. NOTIFY is sent at commit (never for a rolled-back
-- transaction) and collapses repeats within one transaction, so a statement-level trigger
-- costs one notification per writing transaction, however many rows it wrote. The payload
-- is empty: listeners re-read the table, which is the truth.

-- Notifies the channel named by the trigger's argument.
CREATE FUNCTION notify_channel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('leadpool_outbox');

CREATE TRIGGER timers_notify AFTER INSERT ON timers
FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('leadpool_timers');
