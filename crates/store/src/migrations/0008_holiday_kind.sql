-- The province's calendar (protocol 7): each day's kind, and whether it stops this office's
-- service clock (a cuti bersama day its kabupaten/kota counts as a working day does not; a day
-- taken off the calendar neither). Days set before keep stopping it, as they did.
ALTER TABLE holiday ADD COLUMN kind TEXT NOT NULL DEFAULT 'libur_nasional'
    CHECK (kind = 'libur_nasional' OR kind = 'cuti_bersama' OR kind = 'libur_daerah');
ALTER TABLE holiday ADD COLUMN off INTEGER NOT NULL DEFAULT 1 CHECK (off = 0 OR off = 1);
