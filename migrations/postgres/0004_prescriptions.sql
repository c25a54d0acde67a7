-- Prescriptions. Powers are stored in eighths of a dioptre (minus-cylinder form), prism in
-- hundredths of a prism dioptre, pupillary distances in tenths of a millimetre.

CREATE TABLE prescriptions (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    patient_id    uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('spectacles', 'contact_lenses')),
    r_sphere        integer NOT NULL CHECK (r_sphere BETWEEN -240 AND 240),
    r_cylinder      integer CHECK (r_cylinder BETWEEN -96 AND -1),
    r_axis          integer CHECK (r_axis BETWEEN 1 AND 180),
    r_add           integer CHECK (r_add BETWEEN 2 AND 40),
    r_prism_h       integer CHECK (r_prism_h BETWEEN 25 AND 2000),
    r_prism_h_base  text CHECK (r_prism_h_base IN ('in', 'out')),
    r_prism_v       integer CHECK (r_prism_v BETWEEN 25 AND 2000),
    r_prism_v_base  text CHECK (r_prism_v_base IN ('up', 'down')),
    l_sphere        integer NOT NULL CHECK (l_sphere BETWEEN -240 AND 240),
    l_cylinder      integer CHECK (l_cylinder BETWEEN -96 AND -1),
    l_axis          integer CHECK (l_axis BETWEEN 1 AND 180),
    l_add           integer CHECK (l_add BETWEEN 2 AND 40),
    l_prism_h       integer CHECK (l_prism_h BETWEEN 25 AND 2000),
    l_prism_h_base  text CHECK (l_prism_h_base IN ('in', 'out')),
    l_prism_v       integer CHECK (l_prism_v BETWEEN 25 AND 2000),
    l_prism_v_base  text CHECK (l_prism_v_base IN ('up', 'down')),
    pd_right      integer CHECK (pd_right BETWEEN 200 AND 450),
    pd_left       integer CHECK (pd_left BETWEEN 200 AND 450),
    issued_on     text NOT NULL,
    expires_on    text,
    prescriber    text NOT NULL CHECK (length(prescriber) BETWEEN 1 AND 200),
    notes         text NOT NULL DEFAULT '',
    created_by    uuid,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    CHECK ((r_cylinder IS NULL) = (r_axis IS NULL)),
    CHECK ((r_prism_h IS NULL) = (r_prism_h_base IS NULL)),
    CHECK ((r_prism_v IS NULL) = (r_prism_v_base IS NULL)),
    CHECK ((l_cylinder IS NULL) = (l_axis IS NULL)),
    CHECK ((l_prism_h IS NULL) = (l_prism_h_base IS NULL)),
    CHECK ((l_prism_v IS NULL) = (l_prism_v_base IS NULL)),
    CHECK (kind <> 'contact_lenses' OR expires_on IS NOT NULL),
    CHECK (expires_on IS NULL OR expires_on >= issued_on)
);
CREATE INDEX prescriptions_patient ON prescriptions (tenant_id, patient_id, id);

ALTER TABLE prescriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE prescriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON prescriptions
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());

-- A prescription is a clinical fact: added, never edited or removed by the service.
GRANT SELECT, INSERT ON prescriptions TO ils_app;
