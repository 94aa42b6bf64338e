-- 0025: open follows counted per direction and role, kept by triggers, so the Following and Followers
-- pages show their totals (Models and Viewers too) without counting 100,000 follows on every request.
-- tests/store/test_follow_counts.py holds the table equal to the count it summarises. Also an index that
-- pages those lists by their start.
-- The Following and Followers pages, newest first: open periods by start, then id (the rowid ends every
-- index entry), so a page after any row is one seek, even among thousands that began together.
CREATE INDEX idx_follow_periods_open_started ON follow_periods (direction, started_at) WHERE ended_at IS NULL;
CREATE TABLE follow_counts (
    direction TEXT NOT NULL,
    role TEXT NOT NULL,
    open INTEGER NOT NULL,
    PRIMARY KEY (direction, role)
) WITHOUT ROWID;

INSERT INTO follow_counts (direction, role, open)
SELECT f.direction, p.role, count(*) FROM follow_periods f JOIN persons p ON p.id = f.person_id
WHERE f.ended_at IS NULL GROUP BY f.direction, p.role;

CREATE TRIGGER follow_counts_insert AFTER INSERT ON follow_periods WHEN NEW.ended_at IS NULL
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT NEW.direction, role, 1 FROM persons WHERE id = NEW.person_id
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;

-- An end (or a revert that reopens a period), and any change of its person or direction.
CREATE TRIGGER follow_counts_update AFTER UPDATE OF ended_at, person_id, direction ON follow_periods
WHEN OLD.ended_at IS NULL OR NEW.ended_at IS NULL
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT OLD.direction, role, -1 FROM persons WHERE id = OLD.person_id AND OLD.ended_at IS NULL
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
    INSERT INTO follow_counts (direction, role, open)
    SELECT NEW.direction, role, 1 FROM persons WHERE id = NEW.person_id AND NEW.ended_at IS NULL
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;

-- A deleted period; one deleted with its person was already taken out by follow_counts_person_delete
-- (the person row is gone by then, so the lookup below finds nothing).
CREATE TRIGGER follow_counts_delete AFTER DELETE ON follow_periods WHEN OLD.ended_at IS NULL
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT OLD.direction, role, -1 FROM persons WHERE id = OLD.person_id
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;

CREATE TRIGGER follow_counts_person_delete BEFORE DELETE ON persons
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT direction, OLD.role, -count(*) FROM follow_periods
    WHERE person_id = OLD.id AND ended_at IS NULL GROUP BY direction
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;

-- A person's role becomes known (or changes): their open follows move to the new role's count.
CREATE TRIGGER follow_counts_role AFTER UPDATE OF role ON persons WHEN OLD.role IS NOT NEW.role
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT direction, OLD.role, -count(*) FROM follow_periods
    WHERE person_id = NEW.id AND ended_at IS NULL GROUP BY direction
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
    INSERT INTO follow_counts (direction, role, open)
    SELECT direction, NEW.role, count(*) FROM follow_periods
    WHERE person_id = NEW.id AND ended_at IS NULL GROUP BY direction
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;
