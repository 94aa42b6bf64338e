-- Personal API keys: a script reads the panel's JSON with its owner's permissions. Only the
-- SHA-256 of a key is stored (the key is shown once, when it is made); a revoked key is kept,
-- marked, so the account page can say when it stopped working.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE UNIQUE INDEX idx_api_keys_token ON api_keys (token_hash);
CREATE INDEX idx_api_keys_user ON api_keys (user_id);
