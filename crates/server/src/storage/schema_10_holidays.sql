-- Schema 10: the holiday calendars the province publishes (issue 17) — the national days of
-- each year's SKB 3 Menteri (region '36') and a kabupaten/kota's own (region '36.01', …) — and,
-- per kabupaten/kota, whether cuti bersama counts as a working day for the service standard.
-- What the offices' laptops must know travels as `record` changes of `holiday.set`.
CREATE TABLE holiday (
    region     TEXT NOT NULL,
    day        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (region, day)
);
CREATE TABLE holiday_policy (
    regency                     TEXT PRIMARY KEY,
    cuti_bersama_is_working_day BOOLEAN NOT NULL,
    updated_at                  TEXT NOT NULL
);
