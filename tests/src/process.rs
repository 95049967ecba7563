//! Child processes of the harness: Xvfb and tauri-driver.
//!
//! Readiness is observed, never assumed: Xvfb prints its display number on `-displayfd` once it
//! accepts clients, and tauri-driver is ready when its port accepts a connection.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A child process that is stopped when dropped.
pub struct Guard {
    child: Child,
    what: &'static str,
}

impl Guard {
    /// SIGTERM, then wait (tauri-driver must get SIGTERM: SIGKILL leaves WebKitWebDriver behind).
    pub async fn stop(mut self) {
        terminate(&self.child);
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            eprintln!("{} did not stop on SIGTERM; killing", self.what);
            let _ = self.child.kill().await;
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            terminate(&self.child);
        }
    }
}

fn terminate(child: &Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    }
}

/// The screen of the window tests' displays.
pub const SCREEN: &str = "1280x860";

/// Start a private Xvfb display of `screen` (`WIDTHxHEIGHT`); returns it and its name (`:N`).
pub async fn start_xvfb(screen: &str) -> Result<(Guard, String)> {
    let mut child = Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", &format!("{screen}x24"), "-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting Xvfb (apt-get install xvfb, or run `make setup`)")?;
    let stdout = child.stdout.take().context("Xvfb stdout")?;
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    let read = reader.read_line(&mut line);
    tokio::time::timeout(Duration::from_secs(20), read).await.context("Xvfb did not start")??;
    let n = line.trim();
    if n.is_empty() {
        bail!("Xvfb exited without a display number");
    }
    Ok((Guard { child, what: "Xvfb" }, format!(":{n}")))
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Start tauri-driver on free ports with `DISPLAY` and `env` set (the app inherits them);
/// returns it and its WebDriver port.
pub async fn start_tauri_driver(display: &str, env: &[(String, String)]) -> Result<(Guard, u16)> {
    let port = free_port()?;
    let native_port = free_port()?;
    let child = Command::new("tauri-driver")
        .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
        .env("DISPLAY", display)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(false)
        .spawn()
        .context(
            "starting tauri-driver (cargo install tauri-driver --version ^2 --locked, or `make setup`)",
        )?;
    let guard = Guard { child, what: "tauri-driver" };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok((guard, port));
        }
        if tokio::time::Instant::now() > deadline {
            bail!("tauri-driver did not listen on port {port}");
        }
        // Readiness probe with a deadline.
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
