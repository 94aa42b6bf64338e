-- 0028: Admin › System Stats charts every measurement's sizes (a year of hourly rows for "all time",
-- benchmarks/bench_system_stats.py). Each row also holds its rows per table as JSON (~2 KB), so a
-- scan of the table reads ~4 KB per measurement; this index holds the sizes in time order and the
-- charts read it alone (~50 bytes per measurement). It replaces the index on recorded_at, which it
-- begins with.
DROP INDEX idx_system_stats_recorded;
CREATE INDEX idx_system_stats_sizes ON system_stats (recorded_at, db_bytes, wal_bytes, image_bytes, image_files);
