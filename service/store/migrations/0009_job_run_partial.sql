-- 0009: a run that fetched most of its items but failed some is 'partial', not 'ok'; job_state
-- remembers the last run's status so Admin shows a partial run in a warning colour.

-- A CHECK constraint cannot be altered in SQLite: the table is rebuilt under its own name.
ALTER TABLE job_runs RENAME TO job_runs_before_0009;
CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY,
    job_name TEXT NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'cli')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'error', 'skipped')),
    summary TEXT,
    error TEXT
);
INSERT INTO job_runs (id, job_name, trigger, started_at, finished_at, status, summary, error)
SELECT id, job_name, trigger, started_at, finished_at, status, summary, error FROM job_runs_before_0009;
DROP TABLE job_runs_before_0009;
CREATE INDEX idx_job_runs_job_started ON job_runs (job_name, started_at);

ALTER TABLE job_state RENAME TO job_state_before_0009;
CREATE TABLE job_state (
    name TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    interval_seconds INTEGER NOT NULL CHECK (interval_seconds > 0),
    last_run_at TEXT,
    last_ok_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    next_run_at TEXT,
    updated_at TEXT NOT NULL,
    last_status TEXT CHECK (last_status IN ('ok', 'partial', 'error', 'skipped'))
);
INSERT INTO job_state (name, paused, interval_seconds, last_run_at, last_ok_at, last_error, last_error_at,
    next_run_at, updated_at, last_status)
SELECT s.name, s.paused, s.interval_seconds, s.last_run_at, s.last_ok_at, s.last_error, s.last_error_at,
    s.next_run_at, s.updated_at,
    (SELECT r.status FROM job_runs r WHERE r.job_name = s.name AND r.status <> 'running'
     ORDER BY r.id DESC LIMIT 1)
FROM job_state_before_0009 s;
DROP TABLE job_state_before_0009;
