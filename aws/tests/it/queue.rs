//! SqsQueue against moto: S3 notifications arriving as deliveries, test and
//! foreign events swallowed, redelivery counts, release, extend and ack.

use std::time::Duration;

use chrono::Utc;
use pixpipe_core::{BlobStore, Delivery, JobId, WorkQueue};

use crate::common::{Env, s3_event};

const VISIBLE: Duration = Duration::from_secs(30);
const NO_WAIT: Duration = Duration::ZERO;

/// Receives until something arrives (at most ~10 s).
pub async fn receive_some(queue: &dyn WorkQueue) -> Vec<Delivery> {
    for _ in 0..10 {
        let got = queue
            .receive(10, VISIBLE, Duration::from_secs(1))
            .await
            .unwrap();
        if !got.is_empty() {
            return got;
        }
    }
    panic!("no delivery arrived");
}

async fn send(env: &Env, body: &str) {
    env.sqs()
        .send_message()
        .queue_url(&env.cfg.queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn presigned_upload_becomes_a_delivery_of_its_job() {
    let env = Env::new().await;
    // The template's notification is in place: moto, like S3, sent an s3:TestEvent.
    let queue = env.aws.queue.as_ref();
    let id = JobId::new();
    let ticket = env
        .aws
        .blobs
        .presign_upload(
            &id.source_key(),
            "image/png",
            4,
            Utc::now() + chrono::Duration::minutes(5),
        )
        .await
        .unwrap();
    let mut put = reqwest::Client::new().put(&ticket.url).body("\u{89}PNG");
    for (name, value) in &ticket.headers {
        put = put.header(name, value);
    }
    assert!(put.send().await.unwrap().status().is_success());

    let got = receive_some(queue).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].job_id, got[0].receive_count), (id, 1));
    queue.ack(&got[0]).await.unwrap();
    assert!(
        queue
            .receive(10, VISIBLE, NO_WAIT)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(env.messages_left().await, 0, "test event not deleted");
}

#[tokio::test]
async fn test_events_and_foreign_keys_are_swallowed_and_deleted() {
    let env = Env::new().await;
    let queue = env.aws.queue.as_ref();
    let src = env.cfg.source_bucket.as_str();
    send(&env, r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2025-11-26T15:57:02.089Z","Bucket":"b","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}"#).await;
    send(&env, &s3_event(&[(src, "uploads/not+a+job%C3%A9.png")])).await;
    send(
        &env,
        &s3_event(&[(src, "results/0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d/x.jpg")]),
    )
    .await;
    // A job key, but from a bucket this queue does not serve.
    let other = format!("uploads/{}", JobId::new());
    send(&env, &s3_event(&[("someone-elses-bucket", &other)])).await;
    for _ in 0..3 {
        let got = queue.receive(10, VISIBLE, NO_WAIT).await.unwrap();
        assert!(got.is_empty(), "{got:?}");
    }
    assert_eq!(
        env.messages_left().await,
        0,
        "dropped messages must be deleted"
    );
}

/// A body that is no S3 event is never delivered and never deleted: its
/// receives run out and the redrive policy moves it to the dead-letter
/// queue, as the worker Lambda's batch item failures do.
#[tokio::test]
async fn poison_is_kept_until_the_dead_letter_queue_holds_it() {
    let env = Env::new().await;
    let queue = env.aws.queue.as_ref();
    send(&env, "definitely not an S3 event").await;
    let dead_letters = env
        .aws
        .dead_letters
        .clone()
        .expect("template.yaml names the dead-letter queue");
    let started = std::time::Instant::now();
    let kept = loop {
        let got = queue
            .receive(10, Duration::from_secs(1), NO_WAIT)
            .await
            .unwrap();
        assert!(got.is_empty(), "{got:?}");
        let sqs = env.sqs();
        let out = sqs
            .receive_message()
            .queue_url(dead_letters.queue_url())
            .visibility_timeout(30)
            .send()
            .await
            .unwrap();
        if let Some(message) = out.messages().first() {
            break message.body().unwrap_or_default().to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the poison never reached the dead-letter queue"
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
    };
    assert_eq!(kept, "definitely not an S3 event");
    assert_eq!(env.messages_left().await, 0);
}

#[tokio::test]
async fn redelivery_counts_release_extend_and_ack() {
    let env = Env::new().await;
    let queue = env.aws.queue.as_ref();
    let id = JobId::new();
    // S3 encodes the `/` of the key in some set-ups; decoding handles both.
    let key = format!("uploads%2F{id}");
    send(&env, &s3_event(&[(&env.cfg.source_bucket, &key)])).await;

    let first = receive_some(queue).await;
    assert_eq!((first[0].job_id, first[0].receive_count), (id, 1));
    // Hidden while the first delivery runs.
    assert!(
        queue
            .receive(10, VISIBLE, NO_WAIT)
            .await
            .unwrap()
            .is_empty()
    );

    // A retry: visible again at once, delivered a second time.
    queue.release(&first[0], Duration::ZERO).await.unwrap();
    let second = receive_some(queue).await;
    assert_eq!((second[0].job_id, second[0].receive_count), (id, 2));

    // Released with a delay, it stays hidden; extend works on the current receipt.
    queue
        .release(&second[0], Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        queue
            .receive(10, VISIBLE, NO_WAIT)
            .await
            .unwrap()
            .is_empty()
    );
    env.aws
        .queue
        .extend(&second[0], Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(queue.max_receives(), 3);

    queue.ack(&second[0]).await.unwrap();
    assert_eq!(env.messages_left().await, 0);
}

#[tokio::test]
async fn several_records_in_one_message_share_its_receipt() {
    let env = Env::new().await;
    let queue = env.aws.queue.as_ref();
    let (a, b) = (JobId::new(), JobId::new());
    let src = env.cfg.source_bucket.as_str();
    let body = s3_event(&[
        (src, &a.source_key()),
        (src, "uploads/junk"),
        (src, &b.source_key()),
    ]);
    send(&env, &body).await;
    let got = receive_some(queue).await;
    let ids: Vec<_> = got.iter().map(|d| d.job_id).collect();
    assert_eq!(ids, [a, b]);
    assert_eq!(got[0].receipt, got[1].receipt);
    // Acking one settles the message for both.
    queue.ack(&got[0]).await.unwrap();
    assert_eq!(env.messages_left().await, 0);
}
