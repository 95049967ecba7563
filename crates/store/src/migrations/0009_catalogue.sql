-- The catalogue versions the province published for this office (protocol 8), and the one each
-- permit was registered under (absent: the default catalogue).
CREATE TABLE catalogue (
    region         TEXT NOT NULL,
    version        INTEGER NOT NULL,
    effective_from TEXT NOT NULL,
    file           TEXT NOT NULL,
    PRIMARY KEY (region, version)
) STRICT;
ALTER TABLE application ADD COLUMN catalogue_region TEXT;
ALTER TABLE application ADD COLUMN catalogue_version INTEGER;
