//! Sessions on a shared counter laptop, in the real window: the session locks after a while
//! without activity (shortened here to a few seconds), nothing is shown or changed until a
//! password opens it, another user can take over, the first user's unsynced work stays and is
//! synced, and the audit trail names each user for their own actions.

use anyhow::{ensure, Result};
use loket_e2e::{enroll, log_in, on_server, register_bansos, run, ServerProcess};

fn signal(server: &ServerProcess, sig: &str) -> Result<()> {
    let status = std::process::Command::new("kill").args([sig, &server.pid().to_string()]).status()?;
    ensure!(status.success(), "kill {sig}");
    Ok(())
}

/// A wrong password does not open a locked session.
async fn unlock_refused(app: &loket_e2e::App, password: &str) -> Result<()> {
    app.fill("#unlock-password", password).await?;
    app.click("#unlock-submit").await?;
    app.find_text("#unlock-error", "salah").await?;
    Ok(())
}

fn add_user(
    db: &std::path::Path,
    username: &str,
    full_name: &str,
    roles: &str,
    password: &str,
) -> Result<()> {
    ServerProcess::add_user(
        db,
        &loket_e2e::NewUser { office: "36.01.01", username, full_name, roles, password },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_session_locks_and_another_user_takes_over_without_losing_work() -> Result<()> {
    // This test binary is alone in its process: the window it starts locks after 6 s idle.
    std::env::set_var("LOKET_IDLE_LOCK_SECONDS", "6");
    // ... and asks for the password again before every aid decision.
    std::env::set_var("LOKET_REAUTH_SECONDS", "0");
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("server.sqlite3");
    ServerProcess::admin(&db, &["office", "add", "36.01.01"])?;
    add_user(&db, "ani", "Ani Suryani", "clerk", "rahasia-ani-2026")?;
    add_user(&db, "kasi", "Dedi Kurniawan", "clerk,supervisor", "rahasia-kasi-2026")?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"])?.trim().to_string();
    let server = ServerProcess::start(&db)?;
    run("an_idle_session_locks", async |app| {
        enroll(app, &server.url, &code).await?;
        log_in(app, "ani", "rahasia-ani-2026", "Ani Suryani").await?;

        // The server stops answering: Ani's registration stays on this laptop, unsynced.
        signal(&server, "-STOP")?;
        let number = register_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        app.find_text("#sync-pending", "1").await?;

        // Ani steps away: the session locks by itself, and shows nothing of the office's work.
        app.find("#lock-title").await?;
        app.find_text("#lock-user", "ani").await?;
        app.gone("#applications").await?;
        unlock_refused(app, "salah").await?;

        // Dedi takes over the counter with his own password.
        app.click("#switch-user").await?;
        log_in(app, "kasi", "rahasia-kasi-2026", "Dedi Kurniawan").await?;
        app.find_text("#applications tbody tr", &number).await?;

        // The server answers again: Ani's work is synced.
        signal(&server, "-CONT")?;
        on_server(&server, &number, |_| true).await?;
        loket_e2e::take_step(app, "start_review", "Diperiksa").await?;
        // Approving aid needs Dedi's password again; a wrong one decides nothing.
        app.click("#applications tbody tr button[data-action='approve']").await?;
        app.fill("#reauth-password", "salah").await?;
        app.click("#reauth-submit").await?;
        app.find_text("#action-error", "salah").await?;
        app.find_text("#applications tbody tr .status", "Diperiksa").await?;
        app.fill("#reauth-password", "rahasia-kasi-2026").await?;
        app.click("#reauth-submit").await?;
        app.find_text("#applications tbody tr .status", "Disetujui").await?;

        let store = app.open_store()?;
        let application = store.application_by_number(&number)?.expect("registered");
        let actions: Vec<(String, String)> = store
            .audit_for("application", &application.id)?
            .into_iter()
            .map(|e| (e.action, e.actor))
            .collect();
        ensure!(
            actions
                == [
                    ("register".to_string(), "ani".to_string()),
                    ("transition".into(), "kasi".into()),
                    ("transition".into(), "kasi".into())
                ],
            "audit trail {actions:?}"
        );
        Ok(())
    })
    .await
}
