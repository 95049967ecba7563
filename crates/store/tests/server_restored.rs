//! A device whose server was restored from a backup sends again what the server had
//! accepted (not what it refused) and pulls from the start.

mod common;

use chrono::Utc;
use loket_store::{SettledState, Settlement};

#[test]
fn a_restored_server_gets_everything_again_and_the_pull_starts_over() {
    let (_dir, mut store) = common::store();
    let clerk = common::clerk();
    for n in 0..3 {
        store.register_bansos(&common::bansos(n, "Siti Aminah"), &clerk, Utc::now()).unwrap();
    }
    let ops = store.pending_ops_after(0, 10).unwrap();
    assert_eq!(ops.len(), 3);
    store
        .settle_ops(&[
            Settlement { seq: ops[0].seq, state: SettledState::Acked, error: None },
            Settlement { seq: ops[1].seq, state: SettledState::Rejected, error: Some("nik.checksum".into()) },
            Settlement { seq: ops[2].seq, state: SettledState::Acked, error: None },
        ])
        .unwrap();
    assert_eq!(store.pending_count().unwrap(), 0);
    store.apply_remote(&[], 40, Utc::now()).unwrap();
    assert_eq!(store.checkpoint().unwrap(), 40);
    assert_eq!(store.server_epoch().unwrap(), None);
    store.set_server_epoch("e1").unwrap();
    let receipt_key = store.device_receipt_key().unwrap().public_key();
    store.set_device_certificate("certificate.signature").unwrap();

    let requeued = store.server_restored("e2").unwrap();
    assert_eq!(requeued.operations, 2, "acknowledged operations are sent again; refused ones stay refused");
    let again: Vec<i64> = store.pending_ops_after(0, 10).unwrap().iter().map(|o| o.seq).collect();
    assert_eq!(again, vec![ops[0].seq, ops[2].seq]);
    assert_eq!(store.checkpoint().unwrap(), 0);
    assert_eq!(store.server_epoch().unwrap().as_deref(), Some("e2"));
    // The receipt key stays; its certificate is asked for again from the restored server.
    assert_eq!(store.device_certificate().unwrap(), None);
    assert_eq!(store.device_receipt_key().unwrap().public_key(), receipt_key);
    common::assert_consistent(&store);
}
