-- Orders carry what the lab needs; see migrations/postgres.
ALTER TABLE lab_orders RENAME COLUMN frame_a TO frame_a_hundredths;
ALTER TABLE lab_orders RENAME COLUMN frame_b TO frame_b_hundredths;
ALTER TABLE lab_orders RENAME COLUMN frame_dbl TO frame_dbl_hundredths;
UPDATE lab_orders SET frame_a_hundredths = frame_a_hundredths * 10, frame_b_hundredths = frame_b_hundredths * 10,
    frame_dbl_hundredths = frame_dbl_hundredths * 10;

CREATE TABLE order_shapes (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    order_id    BLOB NOT NULL,
    side        TEXT NOT NULL CHECK (side IN ('right', 'left', 'both')),
    source      TEXT NOT NULL CHECK (source IN ('frame', 'pattern', 'demo_lens')),
    radii       TEXT NOT NULL,
    angles      TEXT,
    points      INTEGER NOT NULL CHECK (points BETWEEN 3 AND 10000),
    device      TEXT CHECK (length(device) <= 100),
    traced_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, order_id, side),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id)
) STRICT;
