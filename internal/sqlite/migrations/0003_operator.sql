-- 0003: what the operator's dashboard reads: payments newest first across
-- accounts, and by status.
CREATE INDEX payments_created ON payments (created_at, id);
CREATE INDEX payments_status_created ON payments (status, created_at, id);
