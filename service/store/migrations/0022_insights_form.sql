-- 0022: the AI Insights Form and the optional AI reports. Each save of the form is a new revision (the
-- answers as JSON, validated by the form's model before they are stored); each report keeps the exact
-- request body it sent (model and messages, never the API key), the statistics it was given and the
-- answer, so it can be reproduced.
CREATE TABLE insights_form_revisions (
    id INTEGER PRIMARY KEY,
    saved_at TEXT NOT NULL,
    saved_by TEXT,
    answers TEXT NOT NULL CHECK (json_valid(answers))
);

CREATE TABLE ai_reports (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_by TEXT,
    revision_id INTEGER NOT NULL REFERENCES insights_form_revisions (id),
    as_of TEXT NOT NULL,
    include_names INTEGER NOT NULL CHECK (include_names IN (0, 1)),
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    request TEXT NOT NULL CHECK (json_valid(request)),
    statistics TEXT NOT NULL CHECK (json_valid(statistics)),
    content TEXT NOT NULL,
    answered_model TEXT
);
CREATE INDEX idx_ai_reports_created ON ai_reports (created_at);
