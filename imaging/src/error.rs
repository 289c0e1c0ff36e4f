//! The engine's error type, its stable machine-readable codes, and the
//! mapping from decoder errors onto it.

use std::io::ErrorKind;

use image::error::{ImageError, LimitErrorKind, ParameterErrorKind};

/// Everything that can go wrong turning input bytes into outputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImagingError {
    /// Empty input, text, or no known magic bytes.
    #[error("the input is not an image")]
    NotAnImage,
    /// A recognised format (or format feature) that the engine does not handle.
    #[error("unsupported image format: {0}")]
    UnsupportedFormat(&'static str),
    /// The input is larger than `Limits::max_input_bytes`.
    #[error("the input is {bytes} bytes, over the limit of {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
    /// The header announces more than `Limits::max_pixels` pixels, or a side
    /// longer than `Limits::max_dimension`.
    #[error("the image is {width}x{height}, over the limits (at most {limit} pixels)")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    /// The input ends before the image data does.
    #[error("the image data is truncated")]
    Truncated,
    /// The decoder found malformed data.
    #[error("the image data is corrupt: {0}")]
    Corrupt(String),
    /// Decoding (or an output) would need more memory than allowed.
    #[error("resource limit exceeded: {0}")]
    LimitExceeded(String),
    /// An output could not be encoded.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// A variant asks for a watermark but none is configured.
    #[error("a variant asks for a watermark, but no watermark is configured")]
    WatermarkMissing,
}

impl ImagingError {
    /// Stable snake_case code, suitable for API responses and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            ImagingError::NotAnImage => "not_an_image",
            ImagingError::UnsupportedFormat(_) => "unsupported_format",
            ImagingError::TooLarge { .. } => "input_too_large",
            ImagingError::TooManyPixels { .. } => "too_many_pixels",
            ImagingError::Truncated => "truncated_image",
            ImagingError::Corrupt(_) => "corrupt_image",
            ImagingError::LimitExceeded(_) => "limit_exceeded",
            ImagingError::Encode(_) => "encode_failed",
            ImagingError::WatermarkMissing => "watermark_unavailable",
        }
    }

    /// Maps an error of the `image` crate met while decoding.
    pub(crate) fn from_decode(err: ImageError, format: &'static str) -> ImagingError {
        match err {
            ImageError::Limits(e) => match e.kind() {
                LimitErrorKind::DimensionError => {
                    ImagingError::LimitExceeded(format!("image dimensions: {e}"))
                }
                _ => ImagingError::LimitExceeded(e.to_string()),
            },
            ImageError::IoError(e) if e.kind() == ErrorKind::UnexpectedEof => {
                ImagingError::Truncated
            }
            ImageError::IoError(e) => ImagingError::Corrupt(e.to_string()),
            ImageError::Parameter(e) if e.kind() == ParameterErrorKind::NoMoreData => {
                ImagingError::Truncated
            }
            ImageError::Unsupported(_) => ImagingError::UnsupportedFormat(format),
            ImageError::Encoding(e) => ImagingError::Encode(e.to_string()),
            other => {
                let message = other.to_string();
                if looks_truncated(&message) {
                    ImagingError::Truncated
                } else {
                    ImagingError::Corrupt(message)
                }
            }
        }
    }
}

/// Decoders report a premature end of input in prose; recognise the usual wordings.
fn looks_truncated(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "unexpected eof",
        "unexpected end",
        "end of file",
        "eof reached",
        "truncated",
        "no more data",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let cases = [
            (ImagingError::NotAnImage, "not_an_image"),
            (
                ImagingError::UnsupportedFormat("tiff"),
                "unsupported_format",
            ),
            (
                ImagingError::TooLarge { bytes: 2, limit: 1 },
                "input_too_large",
            ),
            (
                ImagingError::TooManyPixels {
                    width: 1,
                    height: 1,
                    limit: 0,
                },
                "too_many_pixels",
            ),
            (ImagingError::Truncated, "truncated_image"),
            (ImagingError::Corrupt(String::new()), "corrupt_image"),
            (ImagingError::LimitExceeded(String::new()), "limit_exceeded"),
            (ImagingError::Encode(String::new()), "encode_failed"),
            (ImagingError::WatermarkMissing, "watermark_unavailable"),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code);
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn eof_io_errors_mean_truncated() {
        let err = ImageError::IoError(std::io::Error::from(ErrorKind::UnexpectedEof));
        assert!(matches!(
            ImagingError::from_decode(err, "png"),
            ImagingError::Truncated
        ));
    }
}
