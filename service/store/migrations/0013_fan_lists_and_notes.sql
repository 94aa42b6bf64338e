-- 0013: relationship lists and notes. The broadcaster curates lists of people (the built-in
-- Friends, VIP, Watchlist and Banned, and lists of their own) and keeps notes per person, one of
-- which may be pinned. Both are written by panel accounts with the edit_fans permission, which
-- this migration grants to the existing admin and subscriber roles (a fresh database gets it from
-- the default roles); viewers read them.

CREATE TABLE fan_lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 40),
    -- The built-in lists carry a fixed key (the panel styles 'banned' as a warning); a custom list
    -- has none. Built-in lists cannot be renamed or deleted.
    builtin TEXT CHECK (builtin IN ('friends', 'vip', 'watchlist', 'banned')),
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_fan_lists_name ON fan_lists (name);
CREATE UNIQUE INDEX idx_fan_lists_builtin ON fan_lists (builtin) WHERE builtin IS NOT NULL;

INSERT INTO fan_lists (id, name, builtin, created_at) VALUES
    (1, 'Friends', 'friends', '2026-01-01T00:00:00.000Z'),
    (2, 'VIP', 'vip', '2026-01-01T00:00:00.000Z'),
    (3, 'Watchlist', 'watchlist', '2026-01-01T00:00:00.000Z'),
    (4, 'Banned', 'banned', '2026-01-01T00:00:00.000Z');

-- A person on a list: who put them there and when (a deleted panel account leaves NULL).
CREATE TABLE fan_list_members (
    list_id INTEGER NOT NULL REFERENCES fan_lists (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    added_by INTEGER REFERENCES system_users (id) ON DELETE SET NULL,
    PRIMARY KEY (list_id, person_id)
) WITHOUT ROWID;
CREATE INDEX idx_fan_list_members_person ON fan_list_members (person_id, list_id);

-- Notes about a person. Private data: `mhc export` leaves them out unless asked, logs never hold
-- them. At most one note per person is pinned (the partial unique index enforces it).
CREATE TABLE person_notes (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    category TEXT NOT NULL
        CHECK (category IN ('note', 'private_message', 'public_chat', 'tip_menu', 'other')),
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    author_id INTEGER REFERENCES system_users (id) ON DELETE SET NULL,
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX idx_person_notes_person ON person_notes (person_id, created_at);
CREATE UNIQUE INDEX idx_person_notes_pinned ON person_notes (person_id) WHERE pinned = 1;

-- What `mhc export` writes for lists (always) and notes (only with --include-notes): names, not ids.
CREATE VIEW v_fan_list_members AS
SELECT l.name AS list, l.builtin, p.username, m.added_at, u.username AS added_by
FROM fan_list_members m
JOIN fan_lists l ON l.id = m.list_id
JOIN persons p ON p.id = m.person_id
LEFT JOIN system_users u ON u.id = m.added_by;

CREATE VIEW v_person_notes AS
SELECT n.id, p.username, n.category, n.body, n.pinned, u.username AS author, n.created_at, n.updated_at
FROM person_notes n
JOIN persons p ON p.id = n.person_id
LEFT JOIN system_users u ON u.id = n.author_id;

-- The new permission reaches databases whose roles already exist (defaults apply only when a role
-- is created): admin and subscriber may write notes and curate lists, viewers may not.
INSERT INTO system_permissions (name, description)
VALUES ('edit_fans', 'Write notes and curate fan lists')
ON CONFLICT (name) DO NOTHING;
INSERT OR IGNORE INTO system_role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM system_roles r, system_permissions p
WHERE r.name IN ('admin', 'subscriber') AND p.name = 'edit_fans';
