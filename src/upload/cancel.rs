//! What Ctrl-C leaves behind: no job waiting for an upload that will never
//! come, and the ids of the jobs that go on processing on the server.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::Value;

use super::client::Settled;
use super::report::{self, Cleanup, Slot};
use super::{CLEANUP_TIME, Uploader, interrupt};

impl Uploader {
    /// After Ctrl-C: waits for create calls in flight, deletes every job whose
    /// upload did not land, and names the jobs that go on processing. Returns
    /// those, with their latest documents.
    pub(super) async fn clean_up_after_interrupt(&self) -> Vec<(usize, Value)> {
        self.err("interrupted: no new uploads; cancelling the unfinished ones");
        let deadline = tokio::time::Instant::now() + CLEANUP_TIME;
        let slots = loop {
            let slots = self.slots.lock().map(|s| s.clone()).unwrap_or_default();
            if !slots.contains(&Slot::Creating) || tokio::time::Instant::now() >= deadline {
                break slots;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let mut continuing = Vec::new();
        let mut settling = FuturesUnordered::new();
        // Each job still being settled, with its last document if it was uploaded.
        let mut unsettled = Vec::new();
        for step in report::cleanup_plan(&slots) {
            let (index, id, uploaded) = match step {
                Cleanup::Settle { index, id } => (index, id, None),
                Cleanup::Continues { index, job } => {
                    let id = job["id"].as_str().unwrap_or_default().to_owned();
                    (index, id, Some(job))
                }
            };
            unsettled.push((index, id.clone(), uploaded.clone()));
            settling.push(async move {
                let settled = match uploaded {
                    // Never deleted: only its current status is of interest.
                    Some(job) => Settled::Uploaded(self.api.get(&id).await.unwrap_or(job)),
                    None => self.api.settle(&id).await,
                };
                (index, id, settled)
            });
        }
        let second_ctrl_c = interrupt();
        tokio::pin!(second_ctrl_c);
        while !settling.is_empty() {
            tokio::select! {
                Some((index, id, settled)) = settling.next() => {
                    unsettled.retain(|(i, _, _)| *i != index);
                    let label = self.label(index);
                    match settled {
                        Settled::Deleted => self.err(&format!("{label}: upload cancelled; job {id} deleted")),
                        Settled::Uploaded(job) => continuing.push((index, job)),
                        Settled::Unknown(failure) => self.err(&format!(
                            "{label}: upload cancelled; job {id} could not be deleted ({failure}); it expires with its upload URL"
                        )),
                    }
                }
                () = tokio::time::sleep_until(deadline) => break,
                () = &mut second_ctrl_c => break,
            }
        }
        for (index, id, uploaded) in unsettled {
            match uploaded {
                Some(job) => continuing.push((index, job)),
                None => self.err(&format!(
                    "{}: upload cancelled; job {id} not confirmed deleted; it expires with its upload URL",
                    self.label(index)
                )),
            }
        }
        continuing.sort_by_key(|(index, _)| *index);
        for (index, job) in &continuing {
            let id = job["id"].as_str().unwrap_or("?");
            let line = format!(
                "{}: job {id} continues on the server ({}); see GET /v1/jobs/{id}",
                self.label(*index),
                match job["status"].as_str() {
                    None | Some("awaiting_upload") => "uploaded",
                    Some(status) => status,
                }
            );
            if self.json {
                self.err(&line)
            } else {
                self.out(&line)
            }
        }
        let idle = slots.iter().filter(|s| **s == Slot::Idle).count();
        if idle > 0 {
            self.err(&format!("{idle} file(s) not uploaded"));
        }
        continuing
    }
}
