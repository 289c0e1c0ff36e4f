//! The bodies of the SQS messages that S3 event notifications produce.
//!
//! S3 sends `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":…},
//! "object":{"key":…,"size":…}}}]}`, with the key URL-encoded the way HTML forms
//! encode it (`+` is a space, `%xx` are bytes of UTF-8), and one
//! `{"Service":"Amazon S3","Event":"s3:TestEvent",…}` when a notification is
//! configured. A body wrapped in an SNS envelope (S3 → SNS → SQS without raw
//! delivery) is unwrapped first. Only `ObjectCreated:*` records are kept.

use pixpipe_core::escape::percent_decode_strict;
use serde::Deserialize;

/// What one message body says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Message {
    /// The test message S3 sends when a notification is configured.
    TestEvent,
    /// The objects this message reports created (possibly none, when its
    /// records were all of other event types).
    Objects(Vec<ObjectRef>),
    /// Not an S3 event notification, or one with an undecodable key.
    Unrecognised,
}

/// One created object, key decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    pub size: u64,
}

// Not `aws_lambda_events`' `S3Event`: it requires `eventTime`, `userIdentity`
// and `requestParameters` in every record (moto sends neither of the last
// two) and knows neither the test event nor the SNS envelope.
#[derive(Deserialize)]
struct Body {
    #[serde(rename = "Records")]
    records: Option<Vec<Record>>,
    #[serde(rename = "Event")]
    event: Option<String>,
    #[serde(rename = "Service")]
    service: Option<String>,
    // SNS envelope.
    #[serde(rename = "Type")]
    kind: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName")]
    event_name: String,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
    #[serde(default)]
    size: u64,
}

/// Parses one SQS message body.
pub fn parse(body: &str) -> S3Message {
    parse_nested(body, true)
}

fn parse_nested(body: &str, may_unwrap: bool) -> S3Message {
    let Ok(body) = serde_json::from_str::<Body>(body) else {
        return S3Message::Unrecognised;
    };
    if let Some(records) = body.records {
        let mut objects = Vec::with_capacity(records.len());
        for record in records {
            // "ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload", ...
            if !record.event_name.starts_with("ObjectCreated:") {
                continue;
            }
            let Some(key) = decode_key(&record.s3.object.key) else {
                return S3Message::Unrecognised;
            };
            objects.push(ObjectRef {
                bucket: record.s3.bucket.name,
                key,
                size: record.s3.object.size,
            });
        }
        return S3Message::Objects(objects);
    }
    if body.service.as_deref() == Some("Amazon S3") && body.event.as_deref() == Some("s3:TestEvent")
    {
        return S3Message::TestEvent;
    }
    if may_unwrap
        && body.kind.as_deref() == Some("Notification")
        && let Some(inner) = body.message
    {
        return parse_nested(&inner, false);
    }
    S3Message::Unrecognised
}

/// Decodes a key as S3 encodes it in notifications: `+` is a space and `%xx`
/// a byte; the bytes must be UTF-8. `None` for a malformed escape or bytes
/// (`form_urlencoded` would replace them), so a key that cannot exist is
/// never looked up.
pub fn decode_key(encoded: &str) -> Option<String> {
    // Spaces first: an escaped `+` (`%2B`) is decoded after.
    percent_decode_strict(&encoded.replace('+', " "))
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
