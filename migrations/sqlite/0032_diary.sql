-- The practice's diary; see migrations/postgres. SQLite has no exclusion constraints: triggers
-- refuse an insert or an update that would put a clinician or a room in two live appointments
-- at once (writes are serial on SQLite, so the check and the write cannot interleave).
CREATE TABLE clinicians (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    id           BLOB NOT NULL,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    profession   TEXT NOT NULL CHECK (profession IN ('optometrist', 'dispensing_optician',
                     'contact_lens_optician', 'ophthalmic_medical_practitioner', 'optical_assistant')),
    goc_number   TEXT CHECK (goc_number GLOB '[0-9][0-9]-[0-9][0-9][0-9][0-9][0-9]'),
    user_id      BLOB REFERENCES users (id),
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, goc_number)
) STRICT;

CREATE TABLE rooms (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    id           BLOB NOT NULL,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX rooms_name ON rooms (tenant_id, lower(name));

CREATE TABLE opening_hours (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens        TEXT NOT NULL CHECK (opens GLOB '[0-2][0-9]:[0-5][0-9]'),
    closes       TEXT NOT NULL CHECK (closes GLOB '[0-2][0-9]:[0-5][0-9]'),
    PRIMARY KEY (tenant_id, weekday, opens),
    CHECK (opens < closes)
) STRICT;

CREATE TABLE opening_exceptions (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    day          TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    opens        TEXT CHECK (opens GLOB '[0-2][0-9]:[0-5][0-9]'),
    closes       TEXT CHECK (closes GLOB '[0-2][0-9]:[0-5][0-9]'),
    reason       TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    PRIMARY KEY (tenant_id, day),
    CHECK ((opens IS NULL AND closes IS NULL) OR (opens IS NOT NULL AND closes IS NOT NULL AND opens < closes))
) STRICT;

CREATE TABLE appointment_types (
    tenant_id         BLOB NOT NULL REFERENCES tenants (id),
    id                BLOB NOT NULL,
    name              TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    duration_minutes  INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    professions       TEXT NOT NULL,
    needs_room        INTEGER NOT NULL CHECK (needs_room IN (0, 1)),
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX appointment_types_name ON appointment_types (tenant_id, lower(name));

CREATE TABLE appointments (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id),
    id               BLOB NOT NULL,
    patient_id       BLOB NOT NULL,
    type_id          BLOB NOT NULL,
    clinician_id     BLOB NOT NULL,
    room_id          BLOB,
    starts_at        TEXT NOT NULL,
    ends_at          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('booked', 'arrived', 'in_room', 'done', 'cancelled', 'no_show')),
    notes            TEXT NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    examination_id   BLOB,
    booked_by        BLOB REFERENCES users (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, type_id) REFERENCES appointment_types (tenant_id, id),
    FOREIGN KEY (tenant_id, clinician_id) REFERENCES clinicians (tenant_id, id),
    FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, id),
    FOREIGN KEY (tenant_id, examination_id) REFERENCES examinations (tenant_id, id),
    CHECK (starts_at < ends_at)
) STRICT;
CREATE INDEX appointments_day ON appointments (tenant_id, starts_at);
CREATE INDEX appointments_patient ON appointments (tenant_id, patient_id, starts_at);
CREATE INDEX appointments_clinician ON appointments (tenant_id, clinician_id, starts_at);

CREATE TRIGGER appointments_clinician_free_insert BEFORE INSERT ON appointments
WHEN NEW.status IN ('booked', 'arrived', 'in_room', 'done') AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.clinician_id = NEW.clinician_id
      AND a.status IN ('booked', 'arrived', 'in_room', 'done')
      AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'appointments_clinician_free');
END;

CREATE TRIGGER appointments_clinician_free_update BEFORE UPDATE OF clinician_id, starts_at, ends_at, status ON appointments
WHEN NEW.status IN ('booked', 'arrived', 'in_room', 'done') AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.clinician_id = NEW.clinician_id AND a.id <> NEW.id
      AND a.status IN ('booked', 'arrived', 'in_room', 'done')
      AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'appointments_clinician_free');
END;

CREATE TRIGGER appointments_room_free_insert BEFORE INSERT ON appointments
WHEN NEW.room_id IS NOT NULL AND NEW.status IN ('booked', 'arrived', 'in_room', 'done') AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.room_id = NEW.room_id
      AND a.status IN ('booked', 'arrived', 'in_room', 'done')
      AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'appointments_room_free');
END;

CREATE TRIGGER appointments_room_free_update BEFORE UPDATE OF room_id, starts_at, ends_at, status ON appointments
WHEN NEW.room_id IS NOT NULL AND NEW.status IN ('booked', 'arrived', 'in_room', 'done') AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.room_id = NEW.room_id AND a.id <> NEW.id
      AND a.status IN ('booked', 'arrived', 'in_room', 'done')
      AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'appointments_room_free');
END;
