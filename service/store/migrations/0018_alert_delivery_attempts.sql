-- 0018: when each alert delivery was last tried, so Admin › Alert destinations can say when a
-- destination last failed (and when a delivery was given up).
ALTER TABLE alert_deliveries ADD COLUMN last_attempt_at TEXT;
