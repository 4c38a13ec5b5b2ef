-- The audit log becomes a hash chain: every entry carries its place (seq), the hash of the entry before it and its
-- own hash over both, so an edited, inserted or deleted entry breaks the chain that `mingjing audit verify` walks.
-- Entries written before this version are chained, in time order, when a server first starts on it.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash_alg TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
