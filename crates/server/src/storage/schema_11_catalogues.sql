-- Schema 11: the PATEN catalogue versions IT publishes (issue 17): the province's default
-- (region '36') and each kabupaten/kota's own, each from an effective date. A published version
-- never changes; the offices it covers learn it as a `record` change of `catalogue.publish`.
CREATE TABLE catalogue (
    region         TEXT NOT NULL,
    version        BIGINT NOT NULL,
    effective_from TEXT NOT NULL,
    file           TEXT NOT NULL,
    published_at   TEXT NOT NULL,
    PRIMARY KEY (region, version)
);
