-- 0021: indexes Room › Insights needs at 5,000,000 room events and 300,000 follow periods
-- (benchmarks/bench_insights.py). Tokens and follows per clock hour of the broadcasts read this
-- partial, covering index (a few hundred thousand entries) instead of the events table, already in
-- clock-hour order so the sums stream without a sort (35 ms instead of 85 ms with (method, ms, …));
-- broadcast_id is in it so that the index alone answers "broadcast_id IS NOT NULL":
CREATE INDEX idx_room_events_insights ON room_events (ms / 3600000, method, ms, tokens, broadcast_id)
    WHERE broadcast_id IS NOT NULL AND method IN ('tip', 'mediaPurchase', 'follow');
-- Follower cohorts: start days and ends of the 'follower' periods, read from the index alone.
CREATE INDEX idx_follow_periods_started ON follow_periods (direction, started_at, ended_at);
