//! The relay's edge against slow and greedy clients: a cap on concurrent
//! connections (a connection over the cap gets a 503 and is closed), an idle
//! timeout (no byte for [`Limits::idle`]), and a read deadline (a client may
//! not keep the relay reading for longer than [`Limits::read`] without the
//! relay writing anything: half-sent headers or bodies). Request handling
//! itself is bounded by a timeout layer in the router.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// The edge's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Concurrent connections (live sockets included).
    pub max_connections: usize,
    /// A connection with no byte either way for this long is closed.
    pub idle: Duration,
    /// Reading without writing anything for this long (half-sent requests) closes the connection.
    pub read: Duration,
    /// Longest a request may take, body included (408 / 503 after).
    pub request: Duration,
    /// Live sockets one device may hold at once.
    pub live_per_device: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            idle: Duration::from_secs(75),
            read: Duration::from_secs(45),
            request: Duration::from_secs(60),
            live_per_device: 4,
        }
    }
}

const FULL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n\
content-length: 103\r\n\r\n{\"error\":{\"kind\":\"unavailable\",\"message\":\"the relay has too many open connections; try again shortly\"}}";

/// A listener that caps concurrent connections and times out slow ones.
pub struct EdgeListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    limits: Limits,
}

impl EdgeListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener, limits: Limits) -> EdgeListener {
        EdgeListener { inner, permits: Arc::new(Semaphore::new(limits.max_connections)), limits }
    }
}

impl axum::serve::Listener for EdgeListener {
    type Io = Guarded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        {
            loop {
                let (stream, addr) = match self.inner.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                match self.permits.clone().try_acquire_owned() {
                    Ok(permit) => return (Guarded::new(stream, permit, self.limits), addr),
                    Err(_) => {
                        tokio::spawn(async move {
                            let mut stream = stream;
                            let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(FULL)).await;
                            let _ = stream.shutdown().await;
                        });
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection holding one of the listener's permits, with its deadlines.
pub struct Guarded {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    limits: Limits,
    last_io: Instant,
    reading_since: Option<Instant>,
    timer: Pin<Box<Sleep>>,
}

impl Guarded {
    fn new(stream: TcpStream, permit: OwnedSemaphorePermit, limits: Limits) -> Guarded {
        let now = Instant::now();
        Guarded {
            stream,
            _permit: permit,
            limits,
            last_io: now,
            reading_since: Some(now),
            timer: Box::pin(tokio::time::sleep_until(now + limits.read.min(limits.idle))),
        }
    }

    fn deadline(&self) -> Instant {
        let idle = self.last_io + self.limits.idle;
        match self.reading_since {
            Some(t) => idle.min(t + self.limits.read),
            None => idle,
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    let now = Instant::now();
                    self.last_io = now;
                    self.reading_since.get_or_insert(now);
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                let deadline = self.deadline();
                if Instant::now() >= deadline {
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "client too slow or idle")));
                }
                self.timer.as_mut().reset(deadline);
                if self.timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "client too slow or idle")));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.last_io = Instant::now();
            self.reading_since = None;
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.last_io = Instant::now();
            self.reading_since = None;
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
