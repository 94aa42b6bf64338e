-- 0015: indexes the Users › Fans smart lists need at 200,000 persons (benchmarks/bench_fans.py):
-- New (first seen or first tip within days), Lapsed (last tip before a day, newest first).
CREATE INDEX idx_person_room_stats_first_seen ON person_room_stats (first_seen_at);
CREATE INDEX idx_person_room_stats_first_tip ON person_room_stats (first_tip_at);
CREATE INDEX idx_person_room_stats_last_tip ON person_room_stats (last_tip_at);
