-- Whether a person already appeared (or tipped) in a broadcast, in one index seek: an Events batch
-- adds its own events to the broadcast's summary instead of recomputing the whole broadcast, and
-- its unique visitors and tippers count only the people not seen in the broadcast before.
CREATE INDEX idx_room_events_broadcast_person ON room_events (broadcast_id, person_id, method);
