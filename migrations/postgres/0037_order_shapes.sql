-- Orders carry what the lab needs (issue 17, docs/adr/048-traced-shapes.md): the frame's box to
-- 0.01 mm as a tracer measures it (it was kept in tenths, in 0.5 mm steps), and its traced shapes.
ALTER TABLE lab_orders RENAME COLUMN frame_a TO frame_a_hundredths;
ALTER TABLE lab_orders RENAME COLUMN frame_b TO frame_b_hundredths;
ALTER TABLE lab_orders RENAME COLUMN frame_dbl TO frame_dbl_hundredths;
UPDATE lab_orders SET frame_a_hundredths = frame_a_hundredths * 10, frame_b_hundredths = frame_b_hundredths * 10,
    frame_dbl_hundredths = frame_dbl_hundredths * 10;

-- One shape for both eyes, or one per eye: radii in hundredths of a mm and, for a shape that is
-- not equiangular, angles in hundredths of a degree, as JSON arrays (the DCS TRCFMT 1 model).
CREATE TABLE order_shapes (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    order_id    uuid NOT NULL,
    side        text NOT NULL CHECK (side IN ('right', 'left', 'both')),
    source      text NOT NULL CHECK (source IN ('frame', 'pattern', 'demo_lens')),
    radii       text NOT NULL,
    angles      text,
    points      integer NOT NULL CHECK (points BETWEEN 3 AND 10000),
    device      text CHECK (length(device) <= 100),
    traced_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, order_id, side),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id)
);
ALTER TABLE order_shapes ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_shapes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON order_shapes USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, DELETE ON order_shapes TO ils_app;
