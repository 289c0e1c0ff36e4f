//! The typed options of one output variant: size, fit, format, quality.

/// How the image is fitted into the requested `width` × `height` box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "schema",
    derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)
)]
#[cfg_attr(feature = "schema", serde(rename_all = "snake_case"))]
pub enum Fit {
    /// Fill the box exactly, cropping what overflows (keeps the aspect ratio).
    Cover,
    /// Fit inside the box, padding to the exact box size with the background.
    Contain,
    /// Stretch to the exact box size (ignores the aspect ratio).
    Fill,
    /// Fit inside the box; the output is at most the box size (keeps the aspect ratio).
    Inside,
    /// Cover the box; the output is at least the box size (keeps the aspect ratio).
    Outside,
}

/// Encoded output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "schema",
    derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)
)]
#[cfg_attr(feature = "schema", serde(rename_all = "snake_case"))]
pub enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    /// File extension used for published results.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }

    /// MIME type of the encoded bytes.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
        }
    }
}

/// One output to make from a decoded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub fit: Fit,
    pub format: Format,
    /// 1..=100; used by JPEG and lossy WebP, ignored by PNG.
    pub quality: u8,
    /// Never make the output larger than the (oriented) source.
    pub without_enlargement: bool,
}

/// Resource bounds checked before and during decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_input_bytes: usize,
    /// Largest accepted width × height of the source, read from the header before decoding.
    pub max_pixels: u64,
    /// Largest single side of the source.
    pub max_dimension: u32,
    /// Upper bound on what the decoder may allocate, in bytes.
    pub max_alloc: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 25 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_dimension: 65_535,
            max_alloc: 512 * 1024 * 1024,
        }
    }
}
