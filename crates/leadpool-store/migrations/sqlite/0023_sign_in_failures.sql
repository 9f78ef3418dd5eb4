-- Sign-in throttling (issue 15): a run of wrong passwords per address, kept in the database so
-- every instance on it counts the same run and a restart does not forget it. The expiry
-- index serves the prune of runs nobody has added to for an hour.
CREATE TABLE sign_in_failures (
    address   TEXT PRIMARY KEY,
    failures  INTEGER NOT NULL,
    last_at   INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_last_idx ON sign_in_failures(last_at);
