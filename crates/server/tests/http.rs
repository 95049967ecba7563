//! The API over real HTTP on 127.0.0.1, against both storage backends.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use loket_keys::UserKey;
use loket_protocol::{
    EnrollResponse, OpStatus, PullResponse, PushResponse, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use loket_server::api::{router, ApiConfig};
use loket_server::lockout::LockoutPolicy;
use loket_server::serve::{serve, ServeLimits};
use loket_server::storage::{conformance, Storage};
use loket_server::{admin, auth};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Server {
    base: String,
    storage: Arc<dyn Storage>,
    http: reqwest::Client,
    _guard: common::Guard,
}

async fn start(backend: &str, config: ApiConfig) -> Server {
    start_limited(backend, config, ServeLimits::default()).await
}

/// A server on the production connection loop, within `limits`.
async fn start_limited(backend: &str, config: ApiConfig, limits: ServeLimits) -> Server {
    let (storage, guard) = match backend {
        "sqlite" => common::sqlite(),
        _ => common::postgres().await,
    };
    let app = router(storage.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app, limits, std::future::pending()));
    Server { base: format!("http://{addr}"), storage, http: reqwest::Client::new(), _guard: guard }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(self.url(path)).header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
    }

    /// A code for a device of `office`, whose clerk (holding the suite's key) signs what the
    /// tests push unsigned.
    async fn code_for(&self, office: &str) -> String {
        admin::add_office(self.storage.as_ref(), office).await.unwrap();
        let clerk = conformance::clerk_of(office);
        if self.storage.user_by_username(&clerk).await.unwrap().is_none() {
            conformance::user(self.storage.as_ref(), office, &clerk, &["clerk"]).await;
        }
        admin::issue_enrollment_code(self.storage.as_ref(), office, 1).await.unwrap()
    }

    async fn enroll(&self, office: &str) -> EnrollResponse {
        let code = self.code_for(office).await;
        let r = self
            .post("/api/v1/enroll")
            .json(&json!({ "code": code, "device_name": "Laptop loket 1", "app_version": "0.1.0" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    /// The device's office's changes after `after`.
    async fn pull(&self, d: &EnrollResponse, after: i64) -> PullResponse {
        let path = format!("/api/v1/offices/{}/changes?after={after}", d.office_code);
        self.get(&path).bearer_auth(&d.token).send().await.unwrap().json().await.unwrap()
    }

    /// A push of the device's office whose body is `gzip`-encoded JSON.
    fn push_gzip(&self, d: &EnrollResponse, body: Vec<u8>) -> reqwest::RequestBuilder {
        self.post(&format!("/api/v1/offices/{}/push", d.office_code))
            .bearer_auth(&d.token)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body)
    }

    async fn push(
        &self,
        d: &EnrollResponse,
        office: &str,
        ops: &[loket_protocol::Operation],
    ) -> reqwest::Response {
        let ops = conformance::signed_in(&d.office_code, ops.to_vec());
        self.post(&format!("/api/v1/offices/{office}/push"))
            .bearer_auth(&d.token)
            .json(&json!({ "ops": ops, "pending": 0, "app_version": "0.1.0" }))
            .send()
            .await
            .unwrap()
    }
}

async fn error_code(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or_default().to_string())
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name("sqlite").await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name("postgres").await } )* }
    };
}

both_backends!(
    enrollment_valid_reused_expired,
    a_revoked_device_hands_over_its_work_then_reports_its_wipe,
    cross_kecamatan_is_403,
    decisions_need_a_supervisor,
    only_the_users_own_proof_is_accepted,
    same_batch_three_times_is_one_set_of_rows,
    malformed_and_oversized_payloads_store_nothing,
    old_protocol_gets_426,
    enrollment_is_rate_limited,
    gzip_bodies_both_ways,
    inflating_operations_are_refused_alone,
    attachments_only_for_accepted_attach_operations,
    every_class_of_bad_operation_is_refused_by_name,
    office_records_by_role_and_office,
    updates_are_offered_by_rollout_and_downloads_resume,
    below_the_minimum_app_version_sync_is_426,
);

