-- Short-lived identity rows are deleted by a worker some time after they expire; these indexes
-- let it find them without reading whole tables.
CREATE INDEX login_challenges_expiry ON login_challenges (expires_at);
CREATE INDEX one_time_codes_expiry ON one_time_codes (expires_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
