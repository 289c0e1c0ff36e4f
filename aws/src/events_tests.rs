//! Unit tests of [`super::parse`] on the shapes S3 really sends.

use super::*;

/// An `ObjectCreated:Put` record as S3 (event version 2.1) writes it.
fn put_record(bucket: &str, encoded_key: &str, size: u64) -> String {
    format!(
        r#"{{
          "eventVersion": "2.1",
          "eventSource": "aws:s3",
          "awsRegion": "eu-west-1",
          "eventTime": "2025-11-26T15:04:05.123Z",
          "eventName": "ObjectCreated:Put",
          "userIdentity": {{"principalId": "AWS:AROAEXAMPLEID:pixpipe-api"}},
          "requestParameters": {{"sourceIPAddress": "203.0.113.7"}},
          "responseElements": {{
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"
          }},
          "s3": {{
            "s3SchemaVersion": "1.0",
            "configurationId": "uploads-created",
            "bucket": {{
              "name": "{bucket}",
              "ownerIdentity": {{"principalId": "A3NL1KOZZKEXAMPLE"}},
              "arn": "arn:aws:s3:::{bucket}"
            }},
            "object": {{
              "key": "{encoded_key}",
              "size": {size},
              "eTag": "d41d8cd98f00b204e9800998ecf8427e",
              "sequencer": "0055AED6DCD90281E5"
            }}
          }}
        }}"#
    )
}

fn records(records: &[String]) -> String {
    format!(r#"{{"Records": [{}]}}"#, records.join(","))
}

#[test]
fn object_created_put() {
    let body = records(&[put_record(
        "pixpipe-src",
        "uploads/0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d",
        1_604_773,
    )]);
    assert_eq!(
        parse(&body),
        S3Message::Objects(vec![ObjectRef {
            bucket: "pixpipe-src".into(),
            key: "uploads/0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d".into(),
            size: 1_604_773,
        }])
    );
}

#[test]
fn key_with_spaces_plus_and_non_ascii_is_decoded() {
    // S3 encodes "uploads/été 2024+1 (copy).jpg" like this.
    let body = records(&[put_record(
        "b",
        "uploads/%C3%A9t%C3%A9+2024%2B1+%28copy%29.jpg",
        3,
    )]);
    let S3Message::Objects(objects) = parse(&body) else {
        panic!("not objects");
    };
    assert_eq!(objects[0].key, "uploads/été 2024+1 (copy).jpg");
}

#[test]
fn several_records_and_other_event_types() {
    let removed =
        put_record("b", "uploads/old", 0).replace("ObjectCreated:Put", "ObjectRemoved:Delete");
    let multipart = put_record("b", "uploads/big", 99)
        .replace("ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload");
    let body = records(&[put_record("b", "uploads/a", 1), removed, multipart]);
    let S3Message::Objects(objects) = parse(&body) else {
        panic!("not objects");
    };
    let keys: Vec<_> = objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["uploads/a", "uploads/big"]);
}

#[test]
fn only_other_event_types_is_empty_objects() {
    let removed =
        put_record("b", "uploads/old", 0).replace("ObjectCreated:Put", "ObjectRemoved:Delete");
    assert_eq!(parse(&records(&[removed])), S3Message::Objects(vec![]));
}

#[test]
fn moto_record_shape() {
    // moto sends no userIdentity, requestParameters, responseElements,
    // ownerIdentity or sequencer, and encodes the key with quote_plus.
    let body = r#"{"Records": [{
      "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
      "eventTime": "2025-11-26T15:04:05.123Z", "eventName": "ObjectCreated:Put",
      "s3": {"s3SchemaVersion": "1.0", "configurationId": "uploads-created",
        "bucket": {"name": "pixpipe-src", "arn": "arn:aws:s3:::pixpipe-src"},
        "object": {"key": "uploads/a+b%2Bc", "size": 7, "eTag": "d41d8cd98f00b204e9800998ecf8427e"}}
    }]}"#;
    assert_eq!(
        parse(body),
        S3Message::Objects(vec![ObjectRef {
            bucket: "pixpipe-src".into(),
            key: "uploads/a b+c".into(),
            size: 7,
        }])
    );
}

#[test]
fn test_event() {
    let body = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2025-11-26T15:57:02.089Z","Bucket":"pixpipe-src","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}"#;
    assert_eq!(parse(body), S3Message::TestEvent);
}

#[test]
fn sns_envelope_is_unwrapped() {
    let inner = records(&[put_record("b", "uploads/x", 5)]);
    let body = serde_json::json!({
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:uploads",
        "Subject": "Amazon S3 Notification",
        "Message": inner,
        "Timestamp": "2025-11-26T15:04:05.200Z",
    })
    .to_string();
    let S3Message::Objects(objects) = parse(&body) else {
        panic!("not objects");
    };
    assert_eq!(objects[0].key, "uploads/x");
}

#[test]
fn unrecognised_bodies() {
    for body in [
        "",
        "not json",
        "[]",
        "{}",
        r#"{"Event":"s3:TestEvent"}"#,
        r#"{"Records":[{"eventName":"ObjectCreated:Put"}]}"#,
        r#"{"Type":"Notification","Message":"{\"Type\":\"Notification\",\"Message\":\"{}\"}"}"#,
    ] {
        assert_eq!(parse(body), S3Message::Unrecognised, "{body:?}");
    }
}

#[test]
fn malformed_key_encoding_is_unrecognised() {
    for key in ["uploads/%zz", "uploads/%C3", "uploads/%"] {
        assert_eq!(
            parse(&records(&[put_record("b", key, 1)])),
            S3Message::Unrecognised,
            "{key}"
        );
    }
}

#[test]
fn decode_key_cases() {
    assert_eq!(decode_key("a+b%20c%2Bd").as_deref(), Some("a b c+d"));
    assert_eq!(decode_key("%e6%97%a5%E6%9C%AC").as_deref(), Some("日本"));
    assert_eq!(
        decode_key("plain/key-1_2.jpg").as_deref(),
        Some("plain/key-1_2.jpg")
    );
    assert_eq!(decode_key("%ff"), None);
    assert_eq!(decode_key("%4"), None);
    assert_eq!(decode_key("%+F"), None);
    assert_eq!(decode_key("a%"), None);
    assert_eq!(decode_key("%2B+%2b").as_deref(), Some("+ +"));
}
