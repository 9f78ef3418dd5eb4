-- Shark tank until contacted (seed 002): an agent's hold on a lead in such a status stays
-- open to every agent who sees the lead's pool until the lead's first logged contact.
ALTER TABLE statuses ADD COLUMN shark_tank BOOLEAN NOT NULL DEFAULT FALSE;
