-- Ownership by call (seed 002), per organization: which reported calls make the agent on
-- them the lead's owner. An outbound call does by default ("the lead is called"); an
-- answered inbound call and a received transfer only when the organization says so.
ALTER TABLE organizations ADD COLUMN call_owns_outbound BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE organizations ADD COLUMN call_owns_inbound BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE organizations ADD COLUMN call_owns_transfer BOOLEAN NOT NULL DEFAULT FALSE;
