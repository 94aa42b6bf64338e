-- v_person_follow_state's "last ended" lookups used idx_follow_periods_ended (direction, ended_at)
-- for max(ended_at) and then walked every period of that direction per person: quadratic, so
-- `mhc export` never finished at 600,000 periods. This index answers each person's max directly.
CREATE INDEX idx_follow_periods_person_ended ON follow_periods (person_id, direction, ended_at);

-- Anonymous tips no longer count towards their sender's room figures (a count or time that moves
-- with the tip identifies the tipper). Recount what older versions stored: events and first/last
-- seen from the sender's named events only; a person whose only events were anonymous tips keeps
-- no room figures at all. Visits, tips and tokens never included anonymous tips.
UPDATE person_room_stats SET
    events = (SELECT count(*) FROM room_events e
               WHERE e.person_id = person_room_stats.person_id AND NOT e.is_anon),
    first_seen_at = (SELECT min(e.at) FROM room_events e
                      WHERE e.person_id = person_room_stats.person_id AND NOT e.is_anon),
    last_seen_at = (SELECT max(e.at) FROM room_events e
                     WHERE e.person_id = person_room_stats.person_id AND NOT e.is_anon);
DELETE FROM person_room_stats WHERE events = 0 AND visits = 0 AND tips = 0;
UPDATE person_state SET events_count = coalesce(
    (SELECT r.events FROM person_room_stats r WHERE r.person_id = person_state.person_id), 0);
