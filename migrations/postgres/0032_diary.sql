-- The practice's diary (docs/adr/043-diary.md): its clinicians and rooms, opening hours with
-- exceptions, appointment types, and appointments. No clinician and no room is ever in two live
-- appointments at once: an exclusion constraint says so, whatever the code does.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE clinicians (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    profession   text NOT NULL CHECK (profession IN ('optometrist', 'dispensing_optician',
                     'contact_lens_optician', 'ophthalmic_medical_practitioner', 'optical_assistant')),
    goc_number   text CHECK (goc_number ~ '^[0-9]{2}-[0-9]{5}$'),
    user_id      uuid REFERENCES users (id),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, goc_number)
);

CREATE TABLE rooms (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX rooms_name ON rooms (tenant_id, lower(name));

-- The week: one row per session (a practice closed for lunch has two on a day). Wall-clock times
-- in the practice's time zone, 'HH:MM'.
CREATE TABLE opening_hours (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    weekday      smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens        text NOT NULL CHECK (opens ~ '^[0-2][0-9]:[0-5][0-9]$'),
    closes       text NOT NULL CHECK (closes ~ '^[0-2][0-9]:[0-5][0-9]$'),
    PRIMARY KEY (tenant_id, weekday, opens),
    CHECK (opens < closes)
);

-- A day that differs from the week: closed (no times), or open these hours instead.
CREATE TABLE opening_exceptions (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    day          text NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    opens        text CHECK (opens ~ '^[0-2][0-9]:[0-5][0-9]$'),
    closes       text CHECK (closes ~ '^[0-2][0-9]:[0-5][0-9]$'),
    reason       text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    PRIMARY KEY (tenant_id, day),
    CHECK ((opens IS NULL AND closes IS NULL) OR (opens IS NOT NULL AND closes IS NOT NULL AND opens < closes))
);

CREATE TABLE appointment_types (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    professions       jsonb NOT NULL,
    needs_room        boolean NOT NULL,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX appointment_types_name ON appointment_types (tenant_id, lower(name));

CREATE TABLE appointments (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    patient_id       uuid NOT NULL,
    type_id          uuid NOT NULL,
    clinician_id     uuid NOT NULL,
    room_id          uuid,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    status           text NOT NULL CHECK (status IN ('booked', 'arrived', 'in_room', 'done', 'cancelled', 'no_show')),
    notes            text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    examination_id   uuid,
    booked_by        uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, type_id) REFERENCES appointment_types (tenant_id, id),
    FOREIGN KEY (tenant_id, clinician_id) REFERENCES clinicians (tenant_id, id),
    FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, id),
    FOREIGN KEY (tenant_id, examination_id) REFERENCES examinations (tenant_id, id),
    CHECK (starts_at < ends_at),
    CONSTRAINT appointments_clinician_free EXCLUDE USING gist
        (tenant_id WITH =, clinician_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
        WHERE (status IN ('booked', 'arrived', 'in_room', 'done')),
    CONSTRAINT appointments_room_free EXCLUDE USING gist
        (tenant_id WITH =, room_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
        WHERE (room_id IS NOT NULL AND status IN ('booked', 'arrived', 'in_room', 'done'))
);
CREATE INDEX appointments_day ON appointments (tenant_id, starts_at);
CREATE INDEX appointments_patient ON appointments (tenant_id, patient_id, starts_at);

ALTER TABLE clinicians ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinicians FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clinicians USING (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE rooms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rooms USING (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE opening_hours ENABLE ROW LEVEL SECURITY;
ALTER TABLE opening_hours FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON opening_hours USING (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE opening_exceptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE opening_exceptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON opening_exceptions USING (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE appointment_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_types FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON appointment_types USING (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON appointments USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON clinicians, rooms, appointment_types TO ils_app;
-- DELETE: erasure at the end of a record's retention removes the patient's appointments.
GRANT SELECT, INSERT, UPDATE, DELETE ON appointments TO ils_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON opening_hours, opening_exceptions TO ils_app;
