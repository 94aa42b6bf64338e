-- 0016: the live room and alerts. Who is in the room (kept by the Events batch), alert rules, the alerts
-- they raised (once per rule and trigger: an event id, or a named occurrence such as a source failure),
-- the durable outbox of deliveries to each destination, and each panel user's read marks and choices.

-- One row per person seen in the own room, describing their latest stay: present while left_at is NULL
-- and broadcast_id is the open broadcast.
CREATE TABLE room_presence (
    person_id INTEGER PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    broadcast_id INTEGER REFERENCES broadcasts (id) ON DELETE SET NULL,
    entered_at TEXT NOT NULL,
    last_event_at TEXT NOT NULL,
    left_at TEXT
);
CREATE INDEX idx_room_presence_broadcast ON room_presence (broadcast_id, left_at);

-- What to alert on. `params` is JSON whose shape depends on `kind` (validated by service/alert_rules.py);
-- quiet hours are minutes after local midnight in the panel's time zone (`quiet_tz`), start may be after
-- end (a night).
CREATE TABLE alert_rules (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('fan_enters', 'fan_returns', 'big_tip', 'new_follower',
        'fanclub_join', 'unfollow', 'summary_ready', 'source_failing', 'extension_silent')),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    params TEXT NOT NULL DEFAULT '{}',
    cooldown_seconds INTEGER NOT NULL DEFAULT 600 CHECK (cooldown_seconds BETWEEN 0 AND 604800),
    quiet_start_minute INTEGER CHECK (quiet_start_minute BETWEEN 0 AND 1439),
    quiet_end_minute INTEGER CHECK (quiet_end_minute BETWEEN 0 AND 1439),
    quiet_tz TEXT,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES system_users (id) ON DELETE SET NULL
);

-- Raised alerts. (rule_id, trigger_key) is unique: a re-delivered event or a restart raises nothing twice.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    -- the rule that raised it (kept when the rule is deleted: no foreign key); 0 = no rule (a test send)
    rule_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    trigger_key TEXT NOT NULL,
    person_id INTEGER REFERENCES persons (id) ON DELETE SET NULL,
    raised_at TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    url TEXT,
    -- raised during the rule's quiet hours: kept for the notification centre, pushed nowhere
    quiet INTEGER NOT NULL DEFAULT 0 CHECK (quiet IN (0, 1))
);
CREATE UNIQUE INDEX idx_alerts_trigger ON alerts (rule_id, trigger_key);
CREATE INDEX idx_alerts_rule_person ON alerts (rule_id, person_id, raised_at);
CREATE INDEX idx_alerts_raised ON alerts (raised_at);

-- Where alerts go besides the panel and the extension. The URL and the signing secret are secrets:
-- write-only in the panel, masked in logs.
CREATE TABLE alert_destinations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'discord', 'ntfy', 'email')),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    target TEXT NOT NULL,
    signing_secret TEXT,
    kinds TEXT NOT NULL DEFAULT '[]',
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at TEXT NOT NULL
);

-- The outbox: one row per alert and destination, stored with the alert (same transaction) before any
-- attempt to send, retried with backoff until sent or given up.
CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    destination_id INTEGER NOT NULL REFERENCES alert_destinations (id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'gave_up')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    sent_at TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_alert_deliveries_pair ON alert_deliveries (alert_id, destination_id);
CREATE INDEX idx_alert_deliveries_due ON alert_deliveries (state, next_attempt_at);

-- The notification centre: what each panel user has read, and which deliveries each user wants
-- (channel 'panel' or 'desktop', per alert kind; no row = wanted).
CREATE TABLE alert_reads (
    user_id INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    read_at TEXT NOT NULL,
    PRIMARY KEY (user_id, alert_id)
) WITHOUT ROWID;
CREATE TABLE alert_preferences (
    user_id INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('panel', 'desktop')),
    kind TEXT NOT NULL,
    wanted INTEGER NOT NULL CHECK (wanted IN (0, 1)),
    PRIMARY KEY (user_id, channel, kind)
) WITHOUT ROWID;

-- The extension's desktop notifications: the last alert each paired client has shown (acknowledged).
CREATE TABLE ext_alert_cursors (
    client_id INTEGER PRIMARY KEY REFERENCES ext_clients (id) ON DELETE CASCADE,
    last_alert_id INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
