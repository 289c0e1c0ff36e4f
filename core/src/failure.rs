//! Why a job failed or expired: [`FailureCode`], the one table of the stable
//! codes a job's `error.code` carries. The API document, the README and every
//! place that ends a job take their codes from here.

use pixpipe_imaging::ImagingError;
use serde::{Deserialize, Serialize};

/// Declares [`FailureCode`] from one table of variant, wire string and
/// meaning: the enum (each variant documented with its meaning, serialised as
/// its wire string), [`FailureCode::ALL`], [`FailureCode::as_str`] and
/// [`FailureCode::meaning`].
macro_rules! failure_codes {
    ($($variant:ident => $wire:literal, $meaning:literal;)*) => {
        /// The stable code of a failed or expired job.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum FailureCode {
            $(#[doc = $meaning] #[serde(rename = $wire)] $variant,)*
        }

        impl FailureCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [FailureCode] = &[$(FailureCode::$variant),*];

            /// The wire string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FailureCode::$variant => $wire,)*
                }
            }

            /// When a job ends with the code, for the API document.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(FailureCode::$variant => $meaning,)*
                }
            }
        }
    };
}

failure_codes! {
    NotAnImage => "not_an_image",
        "the source is empty, text, or has no known image signature";
    UnsupportedFormat => "unsupported_format",
        "the source's format (or a feature of it) is not supported";
    TooManyPixels => "too_many_pixels",
        "the source's header announces more pixels, or a longer side, than the limits allow";
    InputTooLarge => "input_too_large",
        "the source is larger than the upload limit";
    TruncatedImage => "truncated_image",
        "the source ends before its image data does";
    CorruptImage => "corrupt_image",
        "the decoder found malformed data in the source";
    LimitExceeded => "limit_exceeded",
        "decoding or an output would need more memory than allowed";
    EncodeFailed => "encode_failed",
        "an output could not be encoded";
    WatermarkUnavailable => "watermark_unavailable",
        "a variant asks for a watermark, but the server has none configured";
    SourceMissing => "source_missing",
        "the uploaded source is no longer in storage";
    InternalError => "internal_error",
        "the image work crashed on the server; details are in its log";
    StorageFull => "storage_full",
        "the server's storage stayed full through the last retry";
    ProcessingFailed => "processing_failed",
        "a transient error (storage, queue) lasted through the last retry";
    UploadExpired => "upload_expired",
        "no upload arrived before the upload URL expired (the job is `expired`)";
}

impl std::fmt::Display for FailureCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&ImagingError> for FailureCode {
    fn from(e: &ImagingError) -> Self {
        match e {
            ImagingError::NotAnImage => FailureCode::NotAnImage,
            ImagingError::UnsupportedFormat(_) => FailureCode::UnsupportedFormat,
            ImagingError::TooLarge { .. } => FailureCode::InputTooLarge,
            ImagingError::TooManyPixels { .. } => FailureCode::TooManyPixels,
            ImagingError::Truncated => FailureCode::TruncatedImage,
            ImagingError::Corrupt(_) => FailureCode::CorruptImage,
            ImagingError::LimitExceeded(_) => FailureCode::LimitExceeded,
            ImagingError::Encode(_) => FailureCode::EncodeFailed,
            ImagingError::WatermarkMissing => FailureCode::WatermarkUnavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_serialise_as_their_wire_strings() {
        let mut seen = BTreeSet::new();
        for &code in FailureCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<FailureCode>(&json).unwrap(), code);
            assert!(!code.meaning().is_empty());
        }
    }

    /// The engine's own labels (pinned by its tests) map onto the table.
    #[test]
    fn imaging_errors_keep_their_codes() {
        let pixels = (1, 1, 0);
        let errors = [
            ImagingError::NotAnImage,
            ImagingError::UnsupportedFormat("tiff"),
            ImagingError::TooLarge { bytes: 2, limit: 1 },
            ImagingError::TooManyPixels {
                width: pixels.0,
                height: pixels.1,
                limit: pixels.2,
            },
            ImagingError::Truncated,
            ImagingError::Corrupt(String::new()),
            ImagingError::LimitExceeded(String::new()),
            ImagingError::Encode(String::new()),
            ImagingError::WatermarkMissing,
        ];
        for err in errors {
            assert_eq!(FailureCode::from(&err).as_str(), err.code(), "{err}");
        }
    }

    /// README.md lists exactly the codes of the table.
    #[test]
    fn readme_lists_every_code() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("A failed job carries `error: {code, message}`")
            .expect("the README's failure code paragraph");
        // The sentence after "codes:", up to its full stop.
        let list = &readme[start..];
        let list = &list[list.find("codes:").expect("codes:")..];
        let list = &list[..list.find(". ").or(list.find(".\n")).unwrap_or(list.len())];
        let listed: BTreeSet<&str> = list.split('`').skip(1).step_by(2).collect();
        let table: BTreeSet<&str> = FailureCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, table, "README.md's failure codes");
    }
}
