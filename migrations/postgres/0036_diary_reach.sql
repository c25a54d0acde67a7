-- A busy diary's checks look back a bounded way (docs/adr/043-diary.md, "Scale"): no appointment
-- is longer than 480 minutes (an appointment type's longest), so one that starts more than 480
-- minutes before a time cannot reach it. The rule is kept here, and each clinician's and room's
-- appointments are indexed by start, so a clash check reads a few rows however long the diary.
ALTER TABLE appointments ADD CONSTRAINT appointments_length
    CHECK (ends_at - starts_at <= interval '480 minutes');
CREATE INDEX appointments_clinician ON appointments (tenant_id, clinician_id, starts_at);
CREATE INDEX appointments_room ON appointments (tenant_id, room_id, starts_at) WHERE room_id IS NOT NULL;
