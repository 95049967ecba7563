//! A fault-injecting TCP proxy on 127.0.0.1, for sync tests.
//!
//! Every accepted connection draws its fate from a seeded generator, in acceptance order:
//! pass through, refuse (close at once), delay, cut the request after a random number of
//! bytes, cut the response after a random number of bytes, or duplicate the request (the bytes
//! the client sends are replayed on a second upstream connection whose answer is thrown away,
//! so the server sees the same request twice). A partition refuses everything. The test
//! switches modes; healing the network is `set_mode(Mode::Healthy)`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A small deterministic generator (SplitMix64): the same seed gives the same sequence.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// How the proxy treats connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Healthy,
    /// Each connection faulty with the given percentage.
    Faulty {
        percent: u64,
    },
    /// Nothing gets through.
    Partitioned,
}

#[derive(Debug, Clone, Copy)]
enum Fate {
    Pass,
    Refuse,
    Delay(Duration),
    CutRequest(usize),
    CutResponse(usize),
    Duplicate,
}

/// Counts of what the proxy did, for the test's report.
#[derive(Debug, Clone, Copy, Default)]
pub struct FaultCounts {
    pub connections: u64,
    pub refused: u64,
    pub delayed: u64,
    pub cut_requests: u64,
    pub cut_responses: u64,
    pub duplicated: u64,
    /// Bytes forwarded client → server and server → client.
    pub bytes_up: u64,
    pub bytes_down: u64,
}

struct State {
    mode: Mode,
    rng: Rng,
    counts: FaultCounts,
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listen on a free port of 127.0.0.1 and forward to `upstream`.
    pub async fn start(upstream: SocketAddr, seed: u64) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            mode: Mode::Healthy,
            rng: Rng::new(seed),
            counts: FaultCounts::default(),
        }));
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let fate = {
                    let mut s = st.lock().unwrap();
                    s.counts.connections += 1;
                    let fate = match s.mode {
                        Mode::Healthy => Fate::Pass,
                        Mode::Partitioned => Fate::Refuse,
                        Mode::Faulty { percent } => {
                            if s.rng.chance(percent) {
                                match s.rng.below(5) {
                                    0 => Fate::Refuse,
                                    1 => Fate::Delay(Duration::from_millis(1 + s.rng.below(40))),
                                    // Cut early (in the headers) or late (inside a large body).
                                    2 => {
                                        let range = if s.rng.chance(50) { 2_000 } else { 300_000 };
                                        Fate::CutRequest(s.rng.below(range) as usize)
                                    }
                                    3 => Fate::CutResponse(s.rng.below(2_000) as usize),
                                    _ => Fate::Duplicate,
                                }
                            } else {
                                Fate::Pass
                            }
                        }
                    };
                    match fate {
                        Fate::Refuse => s.counts.refused += 1,
                        Fate::Delay(_) => s.counts.delayed += 1,
                        Fate::CutRequest(_) => s.counts.cut_requests += 1,
                        Fate::CutResponse(_) => s.counts.cut_responses += 1,
                        Fate::Duplicate => s.counts.duplicated += 1,
                        Fate::Pass => {}
                    }
                    fate
                };
                tokio::spawn(handle(client, upstream, fate, st.clone()));
            }
        });
        Ok(Self { addr, state, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub fn counts(&self) -> FaultCounts {
        self.state.lock().unwrap().counts
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(mut client: TcpStream, upstream: SocketAddr, fate: Fate, state: Arc<Mutex<State>>) {
    if let Fate::Refuse = fate {
        return; // dropped: the client sees the connection closed
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    // Forward every write at once, as the endpoints do (Nagle + delayed ACK would add ~40 ms).
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    if let Fate::Delay(d) = fate {
        tokio::time::sleep(d).await;
    }
    let mut twin = match fate {
        Fate::Duplicate => TcpStream::connect(upstream).await.ok(),
        _ => None,
    };
    let mut req_budget = match fate {
        Fate::CutRequest(n) => Some(n),
        _ => None,
    };
    let mut resp_budget = match fate {
        Fate::CutResponse(n) => Some(n),
        _ => None,
    };
    let (mut cbuf, mut sbuf, mut tbuf) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    loop {
        tokio::select! {
            n = client.read(&mut cbuf) => {
                let Ok(n) = n else { return };
                if n == 0 { return; }
                let take = req_budget.map_or(n, |b| b.min(n));
                if server.write_all(&cbuf[..take]).await.is_err() { return; }
                state.lock().unwrap().counts.bytes_up += take as u64;
                if let Some(t) = twin.as_mut() {
                    let _ = t.write_all(&cbuf[..take]).await;
                }
                if let Some(b) = req_budget.as_mut() {
                    *b -= take;
                    if *b == 0 { return; }
                }
            }
            n = server.read(&mut sbuf) => {
                let Ok(n) = n else { return };
                if n == 0 { return; }
                let take = resp_budget.map_or(n, |b| b.min(n));
                if client.write_all(&sbuf[..take]).await.is_err() { return; }
                state.lock().unwrap().counts.bytes_down += take as u64;
                if let Some(b) = resp_budget.as_mut() {
                    *b -= take;
                    if *b == 0 { return; }
                }
            }
            // The duplicate's answer is read and thrown away.
            n = async { match twin.as_mut() { Some(t) => t.read(&mut tbuf).await, None => std::future::pending().await } } => {
                if matches!(n, Ok(0) | Err(_)) { twin = None; }
            }
        }
    }
}
