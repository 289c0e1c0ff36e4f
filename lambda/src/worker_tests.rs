//! [`plan`] and [`receive_count`] on hand-made records.

use super::*;
use pixpipe_aws::messages::Ignored;

const BUCKET: &str = "pixpipe-source";
const JOB: &str = "0196d1c4-7e5a-7bb1-9a53-2f1c0e4d8a11";

fn message(body: &str, receive_count: Option<&str>) -> SqsMessage {
    let mut message = SqsMessage::default();
    message.message_id = Some("m-1".to_owned());
    message.body = Some(body.to_owned());
    if let Some(n) = receive_count {
        message
            .attributes
            .insert("ApproximateReceiveCount".to_owned(), n.to_owned());
    }
    message
}

fn created(objects: &[(&str, &str)]) -> String {
    let records: Vec<String> = objects
        .iter()
        .map(|(bucket, key)| {
            format!(
                r#"{{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",
                "s3":{{"bucket":{{"name":"{bucket}"}},"object":{{"key":"{key}","size":4}}}}}}"#
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}

fn job() -> JobId {
    JOB.parse().unwrap()
}

#[test]
fn test_event_and_poison() {
    let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2025-11-26T15:04:05.123Z","Bucket":"pixpipe-source","RequestId":"X","HostId":"Y"}"#;
    assert_eq!(
        plan(&message(test_event, Some("1")), BUCKET, 5),
        Plan::TestEvent
    );
    for poison in ["not json", "", "{}", r#"{"hello":"world"}"#, "[1,2]"] {
        assert_eq!(
            plan(&message(poison, Some("1")), BUCKET, 5),
            Plan::Poison,
            "{poison:?}"
        );
    }
    let mut no_body = message("", None);
    no_body.body = None;
    assert_eq!(plan(&no_body, BUCKET, 5), Plan::Poison);
}

#[test]
fn a_source_key_is_a_job() {
    let body = created(&[(BUCKET, &format!("uploads/{JOB}"))]);
    assert_eq!(
        plan(&message(&body, Some("2")), BUCKET, 5),
        Plan::Jobs {
            jobs: vec![job()],
            ignored: vec![],
            receive_count: 2,
            last_attempt: false,
        }
    );
}

#[test]
fn other_buckets_and_keys_are_ignored() {
    let body = created(&[
        ("elsewhere", &format!("uploads/{JOB}")),
        (BUCKET, "other/my+photo+%C3%BC.jpg"),
        (BUCKET, &format!("uploads/{JOB}+copy")),
        (BUCKET, "uploads/"),
    ]);
    let Plan::Jobs { jobs, ignored, .. } = plan(&message(&body, Some("1")), BUCKET, 5) else {
        panic!("not a job plan");
    };
    assert!(jobs.is_empty());
    assert_eq!(
        ignored,
        vec![
            Ignored::OtherBucket {
                bucket: "elsewhere".to_owned()
            },
            Ignored::NotASource {
                key: "other/my photo ü.jpg".to_owned()
            },
            Ignored::NotASource {
                key: format!("uploads/{JOB} copy")
            },
            Ignored::NotASource {
                key: "uploads/".to_owned()
            },
        ]
    );
}

#[test]
fn a_bad_escape_in_a_key_is_poison() {
    let body = created(&[(BUCKET, "uploads/%zz")]);
    assert_eq!(plan(&message(&body, Some("1")), BUCKET, 5), Plan::Poison);
}

#[test]
fn receive_counts_and_the_last_attempt() {
    let body = created(&[(BUCKET, &format!("uploads/{JOB}"))]);
    let count = |raw: Option<&str>, max: u32| match plan(&message(&body, raw), BUCKET, max) {
        Plan::Jobs {
            receive_count,
            last_attempt,
            ..
        } => (receive_count, last_attempt),
        other => panic!("{other:?}"),
    };
    assert_eq!(count(None, 5), (1, false));
    assert_eq!(count(Some("many"), 5), (1, false));
    assert_eq!(count(Some("-3"), 5), (1, false));
    assert_eq!(count(Some("0"), 5), (1, false));
    assert_eq!(count(Some(" 4 "), 5), (4, false));
    assert_eq!(count(Some("5"), 5), (5, true));
    assert_eq!(count(Some("9"), 5), (9, true));
    assert_eq!(count(None, 1), (1, true));
    assert_eq!(receive_count(&message(&body, Some("x"))), None);
    assert_eq!(receive_count(&message(&body, Some("3"))), Some(3));
}

#[test]
fn retry_only_for_poison_and_retryable_outcomes() {
    assert!(!Handled::TestEvent.must_retry());
    assert!(Handled::Poison.must_retry());
    assert!(!Handled::Jobs(vec![]).must_retry());
    let done = Handled::Jobs(vec![
        (job(), Outcome::Succeeded(Default::default())),
        (job(), Outcome::Skipped("job already finished")),
        (
            job(),
            Outcome::Failed {
                code: pixpipe_core::FailureCode::NotAnImage,
                stats: Default::default(),
            },
        ),
    ]);
    assert!(!done.must_retry());
    let retry = Handled::Jobs(vec![
        (job(), Outcome::Succeeded(Default::default())),
        (
            job(),
            Outcome::Retry(pixpipe_worker::PipelineError::Panicked),
        ),
    ]);
    assert!(retry.must_retry());
}
