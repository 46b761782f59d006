//! The one watch loop every adapter runs (`kept sync --watch`, the app's
//! background worker): sync, follow the relay's live channel, sync again
//! when the team moves, after local writes and every minute; back off with
//! jitter while the relay is away; stop for good when the relay says this
//! device may no longer sync (401/403: revoked or removed).
//!
//! The loop opens its own store (a slow network never holds an adapter's
//! store lock) and reports through a callback.

use super::backoff::Backoff;
use super::SyncReport;
use crate::error::{CoreError, Result};
use crate::service::Kept;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// Why the loop should wake up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nudge {
    /// A local write: push soon.
    LocalWrite,
    /// The relay says the team moved to this sequence.
    Live(i64),
    /// The live channel closed.
    LiveDown,
    /// The store was created, joined or signed out: open it again.
    Reconfigured,
    /// Stop the loop.
    Stop,
}

/// What the loop tells its adapter.
#[derive(Debug)]
pub enum Event<'a> {
    /// This home does not sync (no relay).
    Local,
    /// A sync starts.
    Syncing,
    /// A sync finished.
    Synced(&'a SyncReport),
    /// A sync failed; the loop retries after a backoff.
    Offline(&'a CoreError),
    /// Between syncs (reminders and other housekeeping go here).
    Idle,
}

/// How the loop paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Sync at least this often while the relay answers.
    pub every: Duration,
    /// Look again this often while the home does not sync.
    pub local: Duration,
    /// After a local write, wait this long for more taps.
    pub settle: Duration,
    /// First and longest wait after a failure.
    pub backoff: (Duration, Duration),
}

impl Default for Pace {
    fn default() -> Pace {
        Pace {
            every: Duration::from_secs(60),
            local: Duration::from_secs(30),
            settle: Duration::from_millis(300),
            backoff: (Duration::from_millis(500), Duration::from_secs(60)),
        }
    }
}

/// A watch loop and the sender that wakes it.
pub struct Watch {
    tx: Sender<Nudge>,
    rx: Receiver<Nudge>,
    pace: Pace,
}

impl Default for Watch {
    fn default() -> Watch {
        Watch::new(Pace::default())
    }
}

/// Is this the relay saying the device may no longer sync?
pub fn revoked(e: &CoreError) -> bool {
    matches!(e, CoreError::Relay { status: 401 | 403, .. })
}

impl Watch {
    /// A loop with this pace.
    pub fn new(pace: Pace) -> Watch {
        let (tx, rx) = channel();
        Watch { tx, rx, pace }
    }

    /// Wakes the loop (clone it into whatever writes or reconfigures).
    pub fn sender(&self) -> Sender<Nudge> {
        self.tx.clone()
    }

    /// Blocks until the store is reconfigured (joined again, signed out):
    /// true, or false when told to stop. For after a revocation.
    pub fn wait_for_reconfigure(&self) -> bool {
        loop {
            match self.rx.recv() {
                Ok(Nudge::Reconfigured) => return true,
                Ok(Nudge::Stop) | Err(_) => return false,
                Ok(_) => {}
            }
        }
    }

    /// Runs until told to stop (`Ok`) or until the relay refuses this device
    /// (the 401/403 error). `open` opens the store; `jitter` gives a number in
    /// [0, 1) for the backoff; `on` hears every event.
    pub fn run(
        self,
        mut open: impl FnMut() -> Result<Kept>,
        mut jitter: impl FnMut() -> f64,
        mut on: impl FnMut(&mut Kept, Event<'_>),
    ) -> Result<()> {
        let Watch { tx, rx, pace } = self;
        let mut backoff = Backoff::new(pace.backoff.0, pace.backoff.1);
        let mut live_up = false;
        let mut k: Option<Kept> = None;
        loop {
            if k.is_none() {
                k = open().ok();
            }
            let wait = match k.as_mut() {
                None => pace.local,
                Some(kept) => match kept.is_joined() {
                    Ok(false) | Err(_) => {
                        on(kept, Event::Local);
                        pace.local
                    }
                    Ok(true) => {
                        on(kept, Event::Syncing);
                        match kept.sync() {
                            Ok(report) => {
                                backoff.reset();
                                on(kept, Event::Synced(&report));
                                if !live_up {
                                    live_up = start_live(kept, tx.clone());
                                }
                                pace.every
                            }
                            Err(e) if revoked(&e) => {
                                on(kept, Event::Offline(&e));
                                return Err(e);
                            }
                            Err(e) => {
                                on(kept, Event::Offline(&e));
                                backoff.next_delay(jitter())
                            }
                        }
                    }
                },
            };
            if let Some(kept) = k.as_mut() {
                on(kept, Event::Idle);
            }
            match rx.recv_timeout(wait.min(Duration::from_secs(300))) {
                Ok(Nudge::LocalWrite) => std::thread::sleep(pace.settle),
                Ok(Nudge::Live(seq)) => {
                    if k.as_ref().and_then(|kept| kept.synced_seq().ok()).is_some_and(|s| s >= seq) {
                        continue; // already here (our own push, most likely)
                    }
                }
                Ok(Nudge::LiveDown) => live_up = false,
                Ok(Nudge::Reconfigured) => {
                    k = None;
                    live_up = false;
                }
                Ok(Nudge::Stop) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                Err(RecvTimeoutError::Timeout) => {}
            }
            // What else arrived meanwhile: one sync covers it all.
            while let Ok(n) = rx.try_recv() {
                match n {
                    Nudge::LiveDown => live_up = false,
                    Nudge::Reconfigured => {
                        k = None;
                        live_up = false;
                    }
                    Nudge::Stop => return Ok(()),
                    Nudge::LocalWrite | Nudge::Live(_) => {}
                }
            }
        }
    }
}

/// Opens the live channel on its own thread; each event becomes a nudge,
/// and `LiveDown` when the channel ends.
fn start_live(k: &Kept, tx: Sender<Nudge>) -> bool {
    let Ok(relay) = k.relay() else { return false };
    let Ok(mut live) = relay.live() else { return false };
    std::thread::Builder::new()
        .name("kept-live".into())
        .spawn(move || {
            while let Ok(Some(ev)) = live.next_event() {
                if tx.send(Nudge::Live(ev.seq)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Nudge::LiveDown);
        })
        .is_ok()
}
