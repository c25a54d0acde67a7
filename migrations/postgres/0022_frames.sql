-- Frames in stock (issue 14, docs/adr/033): an item that is a frame records its boxed size —
-- eye size A and bridge DBL in tenths of a millimetre, as orders record theirs — and its rim;
-- a practice's order may name the stocked frame it was dispensed in. The recommender ranks the
-- frames a practice stocks for a prescription by what similar prescriptions chose.
--
-- The same columns and checks as SQLite's 0022 (which cannot add a table constraint or a
-- composite foreign key to an existing table): that size and rim come together is ils-stock's
-- check, and that the frame item is one of the order's tenant's is ils-orders' check.

ALTER TABLE items ADD COLUMN frame_a integer CHECK (frame_a BETWEEN 300 AND 800);
ALTER TABLE items ADD COLUMN frame_dbl integer CHECK (frame_dbl BETWEEN 100 AND 300);
ALTER TABLE items ADD COLUMN frame_rim text CHECK (frame_rim IN ('full', 'semi_rimless', 'rimless'));

ALTER TABLE lab_orders ADD COLUMN frame_item_id uuid;
