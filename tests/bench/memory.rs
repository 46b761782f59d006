//! Relay memory: VmRSS of the relay process holding `n` idle live WebSocket
//! connections (one device and token each), beside its RSS with none.

use crate::relay::{self, RelayProc};
use kept_core::sync::client::RelayClient;
use std::time::Duration;

fn rss_mb(pid: u32) -> f64 {
    crate::procfs::status_mb(pid, "VmRSS:")
}

fn open_sockets(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    std::fs::read_link(e.path()).map(|l| l.to_string_lossy().starts_with("socket:")).unwrap_or(false)
                })
                .count()
        })
        .unwrap_or(0)
}

pub struct Memory {
    pub idle_mb: f64,
    pub live_mb: f64,
    pub conns: usize,
    pub sockets: usize,
}

pub fn run(n: usize) -> Memory {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = RelayProc::start(dir.path().join("relay.sqlite3").to_str().expect("utf-8"));
    let team = relay::team(&relay, n);
    let clients: Vec<RelayClient> = team.reps.into_iter().map(|(_, c)| c).collect();
    std::thread::sleep(Duration::from_millis(500));
    let idle_mb = rss_mb(relay.pid());
    let mut conns = Vec::with_capacity(n);
    for c in &clients {
        let mut live = c.live().expect("live connection");
        let _hello = live.next_event().expect("hello");
        conns.push(live);
    }
    std::thread::sleep(Duration::from_secs(2));
    let live_mb = rss_mb(relay.pid());
    let sockets = open_sockets(relay.pid());
    drop(conns);
    Memory { idle_mb, live_mb, conns: n, sockets }
}
