//! Staff records kept on one device of an office reach the others through the server's feed.

mod common;

use common::*;
use loket_domain::staff::{validate_staff, StaffDraft};
use loket_store::RemoteChange;

fn pns(nip: &str, name: &str) -> StaffDraft {
    StaffDraft {
        status: "pns".into(),
        employee_number: nip.into(),
        full_name: name.into(),
        golongan: "III/d".into(),
        jabatan: "Kepala Seksi Pelayanan".into(),
        unit_code: "36.01.01".into(),
        active: true,
    }
}

/// The device's outbox as the server forwards it: `record` changes in order.
fn forwarded(s: &loket_store::Store, first_seq: i64) -> Vec<RemoteChange> {
    s.pending_ops(100)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, op)| {
            let body = loket_protocol::ChangeBody::Record(loket_protocol::Relayed(op.body().unwrap()));
            RemoteChange {
                hlc: Some(op.hlc.clone()),
                ..RemoteChange::of(first_seq + i as i64, &op.entity_id, body, "2026-11-28T08:00:00Z")
            }
        })
        .collect()
}

#[test]
fn staff_created_and_updated_elsewhere_arrive_and_a_duplicate_number_never_blocks() {
    let (_a_dir, mut a) = store();
    let (_b_dir, mut b) = store();
    let staff = a
        .add_staff(&validate_staff(&pns("198503152010011002", "Ahmad Fauzi")).unwrap(), &admin(), now())
        .unwrap();
    let moved = StaffDraft {
        jabatan: "Sekretaris Kecamatan".into(),
        golongan: "IV/a".into(),
        ..pns("198503152010011002", "Ahmad Fauzi")
    };
    a.update_staff(&staff.id, staff.version, &validate_staff(&moved).unwrap(), &admin(), now()).unwrap();
    // Device B registered the same NIP on its own, offline.
    b.add_staff(&validate_staff(&pns("198503152010011002", "Ahmad F.")).unwrap(), &admin(), now()).unwrap();
    let other = validate_staff(&pns("199001012015032001", "Siti Rahmawati")).unwrap();
    let mut changes = forwarded(&a, 1);
    let (_c_dir, mut c) = store();
    c.add_staff(&other, &admin(), now()).unwrap();
    changes.extend(forwarded(&c, 3));

    let report = b.apply_remote(&changes, 4, now()).unwrap();
    assert_eq!((report.applied, report.skipped), (1, 2), "A's two records collide with B's NIP: skipped");
    let names: Vec<_> = b.list_staff().unwrap().into_iter().map(|s| (s.full_name, s.jabatan)).collect();
    assert_eq!(
        names,
        [
            ("Ahmad F.".to_string(), "Kepala Seksi Pelayanan".to_string()),
            ("Siti Rahmawati".to_string(), "Kepala Seksi Pelayanan".to_string())
        ]
    );

    // A fresh device takes A's record and its update, in order.
    let (_d_dir, mut d) = store();
    d.apply_remote(&forwarded(&a, 1), 2, now()).unwrap();
    let got = d.staff(&staff.id).unwrap();
    assert_eq!((got.jabatan.as_str(), got.golongan.as_deref()), ("Sekretaris Kecamatan", Some("IV/a")));
    // Re-applying the same page changes nothing (idempotent checkpoint).
    assert_eq!(d.apply_remote(&forwarded(&a, 1), 2, now()).unwrap().applied, 0);
}
