-- Pupillary distances measured at an examination; see migrations/postgres.
ALTER TABLE examinations ADD COLUMN pd_tenths integer CHECK (pd_tenths BETWEEN 400 AND 850);
ALTER TABLE examinations ADD COLUMN pd_right_tenths integer CHECK (pd_right_tenths BETWEEN 200 AND 450);
ALTER TABLE examinations ADD COLUMN pd_left_tenths integer CHECK (pd_left_tenths BETWEEN 200 AND 450);
ALTER TABLE examinations ADD COLUMN near_pd_tenths integer CHECK (near_pd_tenths BETWEEN 350 AND 850);
ALTER TABLE examinations ADD COLUMN working_distance_cm integer CHECK (working_distance_cm BETWEEN 10 AND 100);
