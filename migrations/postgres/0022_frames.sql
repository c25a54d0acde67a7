-- Frames in stock (issue 14, docs/adr/033): an item that is a frame records its boxed size —
-- eye size A and bridge DBL in tenths of a millimetre, as orders record theirs — and its rim;
-- a practice's order may name the stocked frame it was dispensed in. The recommender ranks the
-- frames a practice stocks for a prescription by what similar prescriptions chose.

ALTER TABLE items ADD COLUMN frame_a integer CHECK (frame_a BETWEEN 300 AND 800);
ALTER TABLE items ADD COLUMN frame_dbl integer CHECK (frame_dbl BETWEEN 100 AND 300);
ALTER TABLE items ADD COLUMN frame_rim text CHECK (frame_rim IN ('full', 'semi_rimless', 'rimless'));
ALTER TABLE items ADD CONSTRAINT items_frame_size_whole
    CHECK ((frame_a IS NULL) = (frame_dbl IS NULL) AND (frame_rim IS NULL OR frame_a IS NOT NULL));

ALTER TABLE lab_orders ADD COLUMN frame_item_id uuid;
ALTER TABLE lab_orders ADD CONSTRAINT lab_orders_frame_item
    FOREIGN KEY (tenant_id, frame_item_id) REFERENCES items (tenant_id, id);
