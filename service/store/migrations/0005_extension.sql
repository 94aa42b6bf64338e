-- 0005: the Chrome extension: pairing, scrape tasks, list snapshots, profile scrapes, suspicions.
-- Paired extensions. Only a SHA-256 of the bearer token is stored; revoking keeps the row so the
-- panel can still say which browser sent which snapshot.
CREATE TABLE ext_clients (
    id INTEGER PRIMARY KEY,
    extension_id TEXT NOT NULL CHECK (length(extension_id) BETWEEN 1 AND 128),
    token_hash TEXT NOT NULL,
    paired_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE UNIQUE INDEX idx_ext_clients_token ON ext_clients (token_hash);

-- One-time pairing codes (hashed) shown in Admin › Extension or printed by `mhc pair`.
CREATE TABLE ext_pairing_codes (
    code_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_by TEXT,
    used_at TEXT,
    used_by_client INTEGER REFERENCES ext_clients (id) ON DELETE SET NULL
);

-- Work queued for the extension by the panel, the CLI or a schedule; the extension reports the
-- outcome. At most one open task per list or per profile, so pressing a button twice queues once.
CREATE TABLE scrape_tasks (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('following', 'followers', 'profile')),
    username TEXT CHECK ((kind = 'profile') = (username IS NOT NULL)),
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    reason TEXT,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    client_id INTEGER REFERENCES ext_clients (id) ON DELETE SET NULL,
    result_ref TEXT
);
CREATE UNIQUE INDEX idx_scrape_tasks_open ON scrape_tasks (kind, coalesce(username, ''))
    WHERE state IN ('queued', 'running');
CREATE INDEX idx_scrape_tasks_created ON scrape_tasks (created_at);

-- List snapshots exactly as received. `complete` is the service's own verdict (the extension's
-- claim is kept beside it); `status` says what reconciliation did with the snapshot.
CREATE TABLE list_snapshots (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    client_id INTEGER REFERENCES ext_clients (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('following', 'followers')),
    account TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    expected_total INTEGER,
    claimed_complete INTEGER NOT NULL CHECK (claimed_complete IN (0, 1)),
    complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
    abort_reason TEXT,
    names INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'held', 'reverted')),
    added INTEGER NOT NULL DEFAULT 0,
    suspected INTEGER NOT NULL DEFAULT 0,
    confirmed INTEGER NOT NULL DEFAULT 0,
    held INTEGER NOT NULL DEFAULT 0,
    reverted_at TEXT,
    reverted_by TEXT,
    CHECK (complete = 0 OR abort_reason IS NULL)
);
CREATE UNIQUE INDEX idx_list_snapshots_key ON list_snapshots (idempotency_key);
CREATE INDEX idx_list_snapshots_kind ON list_snapshots (kind, received_at);

CREATE TABLE list_snapshot_pages (
    snapshot_id INTEGER NOT NULL REFERENCES list_snapshots (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('online', 'offline', 'followers')),
    page INTEGER NOT NULL CHECK (page >= 1),
    url TEXT,
    final_url TEXT,
    usernames TEXT NOT NULL,  -- JSON array, in page order
    PRIMARY KEY (snapshot_id, seq)
) WITHOUT ROWID;

-- Removals on their way to becoming unfollows. 'held' waits for a person in the panel (the snapshot
-- dropped too many names at once); 'suspected' waits for a second complete snapshot, an Events
-- unfollow or a profile scrape; 'confirmed' closed the period; 'dismissed' did not.
CREATE TABLE follow_removals (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('following', 'follower')),
    period_id INTEGER NOT NULL REFERENCES follow_periods (id) ON DELETE CASCADE,
    snapshot_id INTEGER NOT NULL REFERENCES list_snapshots (id) ON DELETE CASCADE,
    missing_since TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('held', 'suspected', 'confirmed', 'dismissed')),
    resolved_at TEXT,
    resolved_source TEXT,
    resolved_ref TEXT
);
CREATE UNIQUE INDEX idx_follow_removals_open ON follow_removals (person_id, direction)
    WHERE state IN ('held', 'suspected');
CREATE INDEX idx_follow_removals_snapshot ON follow_removals (snapshot_id);
CREATE INDEX idx_follow_removals_state ON follow_removals (direction, state);

-- Profile pages read in the user's browser, kept with their scrape time. follow_status is only
-- used when `identity_ok` (the page showed the room its URL names).
CREATE TABLE profile_scrapes (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    client_id INTEGER REFERENCES ext_clients (id) ON DELETE SET NULL,
    url TEXT NOT NULL,
    scraped_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    follow_status TEXT NOT NULL CHECK (follow_status IN ('following', 'not_following', 'unknown')),
    identity_ok INTEGER NOT NULL CHECK (identity_ok IN (0, 1)),
    online INTEGER CHECK (online IN (0, 1)),
    bio TEXT NOT NULL,           -- JSON object
    social_links TEXT NOT NULL,  -- JSON array
    wishlist TEXT NOT NULL,      -- JSON array
    photosets TEXT NOT NULL,     -- JSON array
    header_online INTEGER,
    header_total INTEGER
);
CREATE UNIQUE INDEX idx_profile_scrapes_key ON profile_scrapes (idempotency_key);
CREATE INDEX idx_profile_scrapes_person ON profile_scrapes (person_id, scraped_at);

-- The newest scrape of each person: what the profile and the source-priority view read.
CREATE VIEW v_person_latest_scrape AS
SELECT s.* FROM profile_scrapes s
WHERE s.id = (SELECT s2.id FROM profile_scrapes s2 WHERE s2.person_id = s.person_id
              ORDER BY s2.scraped_at DESC, s2.id DESC LIMIT 1);
