-- 0024: the Directory at 1,000,000 persons. Its "N persons" for a role (the Models and Viewers
-- toggles, and All) counted the role's index entries on every page: 450,000 entries, ~12 ms. These
-- per-role counts are kept by triggers on person_state, in the same statement as the change they
-- count, so they never disagree with it (tests/store/test_directory_counts.py checks them against
-- count(*)). The Viewers toggle sorted by snapshots walked every model (all with sessions) before the
-- first viewer; like the other viewer-only indexes, this one holds viewer rows only, so the
-- affiliate sweep's model updates pay nothing for it. The Models toggle has the same problem the other
-- way round where viewers come first (Events descending, Snapshots and Followers ascending); its
-- three model-only indexes cost a refresh of 20,000 models no measurable time (0.47 s either way).
CREATE TABLE person_role_counts (
    role TEXT PRIMARY KEY,
    persons INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO person_role_counts (role, persons) SELECT role, count(*) FROM person_state GROUP BY role;
CREATE TRIGGER person_state_counted_insert AFTER INSERT ON person_state BEGIN
    INSERT INTO person_role_counts (role, persons) VALUES (new.role, 1)
        ON CONFLICT (role) DO UPDATE SET persons = persons + 1;
END;
CREATE TRIGGER person_state_counted_delete AFTER DELETE ON person_state BEGIN
    UPDATE person_role_counts SET persons = persons - 1 WHERE role = old.role;
END;
CREATE TRIGGER person_state_counted_role AFTER UPDATE OF role ON person_state
    WHEN old.role IS NOT new.role BEGIN
    UPDATE person_role_counts SET persons = persons - 1 WHERE role = old.role;
    INSERT INTO person_role_counts (role, persons) VALUES (new.role, 1)
        ON CONFLICT (role) DO UPDATE SET persons = persons + 1;
END;
CREATE INDEX idx_person_state_viewer_snapshots ON person_state (snapshot_count) WHERE role = 'viewer';
CREATE INDEX idx_person_state_model_events ON person_state (events_count) WHERE role = 'model';
CREATE INDEX idx_person_state_model_snapshots ON person_state (snapshot_count) WHERE role = 'model';
CREATE INDEX idx_person_state_model_followers ON person_state (followers) WHERE role = 'model';
-- person_tags gains each person's role (see schema.sql): with a tag, the Directory counts a role's
-- persons off the tag's index range, and knows when every tagged person is a model (the usual case:
-- tags come from the model feeds), so it can walk the model-only indexes instead of sorting them all.
CREATE TEMP TABLE person_tags_before_0024 AS SELECT person_id, tag FROM person_tags;
DROP TABLE person_tags;
CREATE TABLE person_tags (
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (person_id, tag)
) WITHOUT ROWID;
INSERT INTO person_tags (person_id, tag, role)
    SELECT o.person_id, o.tag, s.role FROM temp.person_tags_before_0024 o
    JOIN person_state s ON s.person_id = o.person_id;
DROP TABLE temp.person_tags_before_0024;
CREATE INDEX idx_person_tags_tag ON person_tags (tag, role, person_id);
