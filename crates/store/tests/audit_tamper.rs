//! Tampering with the audit log is detected.

mod common;

use common::*;
use loket_store::AuditProblem;

fn populated() -> (tempfile::TempDir, loket_store::Store) {
    let (dir, mut s) = store();
    for i in 0..5 {
        s.register_bansos(&bansos(i, "Warga"), &clerk(), now()).unwrap();
    }
    assert!(s.verify_audit().unwrap().is_intact());
    (dir, s)
}

#[test]
fn intact_chain_verifies() {
    let (_d, s) = populated();
    let r = s.verify_audit().unwrap();
    assert_eq!((r.entries, r.problem), (5, None));
}

#[test]
fn edited_entry_is_detected() {
    let (_d, s) = populated();
    s.raw_connection().execute("UPDATE audit_log SET actor = 'camat' WHERE seq = 3", []).unwrap();
    assert_eq!(s.verify_audit().unwrap().problem, Some(AuditProblem::Edited { seq: 3 }));
}

#[test]
fn edited_change_payload_is_detected() {
    let (_d, s) = populated();
    s.raw_connection().execute("UPDATE audit_log SET change = '{}' WHERE seq = 1", []).unwrap();
    assert_eq!(s.verify_audit().unwrap().problem, Some(AuditProblem::Edited { seq: 1 }));
}

#[test]
fn deleted_entry_is_detected() {
    let (_d, s) = populated();
    s.raw_connection().execute("DELETE FROM audit_log WHERE seq = 2", []).unwrap();
    assert_eq!(s.verify_audit().unwrap().problem, Some(AuditProblem::Missing { expected_seq: 2 }));
}

#[test]
fn deleted_newest_entry_is_detected() {
    let (_d, s) = populated();
    s.raw_connection().execute("DELETE FROM audit_log WHERE seq = 5", []).unwrap();
    assert_eq!(s.verify_audit().unwrap().problem, Some(AuditProblem::Truncated { head_seq: 5, last_seq: 4 }));
}

#[test]
fn overwritten_hash_is_detected() {
    let (_d, s) = populated();
    s.raw_connection().execute("UPDATE audit_log SET hash = 'ffff' WHERE seq = 2", []).unwrap();
    let problem = s.verify_audit().unwrap().problem;
    assert!(matches!(problem, Some(AuditProblem::Edited { seq: 2 })), "{problem:?}");
}
