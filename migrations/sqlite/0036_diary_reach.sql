-- A busy diary's checks look back a bounded way; see migrations/postgres. The overlap triggers of
-- 0032 scanned every earlier appointment of the clinician (and, for a room, of the practice); they
-- are replaced by ones that look back 480 minutes, the longest an appointment may be — a rule
-- these triggers now keep too. Times are stored as `YYYY-MM-DDTHH:MM:SS.ffffffZ`; the bound is
-- cut to whole seconds, which only widens it.
DROP TRIGGER appointments_clinician_free_insert;
DROP TRIGGER appointments_clinician_free_update;
DROP TRIGGER appointments_room_free_insert;
DROP TRIGGER appointments_room_free_update;

CREATE INDEX appointments_room ON appointments (tenant_id, room_id, starts_at) WHERE room_id IS NOT NULL;

CREATE TRIGGER appointments_length_insert BEFORE INSERT ON appointments
WHEN julianday(NEW.ends_at) - julianday(NEW.starts_at) > 480.0 / 1440.0 + 0.000001
BEGIN
    SELECT RAISE(ABORT, 'appointments_length');
END;

CREATE TRIGGER appointments_length_update BEFORE UPDATE OF starts_at, ends_at ON appointments
WHEN julianday(NEW.ends_at) - julianday(NEW.starts_at) > 480.0 / 1440.0 + 0.000001
BEGIN
    SELECT RAISE(ABORT, 'appointments_length');
END;

CREATE TRIGGER appointments_clinician_free_insert BEFORE INSERT ON appointments
WHEN NEW.status IN ('booked', 'arrived', 'in_room', 'done') AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.clinician_id = NEW.clinician_id
      AND a.starts_at > strftime('%Y-%m-%dT%H:%M:%S', NEW.starts_at, '-480 minutes')
      AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at
      AND a.status IN ('booked', 'arrived', 'in_room', 'done'))
BEGIN
    SELECT RAISE(ABORT, 'appointments_clinician_free');
END;

CREATE TRIGGER appointments_clinician_free_update BEFORE UPDATE OF clinician_id, starts_at, ends_at, status ON appointments
WHEN NEW.status IN ('booked', 'arrived', 'in_room', 'done') AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.clinician_id = NEW.clinician_id AND a.id <> NEW.id
      AND a.starts_at > strftime('%Y-%m-%dT%H:%M:%S', NEW.starts_at, '-480 minutes')
      AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at
      AND a.status IN ('booked', 'arrived', 'in_room', 'done'))
BEGIN
    SELECT RAISE(ABORT, 'appointments_clinician_free');
END;

CREATE TRIGGER appointments_room_free_insert BEFORE INSERT ON appointments
WHEN NEW.room_id IS NOT NULL AND NEW.status IN ('booked', 'arrived', 'in_room', 'done') AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.room_id = NEW.room_id
      AND a.starts_at > strftime('%Y-%m-%dT%H:%M:%S', NEW.starts_at, '-480 minutes')
      AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at
      AND a.status IN ('booked', 'arrived', 'in_room', 'done'))
BEGIN
    SELECT RAISE(ABORT, 'appointments_room_free');
END;

CREATE TRIGGER appointments_room_free_update BEFORE UPDATE OF room_id, starts_at, ends_at, status ON appointments
WHEN NEW.room_id IS NOT NULL AND NEW.status IN ('booked', 'arrived', 'in_room', 'done') AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.room_id = NEW.room_id AND a.id <> NEW.id
      AND a.starts_at > strftime('%Y-%m-%dT%H:%M:%S', NEW.starts_at, '-480 minutes')
      AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at
      AND a.status IN ('booked', 'arrived', 'in_room', 'done'))
BEGIN
    SELECT RAISE(ABORT, 'appointments_room_free');
END;
