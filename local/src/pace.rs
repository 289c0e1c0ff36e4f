//! The slowest an upload body may come: no bytes for a whole window, or
//! fewer than the minimum rate's worth over a window, and it is abandoned,
//! so that a stalled or trickling client does not hold its job's upload
//! lock (the `.part` file) until the request timeout.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, timeout_at};

/// The body came too slowly; `received` bytes had arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooSlow {
    pub received: u64,
}

/// The pace of one body being read.
#[derive(Debug)]
pub struct Pace {
    window: Duration,
    /// Bytes due in each window: at least one, so that a stall always ends it.
    floor: u64,
    window_end: Instant,
    at_window_start: u64,
    last_bytes: Instant,
    received: u64,
}

impl Pace {
    /// From now, `min_bytes_per_sec` averaged over each `window`.
    pub fn new(window: Duration, min_bytes_per_sec: u64) -> Pace {
        let now = Instant::now();
        Pace {
            window,
            floor: min_bytes_per_sec
                .saturating_mul(u64::try_from(window.as_millis()).unwrap_or(u64::MAX))
                .div_ceil(1000)
                .max(1),
            window_end: now + window,
            at_window_start: 0,
            last_bytes: now,
            received: 0,
        }
    }

    /// The next chunk of `body` (`None` at its end), unless it comes too slowly.
    pub async fn next<S, B, E>(&mut self, body: &mut S) -> Result<Option<Result<B, E>>, TooSlow>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
    {
        loop {
            let stalled_at = self.last_bytes + self.window;
            match timeout_at(stalled_at.min(self.window_end), body.next()).await {
                Ok(next) => {
                    if let Some(Ok(chunk)) = &next
                        && !chunk.as_ref().is_empty()
                    {
                        self.received = self.received.saturating_add(chunk.as_ref().len() as u64);
                        self.last_bytes = Instant::now();
                    }
                    return Ok(next);
                }
                Err(_) if Instant::now() < stalled_at => {
                    // The end of a window: was enough received in it?
                    if self.received - self.at_window_start < self.floor {
                        return Err(TooSlow {
                            received: self.received,
                        });
                    }
                    self.window_end += self.window;
                    self.at_window_start = self.received;
                }
                Err(_) => {
                    return Err(TooSlow {
                        received: self.received,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use futures_util::stream;

    use super::*;

    const WINDOW: Duration = Duration::from_millis(300);

    /// A stream of `chunks` bytes each, one every `every`.
    fn paced(
        chunks: usize,
        every: Duration,
        size: usize,
    ) -> impl Stream<Item = Result<Vec<u8>, Infallible>> + Unpin {
        Box::pin(stream::iter(0..chunks).then(move |_| async move {
            tokio::time::sleep(every).await;
            Ok(vec![0; size])
        }))
    }

    async fn drain(
        mut body: impl Stream<Item = Result<Vec<u8>, Infallible>> + Unpin,
        rate: u64,
    ) -> Result<u64, TooSlow> {
        let mut pace = Pace::new(WINDOW, rate);
        let mut total = 0;
        while let Some(chunk) = pace.next(&mut body).await? {
            total += chunk.unwrap().len() as u64;
        }
        Ok(total)
    }

    #[tokio::test]
    async fn a_steady_body_is_read_to_its_end() {
        let body = paced(20, Duration::from_millis(50), 100);
        assert_eq!(drain(body, 1000).await, Ok(2000));
    }

    #[tokio::test]
    async fn a_stalled_body_is_abandoned_after_a_window() {
        let body = paced(2, Duration::from_millis(10), 100).chain(stream::pending());
        let started = std::time::Instant::now();
        assert_eq!(drain(body, 0).await, Err(TooSlow { received: 200 }));
        let took = started.elapsed();
        assert!(took >= WINDOW && took < 2 * WINDOW, "{took:?}");
    }

    #[tokio::test]
    async fn a_trickle_under_the_rate_is_abandoned_at_a_window_end() {
        // 10 bytes every 50 ms is 200 B/s, under the 1000 B/s asked for.
        let body = paced(100, Duration::from_millis(50), 10);
        let started = std::time::Instant::now();
        let slow = drain(body, 1000).await.unwrap_err();
        assert!(slow.received > 0 && slow.received < 300, "{slow:?}");
        assert!(started.elapsed() < 2 * WINDOW, "{:?}", started.elapsed());
        // The same trickle passes with no minimum rate.
        assert_eq!(
            drain(paced(10, Duration::from_millis(50), 10), 0).await,
            Ok(100)
        );
    }
}
