//! A TCP proxy for network-fault tests, put between `kept` clients and a
//! relay: it can add latency, stall responses, lose responses after the relay
//! acted on the request, cut a request off mid-body, refuse connections, and
//! black-hole new ones (SYNs dropped: the client's connect times out). The
//! mode can change at any moment and applies to every byte from then on.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the proxy does to traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward everything at once.
    Pass,
    /// Delay every chunk, both ways, by this much.
    Latency(Duration),
    /// Hold every response back this long before its first byte goes out.
    StallResponses(Duration),
    /// Forward requests, but throw the relay's answers away and close the
    /// client's connection: the relay acted, the client never hears of it.
    LoseResponses,
    /// Forward only the first N bytes of each request, then close both sides.
    CutRequests(usize),
    /// Forward only the first N bytes the relay sends on a connection, then close both sides.
    CutResponses(usize),
    /// A slow link: at most this many bytes a second, each way.
    Throttle(usize),
    /// Accept connections and close them at once (a relay that is down).
    Refuse,
    /// Stop accepting: once the listen queue is full, new connections are
    /// never answered (their SYNs are dropped) and the client's connect times out.
    BlackHole,
}

struct Shared {
    mode: Mutex<Mode>,
    upstream: Mutex<SocketAddr>,
    accepted: AtomicU64,
    accept_times: Mutex<Vec<Instant>>,
    live: Mutex<Vec<TcpStream>>,
    fillers: Mutex<Vec<TcpStream>>,
    stop: AtomicBool,
}

/// A running proxy on 127.0.0.1; stops when dropped.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy to `upstream`, passing everything.
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Pass),
            upstream: Mutex::new(upstream),
            accepted: AtomicU64::new(0),
            accept_times: Mutex::new(Vec::new()),
            live: Mutex::new(Vec::new()),
            fillers: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        let accept = std::thread::spawn(move || accept_loop(listener, s));
        Proxy { addr, shared, accept: Some(accept) }
    }

    /// The proxy's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes what the proxy does, from now on.
    pub fn set(&self, mode: Mode) {
        let old = std::mem::replace(&mut *lock(&self.shared.mode), mode);
        if mode == Mode::BlackHole && old != Mode::BlackHole {
            // Fill the listen queue so the kernel drops further SYNs.
            let mut fillers = lock(&self.shared.fillers);
            for _ in 0..512 {
                match TcpStream::connect_timeout(&self.addr, Duration::from_millis(100)) {
                    Ok(s) => fillers.push(s),
                    Err(_) => break,
                }
            }
        } else if old == Mode::BlackHole && mode != Mode::BlackHole {
            lock(&self.shared.fillers).clear();
        }
    }

    /// Points the proxy at another relay address (a restarted relay).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *lock(&self.shared.upstream) = upstream;
    }

    /// Connections accepted so far (fillers of a black hole included).
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// When each connection was accepted.
    pub fn accept_times(&self) -> Vec<Instant> {
        lock(&self.shared.accept_times).clone()
    }

    /// Cuts every open connection (both ways) at once.
    pub fn cut_all(&self) {
        for s in lock(&self.shared.live).drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.cut_all();
        lock(&self.shared.fillers).clear();
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn mode(s: &Shared) -> Mode {
    *lock(&s.mode)
}

fn accept_loop(listener: TcpListener, s: Arc<Shared>) {
    while !s.stop.load(Ordering::SeqCst) {
        if mode(&s) == Mode::BlackHole {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        match listener.accept() {
            Ok((client, _)) => {
                s.accepted.fetch_add(1, Ordering::SeqCst);
                lock(&s.accept_times).push(Instant::now());
                let s = s.clone();
                std::thread::spawn(move || serve(client, s));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn serve(client: TcpStream, s: Arc<Shared>) {
    let _ = client.set_nonblocking(false);
    if mode(&s) == Mode::Refuse {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let upstream = *lock(&s.upstream);
    let Ok(relay) = TcpStream::connect_timeout(&upstream, Duration::from_secs(2)) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = relay.set_nodelay(true);
    if let (Ok(c), Ok(r)) = (client.try_clone(), relay.try_clone()) {
        lock(&s.live).push(c);
        lock(&s.live).push(r);
    }
    let (Ok(c2), Ok(r2)) = (client.try_clone(), relay.try_clone()) else { return };
    let s2 = s.clone();
    let up = std::thread::spawn(move || pump(client, relay, &s2, true));
    pump(r2, c2, &s, false);
    let _ = up.join();
}

/// Copies `from` → `to` under the current mode; `request` is the client → relay direction.
fn pump(mut from: TcpStream, mut to: TcpStream, s: &Shared, request: bool) {
    let mut buf = [0u8; 16 * 1024];
    let mut sent = 0usize;
    let mut first = true;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut out = &buf[..n];
        match mode(s) {
            Mode::Latency(d) => std::thread::sleep(d),
            Mode::StallResponses(d) if !request && first => std::thread::sleep(d),
            Mode::LoseResponses if !request => {
                // The relay answered: the answer never reaches the client.
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
            Mode::Throttle(bps) => std::thread::sleep(Duration::from_secs_f64(n as f64 / bps.max(1) as f64)),
            Mode::CutResponses(limit) if !request => {
                let room = limit.saturating_sub(sent);
                if room < out.len() {
                    let _ = to.write_all(&out[..room]);
                    let _ = to.shutdown(Shutdown::Both);
                    let _ = from.shutdown(Shutdown::Both);
                    return;
                }
            }
            Mode::CutRequests(limit) if request => {
                let room = limit.saturating_sub(sent);
                if room < out.len() {
                    out = &out[..room];
                    let _ = to.write_all(out);
                    let _ = to.shutdown(Shutdown::Both);
                    let _ = from.shutdown(Shutdown::Both);
                    return;
                }
            }
            _ => {}
        }
        first = false;
        sent += out.len();
        if to.write_all(out).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
