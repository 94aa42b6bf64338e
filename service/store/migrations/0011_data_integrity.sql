-- v_person_follow_state's "last ended" lookups used idx_follow_periods_ended (direction, ended_at)
-- for max(ended_at) and then walked every period of that direction per person: quadratic, so
-- `mhc export` never finished at 600,000 periods. This index answers each person's max directly.
CREATE INDEX idx_follow_periods_person_ended ON follow_periods (person_id, direction, ended_at);
