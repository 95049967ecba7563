-- The desk's queue (issue 18): each application's due date under its service-time standard,
-- kept so that the queue is ordered and paged by an index instead of computed per row. A row
-- whose status changed is marked stale by the trigger and computed again before the queue is
-- read (`queue.rs`); a changed holiday calendar marks them all (a setting, read there).
ALTER TABLE application ADD COLUMN due_date TEXT;
ALTER TABLE application ADD COLUMN due_stale INTEGER NOT NULL DEFAULT 1;
-- For a decided permit: whether it was decided within its service-time standard (1/0); for the
-- monthly recap's within-standard share. NULL while undecided, and for aid.
ALTER TABLE application ADD COLUMN sla_met INTEGER;
CREATE INDEX application_created ON application (created_hlc);
-- `due_date` is '9999-12-31' for an application without one (so that it sorts last), NULL only
-- until computed.
CREATE INDEX application_queue ON application (status, due_date, created_hlc);
-- The desk's filter by desa (a kecamatan has a dozen or so: selective); a service is not.
CREATE INDEX application_village ON application (village_code, status, due_date, created_hlc);
CREATE INDEX application_due_stale ON application (id) WHERE due_stale = 1;
CREATE TRIGGER application_status_due AFTER UPDATE OF status ON application
BEGIN
    UPDATE application SET due_stale = 1 WHERE id = NEW.id;
END;
-- A registration pulled from another device had no workflow history on this one (the first
-- submission was written only where it was registered), so its service-time clock never ran
-- here: the submission is written for every registration now, and for those already pulled.
INSERT INTO workflow_event (id, application_id, action, from_status, to_status, actor, hlc, note)
SELECT a.id || ':register', a.id, 'submit', 'draft', 'submitted', '', a.created_hlc, ''
FROM application a
WHERE a.registration_number IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM workflow_event e WHERE e.application_id = a.id AND e.to_status = 'submitted');
