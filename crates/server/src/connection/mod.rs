//! Serving HTTP/1.1 connections with the limits a public server needs: a cap on open
//! connections (the rest are answered `503` and closed), a deadline for each request head, an
//! idle timeout between requests, bounded heads refused with JSON errors, and a graceful stop
//! that lets requests in flight finish within a grace period.

mod canned;
mod framing;
mod guard;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower_service::Service;

pub use guard::ConnectionLimits;
use guard::{Activity, GuardedStream, InFlight};

/// How long a new connection over the cap waits for an idle one to make room.
const SHED_WAIT: Duration = Duration::from_millis(100);

/// Over-cap newcomers that may wait for room at once.
const MAX_WAITING: usize = 64;

/// How long a connection must have been idle to be closed to make room: one just accepted, or
/// just answered, may be about to send its request.
const SHED_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How a connection learns that newcomers need room.
struct Shedding {
    /// Changes when room is needed.
    notice: watch::Receiver<u64>,
    /// How many places newcomers still need.
    wanted: Arc<AtomicUsize>,
}

/// Everything the accept loop needs.
#[derive(Clone, Debug)]
pub struct ServeLimits {
    pub connection: ConnectionLimits,
    /// Connections open at once.
    pub max_connections: usize,
    /// How long a stop waits for requests in flight.
    pub shutdown_grace: Duration,
}

/// Accepts connections until `stop` resolves, then stops accepting, asks every connection to
/// finish its request in flight and close, and waits for them (at most the grace period).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    stop: impl std::future::Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stopping, stop_watch) = watch::channel(false);
    // Bumped when the cap is reached: connections idle for a while close to make room, as many
    // as newcomers wait (`to_shed`), and the bump happens at most once per `SHED_WAIT`, so a
    // client hammering at the cap cannot keep every connection busy waking up.
    let shed = watch::Sender::new(0u64);
    let to_shed = Arc::new(AtomicUsize::new(0));
    let mut last_shed: Option<tokio::time::Instant> = None;
    // Over-cap newcomers waiting for room; beyond this many, they are refused at once.
    let waiting = Arc::new(Semaphore::new(MAX_WAITING));
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors or a connection reset before accept: back off briefly
            // rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let connection_limits = limits.connection;
        // Each connection subscribes now, so it sees only the sheds that come after it.
        let (stop, shed_rx) = (stop_watch.clone(), shed.subscribe());
        let shedding = Shedding {
            notice: shed_rx,
            wanted: to_shed.clone(),
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                connections.spawn(async move {
                    serve_connection(stream, app, connection_limits, stop, shedding).await;
                    drop(permit);
                });
            }
            Err(_) => {
                // At the cap: connections idle for a while make room for a newcomer, so that
                // holding connections open does not lock everyone else out. The newcomer waits
                // for room in a task of its own, so the accept loop never stalls.
                let Ok(waiter) = waiting.clone().try_acquire_owned() else {
                    connections.spawn(refuse(stream));
                    continue;
                };
                to_shed.fetch_add(1, Ordering::SeqCst);
                let now = tokio::time::Instant::now();
                if last_shed.is_none_or(|at| now.duration_since(at) >= SHED_WAIT) {
                    last_shed = Some(now);
                    shed.send_modify(|generation| *generation += 1);
                }
                let permits = permits.clone();
                connections.spawn(async move {
                    let permit = tokio::time::timeout(SHED_WAIT, permits.acquire_owned()).await;
                    drop(waiter);
                    // Served or not, this newcomer no longer needs room made (if a connection
                    // already closed for it, there is nothing left to take back).
                    let _ = shedding
                        .wanted
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
                    match permit {
                        Ok(Ok(permit)) => {
                            serve_connection(stream, app, connection_limits, stop, shedding).await;
                            drop(permit);
                        }
                        _ => refuse(stream).await,
                    }
                });
            }
        }
    }
    drop(listener);
    let _ = stopping.send(true);
    drop(shed);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drain)
        .await
        .is_err()
    {
        connections.abort_all();
    }
}

/// Answers a connection over the cap and closes it, without waiting long on a slow client.
async fn refuse(stream: TcpStream) {
    canned::refuse_connection(stream).await;
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
    mut shed: Shedding,
) {
    let activity = Activity::new();
    let io = TokioIo::new(GuardedStream::new(stream, activity.clone(), limits));
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let in_flight = InFlight::start(&activity);
            let mut app = app.clone();
            async move {
                let response = match app.call(request.map(Body::new)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                // The request stays in flight until its body has been sent.
                in_flight.answered();
                Ok::<_, Infallible>(response.map(|body| Body::new(Tracked::new(body, in_flight))))
            }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        // The guard refuses heads before the parser's own limits are reached, so that every
        // refusal is a JSON answer; these only leave room above the guard's.
        .max_headers(limits.max_headers + 16)
        .max_buf_size((limits.max_head_bytes * 2).max(64 * 1024))
        .serve_connection(io, service);
    tokio::pin!(connection);
    let mut stopping = *stop.borrow();
    if stopping {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        let (deadline, expired) = activity.deadline(&limits);
        if expired {
            // Idle too long, or a head trickling in too slowly: close without an answer, as
            // there is no request to answer.
            return;
        }
        tokio::select! {
            _ = connection.as_mut() => return,
            () = tokio::time::sleep_until(deadline) => {}
            changed = stop.changed(), if !stopping => {
                if changed.is_err() || *stop.borrow() {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
            Ok(()) = shed.notice.changed() => {
                // Close if idle for a while and a newcomer still needs the place.
                if activity.idle_for(SHED_AFTER_IDLE)
                    && shed
                        .wanted
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                {
                    return;
                }
            }
        }
    }
}

/// A response body that keeps its request marked in flight until it is sent or dropped.
struct Tracked {
    inner: Body,
    _in_flight: InFlight,
}

impl Tracked {
    fn new(inner: Body, in_flight: InFlight) -> Self {
        Tracked {
            inner,
            _in_flight: in_flight,
        }
    }
}

impl http_body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