async fn enrollment_valid_reused_expired(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let code = s.code_for("36.01.01").await;
    let body = json!({ "code": code.to_lowercase(), "device_name": "Laptop", "app_version": "0.1.0" });
    let r = s.post("/api/v1/enroll").json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let e: EnrollResponse = r.json().await.unwrap();
    assert_eq!((e.office_code.as_str(), e.office_name.as_str()), ("36.01.01", "Kecamatan Sumur"));
    assert!(loket_domain::registration::is_device_code(&e.device_code));
    assert_eq!(e.token.len(), 64);
    let reused = s.post("/api/v1/enroll").json(&body).send().await.unwrap();
    assert_eq!(error_code(reused).await, (StatusCode::GONE, "enrollment_code_used".into()));
    let wrong = s
        .post("/api/v1/enroll")
        .json(&json!({ "code": "AAAA-BBBB-CCCC", "device_name": "x", "app_version": "" }));
    assert_eq!(
        error_code(wrong.send().await.unwrap()).await,
        (StatusCode::BAD_REQUEST, "enrollment_code_invalid".into())
    );
    // An expired code.
    let expired = auth::new_enrollment_code();
    let hash = auth::hash_secret(&auth::normalise_code(&expired));
    let code = loket_server::storage::NewEnrollmentCode {
        code_hash: &hash,
        office_code: "36.01.01",
        user_id: None,
        expires_at: Utc::now() - chrono::Duration::seconds(1),
    };
    s.storage.create_enrollment_code(&code).await.unwrap();
    let r = s
        .post("/api/v1/enroll")
        .json(&json!({ "code": expired, "device_name": "x", "app_version": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (StatusCode::GONE, "enrollment_code_expired".into()));
    assert_eq!(s.storage.list_devices().await.unwrap().len(), 1);
}

/// A revoked device can no longer read the office's data, but still hands over what it holds
/// (operations, each checked as always, and their attachments) and then reports its wipe.
async fn a_revoked_device_hands_over_its_work_then_reports_its_wipe(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    let pull = |token: String| s.get("/api/v1/offices/36.01.01/changes?after=0").bearer_auth(token).send();
    let wiped = |token: String| s.post("/api/v1/offices/36.01.01/device/wiped").bearer_auth(token).send();
    assert_eq!(pull(d.token.clone()).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        error_code(wiped(d.token.clone()).await.unwrap()).await,
        (StatusCode::CONFLICT, "device_not_revoked".into()),
        "an active device reports no wipe"
    );
    admin::revoke(s.storage.as_ref(), &d.device_id).await.unwrap();
    assert_eq!(
        error_code(pull(d.token.clone()).await.unwrap()).await,
        (StatusCode::UNAUTHORIZED, "device_revoked".into())
    );
    let sha = "a".repeat(64);
    let download = s.get(&format!("/api/v1/offices/36.01.01/attachments/{sha}")).bearer_auth(&d.token);
    assert_eq!(error_code(download.send().await.unwrap()).await.0, StatusCode::UNAUTHORIZED);

    // What it registered before it learnt of the revocation is still accepted.
    let op = conformance::register_op(1, "app-revoked", "36.01.01", "3601011205900001", "3601011501100003");
    let r: loket_protocol::PushResponse = s.push(&d, "36.01.01", &[op]).await.json().await.unwrap();
    assert_eq!(r.results[0].status, loket_protocol::OpStatus::Accepted);
    assert_eq!(wiped(d.token.clone()).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(wiped(d.token.clone()).await.unwrap().status(), StatusCode::NO_CONTENT, "re-sent");
    let listed = s.storage.list_devices().await.unwrap();
    assert!(listed.iter().any(|x| x.id == d.device_id && x.wiped_at.is_some()), "{listed:?}");

    assert_eq!(
        error_code(pull("f".repeat(64)).await.unwrap()).await,
        (StatusCode::UNAUTHORIZED, "unauthenticated".into())
    );
    let none = s.get("/api/v1/offices/36.01.01/changes").send().await.unwrap();
    assert_eq!(error_code(none).await.0, StatusCode::UNAUTHORIZED);
}

async fn cross_kecamatan_is_403(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let a = s.enroll("36.01.01").await;
    s.enroll("36.01.02").await;
    let r = s.get("/api/v1/offices/36.01.02/changes?after=0").bearer_auth(&a.token).send().await.unwrap();
    assert_eq!(error_code(r).await, (StatusCode::FORBIDDEN, "forbidden_office".into()));
    let op = conformance::register_op(1, "x", "36.01.02", "3601021205900001", "3601021501100003");
    let r = s.push(&a, "36.01.02", std::slice::from_ref(&op)).await;
    assert_eq!(error_code(r).await, (StatusCode::FORBIDDEN, "forbidden_office".into()));
    // Pushing into its own office an application claiming the other office is rejected.
    let r: PushResponse = s.push(&a, "36.01.01", &[op]).await.json().await.unwrap();
    assert_eq!(r.results[0].code.as_deref(), Some("forbidden_office"));
    assert_eq!(s.storage.count_applications(None).await.unwrap(), 0);
}

async fn decisions_need_a_supervisor(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    admin::add_user(s.storage.as_ref(), "36.01.01", "ani", "Ani", &["clerk".into()], "rahasia-panjang", None)
        .await
        .unwrap();
    let reg = conformance::register_op(1, "x", "36.01.01", "3601011205900001", "3601011501100003");
    let decide = conformance::operation(
        2,
        loket_protocol::OpKind::ApplicationTransition,
        "x",
        json!({
            "event_id": "e1", "application_id": "x", "action": "start_review", "from": "submitted",
            "to": "in_review", "actor": "ani", "note": "",
        }),
        Some(1),
    );
    let ani = s.storage.user_by_username("ani").await.unwrap().unwrap();
    let key = UserKey::unwrap(&ani.wrapped_key, "rahasia-panjang").unwrap();
    let decide = conformance::sign_as(decide, "ani", &key);
    let r: PushResponse = s.push(&d, "36.01.01", &[reg, decide]).await.json().await.unwrap();
    assert_eq!(r.results[0].status, OpStatus::Accepted);
    assert_eq!(
        (r.results[1].status, r.results[1].code.as_deref()),
        (OpStatus::Rejected, Some("role_not_allowed"))
    );
}

/// Black box: IT creates the users, a laptop gets their keys only by pulling (wrapped) and
/// opening them with the password. A decision or an edit signed without the user's key, with
/// no acting user, by a user of another office, by a deactivated user or by a clerk is refused,
/// and nothing of it is stored or published; the real supervisor's is accepted.
async fn only_the_users_own_proof_is_accepted(backend: &str) {
    use loket_protocol::{ChangeKind, OpKind, Operation};
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    let other = s.enroll("36.01.02").await;
    let st = s.storage.as_ref();
    for (office, user, role) in [
        ("36.01.01", "kasi", "supervisor"),
        ("36.01.01", "ani", "clerk"),
        ("36.01.01", "lama", "supervisor"),
        ("36.01.02", "budi", "supervisor"),
    ] {
        admin::add_user(st, office, user, user, &[role.into()], &format!("sandi-{user}-2026"), None)
            .await
            .unwrap();
    }
    let pulled = |d: &EnrollResponse| {
        let req = s.get(&format!("/api/v1/offices/{}/changes?after=0", d.office_code)).bearer_auth(&d.token);
        async move { req.send().await.unwrap().json::<PullResponse>().await.unwrap() }
    };
    // What a laptop of each office holds: wrapped keys, opened with the user's password.
    let key_of = |page: &PullResponse, user: &str| {
        let c = page
            .changes
            .iter()
            .rev()
            .find(|c| {
                c.kind == ChangeKind::User && c.data.get().contains(&format!("\"username\":\"{user}\""))
            })
            .unwrap();
        let record: loket_protocol::UserRecord = serde_json::from_str(c.data.get()).unwrap();
        assert!(!c.data.get().contains("argon2"), "no password hash reaches a laptop");
        UserKey::unwrap(&record.wrapped_key, &format!("sandi-{user}-2026")).unwrap()
    };
    let here = pulled(&d).await;
    let (kasi, ani, lama) = (key_of(&here, "kasi"), key_of(&here, "ani"), key_of(&here, "lama"));
    let budi = key_of(&pulled(&other).await, "budi");
    admin::set_active(st, "lama", false).await.unwrap();

    let reg = conformance::register_op(1, "x", "36.01.01", "3601011205900001", "3601011501100003");
    let r: PushResponse =
        s.push(&d, "36.01.01", &[conformance::sign_as(reg, "ani", &ani)]).await.json().await.unwrap();
    assert_eq!(r.results[0].status, OpStatus::Accepted, "{:?}", r.results);
    let review = |seq: i64, actor: &str| {
        conformance::operation(
            seq,
            OpKind::ApplicationTransition,
            "x",
            json!({ "event_id": format!("e{seq}"), "application_id": "x", "action": "start_review",
                "from": "submitted", "to": "in_review", "actor": actor, "note": "" }),
            Some(1),
        )
    };
    let edit = |seq: i64| {
        conformance::operation(
            seq,
            OpKind::ApplicationEdit,
            "x",
            json!({ "application_id": "x", "fields": { "applicant_name": "Nama Palsu" } }),
            Some(1),
        )
    };
    let unsigned = |mut op: Operation| {
        // A proof with no user at all (the JSON has no proof; the test client would sign it).
        op.proof = Some(loket_protocol::Proof {
            user: String::new(),
            key_id: String::new(),
            signature: String::new(),
        });
        op
    };
    let without_key = UserKey::generate();
    let attempts: Vec<(&str, Operation)> = vec![
        ("bad_signature", conformance::sign_as(review(2, "kasi"), "kasi", &without_key)),
        ("unknown_user", unsigned(review(3, "kasi"))),
        ("forbidden_office", conformance::sign_as(review(4, "budi"), "budi", &budi)),
        ("user_deactivated", conformance::sign_as(review(5, "lama"), "lama", &lama)),
        ("role_not_allowed", conformance::sign_as(review(6, "ani"), "ani", &ani)),
        ("actor_mismatch", conformance::sign_as(review(7, "kasi"), "ani", &ani)),
        ("bad_signature", conformance::sign_as(edit(8), "kasi", &without_key)),
        ("unknown_user", unsigned(edit(9))),
        ("forbidden_office", conformance::sign_as(edit(10), "budi", &budi)),
        ("user_deactivated", conformance::sign_as(edit(11), "lama", &lama)),
    ];
    for (code, op) in attempts {
        let r: PushResponse = s.push(&d, "36.01.01", &[op]).await.json().await.unwrap();
        assert_eq!((r.results[0].status, r.results[0].code.as_deref()), (OpStatus::Rejected, Some(code)));
    }
    // Sent with no proof field at all.
    let bare = serde_json::to_value(edit(12)).unwrap();
    assert!(bare.get("proof").is_none());
    let r = s
        .post("/api/v1/offices/36.01.01/push")
        .bearer_auth(&d.token)
        .json(&json!({ "ops": [bare], "pending": 0, "app_version": "0.1.0" }))
        .send()
        .await
        .unwrap();
    let r: PushResponse = r.json().await.unwrap();
    assert_eq!(r.results[0].code.as_deref(), Some("unsigned"));
    // Nothing of it stored or published: no event, no edit; the application is as registered.
    let after = pulled(&d).await;
    assert!(!after.changes.iter().any(|c| matches!(c.kind, ChangeKind::Event | ChangeKind::Edit)));
    assert!(
        after.changes.iter().any(|c| c.kind == ChangeKind::State),
        "the device is told the server's state"
    );
    // The supervisor with their own key.
    let r: PushResponse = s
        .push(&d, "36.01.01", &[conformance::sign_as(review(13, "kasi"), "kasi", &kasi)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.results[0].status, OpStatus::Accepted, "{:?}", r.results);
    assert_eq!(pulled(&d).await.changes.iter().filter(|c| c.kind == ChangeKind::Event).count(), 1);
}

async fn same_batch_three_times_is_one_set_of_rows(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    let ops: Vec<_> = (1..=20)
        .map(|i| {
            conformance::register_op(
                i,
                &format!("a-{i}"),
                "36.01.01",
                &format!("360101120590{i:04}"),
                "3601011501100003",
            )
        })
        .collect();
    let mut answers = vec![];
    for _ in 0..3 {
        let r = s.push(&d, "36.01.01", &ops).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: PushResponse = r.json().await.unwrap();
        answers.push(body.results);
    }
    assert!(answers[0].iter().all(|r| r.status == OpStatus::Accepted));
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
    assert_eq!(s.storage.count_applications(None).await.unwrap(), 20);
    let pull = s.get("/api/v1/offices/36.01.01/changes?after=0").bearer_auth(&d.token);
    let pulled: PullResponse = pull.send().await.unwrap().json().await.unwrap();
    let apps = pulled.changes.iter().filter(|c| c.kind == loket_protocol::ChangeKind::Application);
    assert_eq!(apps.count(), 20);
    assert_eq!(pulled.next, pulled.changes.last().unwrap().server_seq);
    let devices = s.storage.list_devices().await.unwrap();
    assert!(devices[0].last_sync_at.is_some(), "the device list shows the last sync");
}

async fn malformed_and_oversized_payloads_store_nothing(backend: &str) {
    let s = start(backend, ApiConfig { body_limit: 64 * 1024, ..ApiConfig::default() }).await;
    let d = s.enroll("36.01.01").await;
    let path = "/api/v1/offices/36.01.01/push";
    let send = |body: String, ct: &'static str| {
        s.post(path).bearer_auth(&d.token).header("content-type", ct).body(body).send()
    };
    assert_eq!(
        error_code(send("{not json".into(), "application/json").await.unwrap()).await,
        (StatusCode::BAD_REQUEST, "malformed_json".into())
    );
    assert_eq!(
        error_code(send("{\"ops\": 5}".into(), "application/json").await.unwrap()).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body".into())
    );
    // A kind this protocol does not know: the push is refused as a whole (the device splits
    // it until the one operation is alone, and quarantines it).
    let mut unknown = serde_json::to_value(conformance::register_op(
        1,
        "x",
        "36.01.01",
        "3601011205900001",
        "3601011501100003",
    ))
    .unwrap();
    unknown["op"] = json!("application.teleport");
    let r = send(json!({ "ops": [unknown] }).to_string(), "application/json").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_body");
    assert!(body["message"].as_str().unwrap().contains("application.teleport"), "{body}");
    assert_eq!(
        error_code(send("{}".into(), "text/plain").await.unwrap()).await,
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "content_type".into())
    );
    let big = json!({ "ops": [conformance::register_op(1, "x", "36.01.01", "3601011205900001", "3601011501100003")], "pad": "x".repeat(100_000) });
    assert_eq!(
        error_code(send(big.to_string(), "application/json").await.unwrap()).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
    let too_many: Vec<_> = (1..=501)
        .map(|i| {
            conformance::register_op(i, &format!("a{i}"), "36.01.01", "3601011205900001", "3601011501100003")
        })
        .collect();
    let s2 = start(backend, ApiConfig::default()).await;
    let d2 = s2.enroll("36.01.01").await;
    assert_eq!(
        error_code(s2.push(&d2, "36.01.01", &too_many).await).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "too_many_operations".into())
    );
    assert_eq!(s.storage.count_applications(None).await.unwrap(), 0);
    assert_eq!(s2.storage.count_applications(None).await.unwrap(), 0);
    let unknown = s.get("/api/v1/nothing-here").send().await.unwrap();
    assert_eq!(error_code(unknown).await, (StatusCode::NOT_FOUND, "not_found".into()));
}

async fn old_protocol_gets_426(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let enroll_as = |version: String| {
        s.http.post(s.url("/api/v1/enroll")).header(PROTOCOL_HEADER, version).json(&json!({})).send()
    };
    // Protocol 1 carried kinds as free strings: a device that old must update first.
    for old in ["0", "1"] {
        let r = enroll_as(old.into()).await.unwrap();
        assert_eq!(r.status(), StatusCode::UPGRADE_REQUIRED, "protocol {old}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "upgrade_required");
        assert_eq!(body["min_version"], loket_protocol::MIN_PROTOCOL_VERSION);
    }
    let r = s.http.post(s.url("/api/v1/enroll")).json(&json!({})).send().await.unwrap();
    assert_eq!(error_code(r).await, (StatusCode::BAD_REQUEST, "protocol_required".into()));
    // A protocol from the future is refused by name, not served as this one.
    let r = enroll_as((PROTOCOL_VERSION + 1).to_string()).await.unwrap();
    assert_eq!(error_code(r).await, (StatusCode::BAD_REQUEST, "protocol_unsupported".into()));
}

async fn enrollment_is_rate_limited(backend: &str) {
    let s = start(
        backend,
        ApiConfig { auth_rate_limit: 3, auth_rate_window: Duration::from_secs(600), ..ApiConfig::default() },
    )
    .await;
    let body = json!({ "code": "AAAA-BBBB-CCCC", "device_name": "x", "app_version": "" });
    for _ in 0..3 {
        let r = s.post("/api/v1/enroll").json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let r = s.post("/api/v1/enroll").json(&body).send().await.unwrap();
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("600"));
    assert_eq!(error_code(r).await, (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into()));
    let login = json!({ "username": "ani", "password": "salah" });
    for _ in 0..3 {
        assert_eq!(
            s.post("/api/v1/login").json(&login).send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        s.post("/api/v1/login").json(&login).send().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Behind a reverse proxy the peer is the proxy: rate limits key on the client the trusted
/// proxy names in `X-Forwarded-For`, and a client's own `X-Forwarded-For` is not believed.
#[tokio::test]
async fn rate_limits_key_on_the_client_behind_a_trusted_proxy() {
    let limited = |trusted_proxies| ApiConfig {
        auth_rate_limit: 2,
        auth_rate_window: Duration::from_secs(600),
        trusted_proxies,
        ..ApiConfig::default()
    };
    let body = json!({ "code": "AAAA-BBBB-CCCC", "device_name": "x", "app_version": "" });
    let behind = start("sqlite", limited(vec!["127.0.0.1".parse().unwrap()])).await;
    let from =
        |client: &'static str| behind.post("/api/v1/enroll").header("x-forwarded-for", client).json(&body);
    for _ in 0..2 {
        assert_eq!(from("10.1.1.1").send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    }
    assert_eq!(from("10.1.1.1").send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(from("10.1.1.2").send().await.unwrap().status(), StatusCode::BAD_REQUEST, "another office");
    // A client that claims another address through the proxy is keyed on what the proxy saw.
    assert_eq!(
        from("10.9.9.9, 10.1.1.1").send().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the rightmost hop is the one the proxy appended"
    );
    let direct = start("sqlite", limited(vec![])).await;
    for (i, client) in ["10.1.1.1", "10.1.1.2", "10.1.1.3"].into_iter().enumerate() {
        let r =
            direct.post("/api/v1/enroll").header("x-forwarded-for", client).json(&body).send().await.unwrap();
        let want = if i < 2 { StatusCode::BAD_REQUEST } else { StatusCode::TOO_MANY_REQUESTS };
        assert_eq!(r.status(), want, "no trusted proxy: the header is ignored");
    }
}

#[tokio::test]
async fn login_checks_the_argon2_hash() {
    let s = start("sqlite", ApiConfig::default()).await;
    supervisor(&s, "kasi.pelayanan").await;
    let ok = s
        .post("/api/v1/login")
        .json(&json!({ "username": "kasi.pelayanan", "password": "rahasia-panjang" }))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["roles"], json!(["supervisor"]));
    let bad = s
        .post("/api/v1/login")
        .json(&json!({ "username": "kasi.pelayanan", "password": "salah-sekali" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(bad).await, (StatusCode::UNAUTHORIZED, "invalid_credentials".into()));
}

/// A password hashed by an older version (argon2's 19 MiB default) still logs in, and is
/// hashed again with today's parameters (64 MiB, 3 passes) on that login.
#[tokio::test]
async fn weaker_password_hashes_are_upgraded_at_login() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let s = start("sqlite", ApiConfig::default()).await;
    supervisor(&s, "kasi.lama").await;
    let salt = SaltString::encode_b64(b"garam-enam-belas").unwrap();
    let old = argon2::Argon2::default().hash_password(b"rahasia-panjang", &salt).unwrap().to_string();
    let update = loket_server::storage::UserUpdate::PasswordHash(old.clone());
    s.storage.update_user("kasi.lama", update, Utc::now()).await.unwrap();
    let login = |password: &'static str| {
        s.post("/api/v1/login").json(&json!({ "username": "kasi.lama", "password": password })).send()
    };
    assert_eq!(login("salah-sekali").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let stored = s.storage.user_by_username("kasi.lama").await.unwrap().unwrap().password_hash;
    assert_eq!(stored, old, "a wrong password changes nothing");
    assert_eq!(login("rahasia-panjang").await.unwrap().status(), StatusCode::OK);
    let stored = s.storage.user_by_username("kasi.lama").await.unwrap().unwrap().password_hash;
    assert!(stored.contains("m=65536,t=3,p=1") && !auth::needs_rehash(&stored), "{stored}");
    assert_eq!(login("rahasia-panjang").await.unwrap().status(), StatusCode::OK);
}

/// A supervisor of 36.01.01 whose password is `rahasia-panjang`.
async fn supervisor(s: &Server, username: &str) {
    admin::add_office(s.storage.as_ref(), "36.01.01").await.unwrap();
    admin::add_user(
        s.storage.as_ref(),
        "36.01.01",
        username,
        "Kasi",
        &["supervisor".into()],
        "rahasia-panjang",
        None,
    )
    .await
    .unwrap();
}

/// An unknown username, a deactivated user and a wrong password get the same answer, in about
/// the same time: the answer does not tell which accounts exist.
#[tokio::test]
async fn login_answers_do_not_tell_whether_a_user_exists() {
    let lenient = LockoutPolicy { per_user: 1000, per_address: 1000, ..LockoutPolicy::default() };
    let s =
        start("sqlite", ApiConfig { auth_rate_limit: 1000, lockout: lenient, ..ApiConfig::default() }).await;
    for name in ["kasi.pelayanan", "pensiun"] {
        supervisor(&s, name).await;
    }
    admin::set_active(s.storage.as_ref(), "pensiun", false).await.unwrap();
    let attempt = |username: &'static str, password: &'static str| {
        let body = json!({ "username": username, "password": password });
        let s = &s;
        async move {
            let t = std::time::Instant::now();
            let r = s.post("/api/v1/login").json(&body).send().await.unwrap();
            let answer = (r.status(), r.text().await.unwrap());
            (answer, t.elapsed())
        }
    };
    let (wrong, _) = attempt("kasi.pelayanan", "salah-sekali").await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt("tidak.ada", "salah-sekali").await.0, wrong, "unknown user");
    assert_eq!(attempt("pensiun", "rahasia-panjang").await.0, wrong, "deactivated user, right password");
    // Timing over many tries, interleaved: the medians are within a factor of two of each
    // other (before, an unknown user was answered ~16 times faster).
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        known.push(attempt("kasi.pelayanan", "salah-sekali").await.1);
        unknown.push(attempt("tidak.ada", "salah-sekali").await.1);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64()
    };
    let ratio = median(known) / median(unknown);
    assert!((0.5..2.0).contains(&ratio), "known/unknown median time ratio {ratio:.2}");
}

/// Repeated failures lock the username (with `Retry-After`), even for the right password, and
/// the lock lifts.
#[tokio::test]
async fn repeated_failed_logins_lock_the_user_for_a_while() {
    let policy = LockoutPolicy {
        per_user: 3,
        per_address: 100,
        base: Duration::from_millis(400),
        cap: Duration::from_secs(2),
    };
    let s =
        start("sqlite", ApiConfig { lockout: policy, auth_rate_limit: 1000, ..ApiConfig::default() }).await;
    admin::add_office(s.storage.as_ref(), "36.01.01").await.unwrap();
    admin::add_user(
        s.storage.as_ref(),
        "36.01.01",
        "kasi",
        "Kasi",
        &["supervisor".into()],
        "rahasia-panjang",
        None,
    )
    .await
    .unwrap();
    let login =
        |password: &str| s.post("/api/v1/login").json(&json!({ "username": "kasi", "password": password }));
    for _ in 0..3 {
        assert_eq!(login("salah-sekali").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let locked = login("rahasia-panjang").send().await.unwrap();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    assert_eq!(error_code(locked).await.1, "login_locked");
    // Lifts: poll (each poll while locked is refused without counting) until it answers.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = login("rahasia-panjang").send().await.unwrap();
        if r.status() == StatusCode::OK {
            break;
        }
        assert_eq!(error_code(r).await.1, "login_locked");
        assert!(std::time::Instant::now() < deadline, "the lock did not lift");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn health_readiness_and_openapi() {
    let s = start("sqlite", ApiConfig::default()).await;
    assert_eq!(s.http.get(s.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    let ready: Value = s.http.get(s.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready, json!({ "ready": true, "backend": "sqlite" }));
    let doc: Value = s.http.get(s.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/enroll",
        "/api/v1/login",
        "/api/v1/offices/{office}/push",
        "/api/v1/offices/{office}/changes",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
}

use conformance::gzip;

/// Push bodies may be gzip (decoded with a cap: a zip bomb is 413, garbage is 400, nothing
/// stored); pull pages come back gzip when asked.
async fn gzip_bodies_both_ways(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    let push = |body: Vec<u8>| s.push_gzip(&d, body);
    let op = conformance::register_op(1, "gz-1", "36.01.01", "3601011205900001", "3601011501100003");
    let ops = conformance::signed_in("36.01.01", vec![op]);
    let json = serde_json::to_vec(&json!({ "ops": ops, "pending": 0, "app_version": "0.1.0" })).unwrap();
    let r = push(gzip(&json)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: PushResponse = r.json().await.unwrap();
    assert_eq!(body.results[0].status, OpStatus::Accepted);
    assert_eq!(
        error_code(push(b"not gzip".to_vec()).send().await.unwrap()).await,
        (StatusCode::BAD_REQUEST, "malformed_gzip".into())
    );
    // 64 MiB of spaces compress to ~64 KiB: refused after 32 MiB of decoding.
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < 1024 * 1024);
    assert_eq!(
        error_code(push(bomb).send().await.unwrap()).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
    assert_eq!(s.storage.count_applications(None).await.unwrap(), 1);
    // A client that leaves decoding to this test (whatever reqwest features the workspace enables).
    let plain = reqwest::Client::builder().no_gzip().build().unwrap();
    let r = plain
        .get(s.url("/api/v1/offices/36.01.01/changes?after=0"))
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .bearer_auth(&d.token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let raw = r.bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[..]), &mut text).unwrap();
    let page: PullResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(page.changes.iter().filter(|c| c.entity_id == "gz-1").count(), 1);
}

/// An operation that inflates is refused alone, before it is decoded: nothing of it stored or
/// published, the operations beside it accepted, the server answering. A push that inflates past
/// the decoded limit is refused whole.
async fn inflating_operations_are_refused_alone(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    let mut big = conformance::register_op(1, "big", "36.01.01", "3601011205900001", "3601011501100003");
    // Three MB of `0,` in one operation: the gzip body is a few KiB.
    conformance::edit_payload(&mut big, |p| p["details"]["extra"] = json!(vec![0u8; 1_500_000]));
    let good = conformance::register_op(2, "good", "36.01.01", "3601011205900002", "3601011501100003");
    let ops = conformance::signed_in("36.01.01", vec![big, good]);
    let body =
        gzip(&serde_json::to_vec(&json!({ "ops": ops, "pending": 0, "app_version": "0.1.0" })).unwrap());
    assert!(body.len() < 64 * 1024, "{}", body.len());
    let push = |body: Vec<u8>| s.push_gzip(&d, body).send();
    let r = push(body).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let results: PushResponse = r.json().await.unwrap();
    let codes: Vec<_> = results.results.iter().map(|r| (r.status, r.code.as_deref())).collect();
    assert_eq!(codes, [(OpStatus::Rejected, Some("payload_too_large")), (OpStatus::Accepted, None)]);
    assert_eq!(s.storage.count_applications(None).await.unwrap(), 1);
    let page = s.pull(&d, 0).await;
    assert!(page.changes.iter().all(|c| c.entity_id != "big"), "nothing of it published");
    // Past the decoded limit (8 MiB): the push is refused whole.
    let mut huge = conformance::register_op(3, "huge", "36.01.01", "3601011205900003", "3601011501100003");
    conformance::edit_payload(&mut huge, |p| p["details"]["extra"] = json!(vec![0u8; 5_000_000]));
    let ops = conformance::signed_in("36.01.01", vec![huge]);
    let body =
        gzip(&serde_json::to_vec(&json!({ "ops": ops, "pending": 0, "app_version": "0.1.0" })).unwrap());
    assert_eq!(
        error_code(push(body).await.unwrap()).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
    assert_eq!(s.http.get(s.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(s.storage.count_applications(None).await.unwrap(), 1);
}

/// Attachment contents are taken only for an attach operation the server accepted, of the type
/// it declared; every refusal is `{code, message}`.
async fn attachments_only_for_accepted_attach_operations(backend: &str) {
    let s = start(backend, ApiConfig { body_limit: 64 * 1024, ..ApiConfig::default() }).await;
    let d = s.enroll("36.01.01").await;
    let exe = b"MZ\x90\x00 not a scan".to_vec();
    let sha = |c: &[u8]| {
        use sha2::Digest;
        sha2::Sha256::digest(c).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let upload = |content: &[u8]| {
        s.http
            .put(s.url(&format!(
                "/api/v1/offices/36.01.01/attachments/{}?offset=0&size={}",
                sha(content),
                content.len()
            )))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&d.token)
            .body(content.to_vec())
            .send()
    };
    assert_eq!(
        error_code(upload(&exe).await.unwrap()).await,
        (StatusCode::CONFLICT, "attachment_not_expected".into())
    );
    let register = conformance::register_op(1, "app-1", "36.01.01", "3601011205900001", "3601011501100003");
    let attach = conformance::attach_op(2, "app-1", &exe, "image/png");
    let r: PushResponse = s.push(&d, "36.01.01", &[register, attach]).await.json().await.unwrap();
    assert!(r.results.iter().all(|r| r.status == OpStatus::Accepted), "{:?}", r.results);
    assert_eq!(
        error_code(upload(&exe).await.unwrap()).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "attachment_type_mismatch".into())
    );
    let download = s
        .get(&format!("/api/v1/offices/36.01.01/attachments/{}", sha(&exe)))
        .bearer_auth(&d.token)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(download).await, (StatusCode::NOT_FOUND, "not_found".into()));
    // Beyond the body limit, a wrong method: the one error shape.
    let big = vec![0u8; 100 * 1024];
    assert_eq!(
        error_code(upload(&big).await.unwrap()).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "chunk_too_large".into())
    );
    let wrong = s.http.delete(s.url("/api/v1/offices/36.01.01/push")).send().await.unwrap();
    assert_eq!(error_code(wrong).await, (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into()));
    let wrong = s.http.post(s.url("/healthz")).send().await.unwrap();
    assert_eq!(error_code(wrong).await, (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into()));
    let bad_path = s.get("/api/v1/offices/%FF%FE/changes").bearer_auth(&d.token).send().await.unwrap();
    assert_eq!(error_code(bad_path).await, (StatusCode::BAD_REQUEST, "invalid_path".into()));
}

/// A device syncing faster than the server allows is told when to come back; other devices go on.
#[tokio::test]
async fn sync_is_rate_limited_per_device() {
    let s = start("sqlite", ApiConfig { sync_rate_limit: 3, ..ApiConfig::default() }).await;
    let (a, b) = (s.enroll("36.01.01").await, s.enroll("36.01.01").await);
    let pull =
        |d: &EnrollResponse| s.get("/api/v1/offices/36.01.01/changes?after=0").bearer_auth(&d.token).send();
    for _ in 0..3 {
        assert_eq!(pull(&a).await.unwrap().status(), StatusCode::OK);
    }
    let r = pull(&a).await.unwrap();
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(error_code(r).await, (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into()));
    assert_eq!(pull(&b).await.unwrap().status(), StatusCode::OK, "per device");
}

/// Connections that never finish their headers, or idle ones, are closed after the header
/// timeout; beyond the connection cap the API answers `503 server_busy` while the health
/// endpoints still answer.
#[tokio::test]
async fn slow_connections_never_stop_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limits =
        ServeLimits { max_connections: 8, header_timeout: Duration::from_secs(60), ..ServeLimits::default() };
    let s = start_limited("sqlite", ApiConfig::default(), limits).await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for i in 0..40 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 0 {
            c.write_all(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: loket\r\n").await.unwrap();
        }
        slow.push(c);
    }
    // A new connection is beyond the cap: health answers, the API asks to come back.
    let fresh = || reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    assert_eq!(fresh().get(s.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    let busy = fresh().get(s.url("/api/v1/openapi.json")).send().await.unwrap();
    assert!(busy.headers().contains_key("retry-after"));
    assert_eq!(error_code(busy).await, (StatusCode::SERVICE_UNAVAILABLE, "server_busy".into()));
    drop(slow);

    // With a short header timeout, silent, half-sent and idle keep-alive connections are all
    // closed by the server (each read below ends because the server hung up).
    let limits = ServeLimits {
        header_timeout: Duration::from_millis(300),
        busy_header_timeout: Duration::from_millis(300),
        ..ServeLimits::default()
    };
    let s = start_limited("sqlite", ApiConfig::default(), limits).await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut half = tokio::net::TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: lo").await.unwrap();
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: loket\r\n\r\n").await.unwrap();
    let guard = Duration::from_secs(20);
    for (name, c) in [("silent", &mut silent), ("half", &mut half), ("idle", &mut idle)] {
        let mut got = Vec::new();
        tokio::time::timeout(guard, c.read_to_end(&mut got))
            .await
            .unwrap_or_else(|_| panic!("{name}: the server kept the connection open"))
            .unwrap();
        if name == "idle" {
            assert!(got.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&got));
        }
    }
    assert_eq!(fresh().get(s.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
}

/// Pushes `ops` one at a time, each signed by the user named with it, and returns the codes.
async fn codes_of(
    s: &Server,
    d: &EnrollResponse,
    ops: Vec<(&str, loket_protocol::Operation)>,
) -> Vec<String> {
    let mut codes = Vec::new();
    for (user, op) in ops {
        let op = conformance::sign_as(op, user, &conformance::KEY);
        let r = s.push(d, &d.office_code, &[op]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r: PushResponse = r.json().await.unwrap();
        codes.push(r.results[0].code.clone().unwrap_or_else(|| "accepted".into()));
    }
    codes
}

/// Each class of bad operation a device may send, through HTTP: refused with its validator's
/// code, nothing stored, nothing published but the device's own application state, the server
/// still answering.
async fn every_class_of_bad_operation_is_refused_by_name(backend: &str) {
    use loket_protocol::{ChangeKind, OpKind};
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    conformance::user(s.storage.as_ref(), "36.01.01", "ani", &["clerk"]).await;
    let kk = "3601011501100003";
    let good = conformance::register_op(1, "app-1", "36.01.01", "3601011205900001", kk);
    let number = serde_json::from_str::<Value>(good.payload.get()).unwrap()["registration_number"].clone();
    assert_eq!(codes_of(&s, &d, vec![("ani", good)]).await, ["accepted"]);
    let before = s.pull(&d, 0).await.next;
    let mut seq = 1;
    let mut registration = |f: &dyn Fn(&mut Value)| {
        seq += 1;
        let mut op = conformance::register_op(seq, &format!("bad-{seq}"), "36.01.01", "3601011205900002", kk);
        conformance::edit_payload(&mut op, f);
        op
    };
    let mut ops = vec![
        registration(&|p| p["kk"] = json!("36")),
        registration(&|p| p["kk"] = json!("36010115011000AB")),
        registration(&|p| p["applicant_nik"] = json!(3601011205900002_u64)),
        registration(&|p| p["applicant_nik"] = json!({ "nik": "3601011205900002" })),
        registration(&|p| {
            p["applicant_nik"] = json!(null);
            p["kk"] = json!(null);
        }),
        registration(&|p| p["service_code"] = json!("BANSOS-FIKTIF")),
        registration(&|p| p["registration_number"] = json!("REG/2026/0001")),
        registration(&|p| p["registration_number"] = json!("360102-AAAA-000001")),
        registration(&|p| p["registration_number"] = number.clone()),
    ];
    let on_app =
        |seq: i64, kind: OpKind, payload: Value| conformance::operation(seq, kind, "app-1", payload, Some(1));
    ops.extend([
        on_app(20, OpKind::ApplicationEdit, json!({ "application_id": "app-1", "fields": { "applicant_name": { "x": 1 } } })),
        on_app(21, OpKind::ApplicationEdit, json!({ "application_id": "app-1", "fields": { "applicant_name": 42 } })),
        on_app(
            22,
            OpKind::ApplicationEdit,
            json!({ "application_id": "app-1", "fields": { "applicant_name": "A".repeat(1 << 20) } }),
        ),
        on_app(23, OpKind::ApplicationDocument, json!({ "application_id": "app-1", "code": "ktp", "received": true })),
        on_app(
            24,
            OpKind::ApplicationAttach,
            json!({ "application_id": "app-1", "sha256": "ab".repeat(32), "size": 10, "media_type": "application/x-msdownload" }),
        ),
    ]);
    let codes = codes_of(&s, &d, ops.into_iter().map(|op| ("ani", op)).collect()).await;
    assert_eq!(
        codes,
        [
            "kk.length",
            "kk.not_digits",
            "invalid_payload",
            "invalid_payload",
            "nik.empty",
            "programme.unknown",
            "registration_number.invalid",
            "registration_number.other_office",
            "registration_number.taken",
            "invalid_payload",
            "invalid_payload",
            "payload_too_large",
            "documents.unknown",
            "attachment.type",
        ]
    );
    assert_eq!(s.storage.count_applications(None).await.unwrap(), 1, "nothing stored");
    let after = s.pull(&d, before).await;
    assert!(
        after.changes.iter().all(|c| c.kind == ChangeKind::State && c.entity_id == "app-1"),
        "nothing published but app-1's state: {:?}",
        after.changes.iter().map(|c| (c.kind, c.entity_id.as_str())).collect::<Vec<_>>()
    );
    assert_eq!(s.http.get(s.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
}

/// Staff, account and holiday operations over HTTP: clerk, supervisor and admin of the office,
/// and a supervisor of another office, each trying each; only what they may do is relayed.
async fn office_records_by_role_and_office(backend: &str) {
    use loket_protocol::{ChangeKind, OpKind};
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    s.enroll("36.01.02").await;
    let st = s.storage.as_ref();
    for (office, user, role) in [
        ("36.01.01", "ani", "clerk"),
        ("36.01.01", "kasi", "supervisor"),
        ("36.01.01", "it-kab", "admin"),
        ("36.01.02", "budi", "supervisor"),
    ] {
        conformance::user(st, office, user, &[role]).await;
    }
    // Each user's records are new ones (a record is created once; see `staff_conflicts`).
    let records = |seq: i64| {
        let id = format!("s{seq}");
        let staff = json!({ "id": id, "full_name": "Dedi Kurniawan", "status": "non_asn", "jabatan": "Pengadministrasi Umum", "unit_code": "36.01.01" });
        vec![
            conformance::operation(seq, OpKind::StaffCreate, &id, staff.clone(), None),
            conformance::operation(
                seq + 1,
                OpKind::StaffUpdate,
                &id,
                json!({ "id": id, "fields": staff.clone() }),
                Some(1),
            ),
            conformance::operation(seq + 2, OpKind::UserDeactivate, "u1", json!({ "id": "u1" }), Some(1)),
            conformance::operation(
                seq + 3,
                OpKind::UserCreate,
                "u1",
                json!({ "id": "u1", "staff_id": id, "username": "dedi", "roles": ["clerk"] }),
                None,
            ),
            conformance::operation(
                seq + 4,
                OpKind::HolidaySet,
                "2026-03-20",
                json!({ "day": "2026-03-20", "name": "Idul Fitri 1447 H", "kind": "cuti_bersama", "off": true }),
                None,
            ),
        ]
    };
    let expected = |user: &str, kind: OpKind| match (user, kind) {
        ("budi", _) => "forbidden_office",
        ("ani", _) => "role_not_allowed",
        ("kasi", OpKind::StaffCreate | OpKind::StaffUpdate | OpKind::UserDeactivate) => "accepted",
        ("kasi", _) => "role_not_allowed",
        _ => "accepted",
    };
    let mut seq = 1;
    let mut relayed = 0;
    for user in ["ani", "kasi", "it-kab", "budi"] {
        let ops = records(seq);
        seq += ops.len() as i64;
        let want: Vec<&str> = ops.iter().map(|op| expected(user, op.op)).collect();
        let codes = codes_of(&s, &d, ops.into_iter().map(|op| (user, op)).collect()).await;
        assert_eq!(codes, want, "{user}");
        relayed += want.iter().filter(|c| **c == "accepted").count();
    }
    let page = s.pull(&d, 0).await;
    assert_eq!(page.changes.iter().filter(|c| c.kind == ChangeKind::Record).count(), relayed);
}

/// The updater's endpoint: a release at 100 % is offered with its signature and a URL on this
/// server, never to a laptop already at that version, to none while paused; its bundle downloads
/// whole or by ranges (a cut download resumes), and IT sees who was offered and who downloaded.
async fn updates_are_offered_by_rollout_and_downloads_resume(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    let dir = tempfile::tempdir().unwrap();
    let bundle: Vec<u8> = (0..1_500_000u32).map(|i| (i % 253) as u8).collect();
    let file = dir.path().join("loket_0.2.0_amd64.deb");
    std::fs::write(&file, &bundle).unwrap();
    let key = common::SigningKey::generate();
    let signature = key.sign(&bundle, "0.2.0");
    std::fs::write(dir.path().join("loket_0.2.0_amd64.deb.sig"), format!("{signature}\n")).unwrap();
    let artifact = [format!("linux-x86_64={}", file.display())];
    let publish =
        || loket_server::updates::publish(s.storage.as_ref(), "0.2.0", "Perbaikan", &artifact, 100, &[]);
    assert!(matches!(publish().await, Err(loket_server::updates::ReleaseError::NoKey)), "no key trusted");
    // Signed by another key: refused.
    loket_server::updates::trust_key(s.storage.as_ref(), &common::SigningKey::generate().public())
        .await
        .unwrap();
    assert!(matches!(publish().await, Err(loket_server::updates::ReleaseError::Signature { .. })));
    loket_server::updates::trust_key(s.storage.as_ref(), &key.public()).await.unwrap();
    // Published as another version than the one signed: refused.
    let misnamed = loket_server::updates::publish(s.storage.as_ref(), "0.2.1", "", &artifact, 100, &[]).await;
    assert!(matches!(misnamed, Err(loket_server::updates::ReleaseError::Signature { .. })), "{misnamed:?}");
    publish().await.unwrap();
    let check = |version: &str| {
        s.get(&format!("/api/v1/updates/linux/x86_64/{version}")).bearer_auth(&d.token).send()
    };

    let offer: Value = {
        let r = check("0.1.0").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    };
    assert_eq!(offer["version"], "0.2.0");
    assert_eq!(offer["signature"], signature);
    let url = offer["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:") && url.contains("/api/v1/updates/artifacts/"), "{url}");
    assert_eq!(check("0.2.0").await.unwrap().status(), StatusCode::NO_CONTENT, "no reinstall");
    assert_eq!(check("0.3.0").await.unwrap().status(), StatusCode::NO_CONTENT, "no downgrade");
    assert_eq!(
        error_code(check("dua").await.unwrap()).await,
        (StatusCode::BAD_REQUEST, "invalid_version".into())
    );
    assert_eq!(
        s.get("/api/v1/updates/linux/x86_64/0.1.0").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let windows = s.get("/api/v1/updates/windows/x86_64/0.1.0").bearer_auth(&d.token).send().await.unwrap();
    assert_eq!(windows.status(), StatusCode::NO_CONTENT, "no bundle for that platform");

    // The download is cut at 600,000 bytes; the rest comes by range.
    let path = url.split_once("/api/v1").map(|(_, p)| format!("/api/v1{p}")).unwrap();
    let first = s.get(&path).bearer_auth(&d.token).header("range", "bytes=0-599999").send().await.unwrap();
    assert_eq!(first.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(first.headers()["content-range"], "bytes 0-599999/1500000");
    let mut got = first.bytes().await.unwrap().to_vec();
    let rest = s.get(&path).bearer_auth(&d.token).header("range", "bytes=600000-").send().await.unwrap();
    assert_eq!(rest.status(), StatusCode::PARTIAL_CONTENT);
    got.extend_from_slice(&rest.bytes().await.unwrap());
    assert_eq!(got, bundle);
    let whole = s.get(&path).bearer_auth(&d.token).send().await.unwrap();
    assert_eq!(
        (whole.status(), whole.headers()["accept-ranges"].to_str().unwrap()),
        (StatusCode::OK, "bytes")
    );
    assert_eq!(whole.bytes().await.unwrap().len(), bundle.len());
    let beyond = s.get(&path).bearer_auth(&d.token).header("range", "bytes=2000000-").send().await.unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.headers()["content-range"], "bytes */1500000");
    // The laptop could not install it: counted for IT.
    let failed =
        |version: &str| s.post(&format!("/api/v1/updates/failed/{version}")).bearer_auth(&d.token).send();
    assert_eq!(failed("0.2.0").await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(error_code(failed("0.9.0").await.unwrap()).await, (StatusCode::NOT_FOUND, "not_found".into()));
    assert_eq!(
        error_code(failed("dua").await.unwrap()).await,
        (StatusCode::BAD_REQUEST, "invalid_version".into())
    );
    let counts = s.storage.rollout_counts("0.2.0").await.unwrap();
    assert_eq!(
        counts,
        [("downloaded".to_string(), 1), ("failed".to_string(), 1), ("offered".to_string(), 1)]
    );

    loket_server::updates::update(
        s.storage.as_ref(),
        "0.2.0",
        Some(loket_server::rules::release::ReleaseState::Paused),
        None,
    )
    .await
    .unwrap();
    assert_eq!(check("0.1.0").await.unwrap().status(), StatusCode::NO_CONTENT, "paused: nobody");
}

/// IT sets a minimum app version: an older laptop's sync is refused with 426 (the window then
/// offers the update); an app at the minimum syncs.
async fn below_the_minimum_app_version_sync_is_426(backend: &str) {
    let s = start(backend, ApiConfig::default()).await;
    let d = s.enroll("36.01.01").await;
    let pull = |version: &'static str| {
        s.get("/api/v1/offices/36.01.01/changes?after=0")
            .bearer_auth(&d.token)
            .header("x-loket-app-version", version)
            .send()
    };
    // (Every other test syncs without a minimum; a running server reads a new one within 30 s.)
    s.storage.set_minimum_app_version("0.3.0").await.unwrap();
    assert_eq!(
        error_code(pull("0.2.9").await.unwrap()).await,
        (StatusCode::UPGRADE_REQUIRED, "app_upgrade_required".into())
    );
    assert_eq!(pull("0.3.0").await.unwrap().status(), StatusCode::OK);
    let none = s.get("/api/v1/offices/36.01.01/changes?after=0").bearer_auth(&d.token).send().await.unwrap();
    assert_eq!(
        error_code(none).await.0,
        StatusCode::UPGRADE_REQUIRED,
        "an app that does not say its version"
    );
}
