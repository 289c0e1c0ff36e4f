//! The typed options of one output variant: size, fit, gravity, background,
//! format and encoder switches, and the optional watermark placement.

use std::fmt;
use std::str::FromStr;

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
    /// AV1 in HEIF (8-bit 4:4:4, alpha kept), at a speed the job's CPU
    /// budget picks; see [`crate::avif`].
    Avif,
}

impl Format {
    /// File extension used for published results.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Avif => "avif",
        }
    }

    /// MIME type of the encoded bytes.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Avif => "image/avif",
        }
    }
}

/// Where `cover` takes its crop from, or where a watermark goes.
///
/// The compass points push the crop (or overlay) against that edge or
/// corner; `entropy` and `attention` are smart crops (cover only): the crop
/// window with the most detail (Shannon entropy of luminance), or the most
/// eye-catching content (skin tones, saturated colour, edges).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "schema",
    derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)
)]
#[cfg_attr(feature = "schema", serde(rename_all = "snake_case"))]
pub enum Gravity {
    #[default]
    #[cfg_attr(feature = "schema", serde(alias = "center"))]
    Centre,
    North,
    Northeast,
    East,
    Southeast,
    South,
    Southwest,
    West,
    Northwest,
    Entropy,
    Attention,
}

impl Gravity {
    /// Where along each axis (0 = left/top, 1 = right/bottom) a compass
    /// gravity anchors; `None` for the smart crops.
    pub fn anchor(self) -> Option<(f64, f64)> {
        Some(match self {
            Gravity::Centre => (0.5, 0.5),
            Gravity::North => (0.5, 0.0),
            Gravity::Northeast => (1.0, 0.0),
            Gravity::East => (1.0, 0.5),
            Gravity::Southeast => (1.0, 1.0),
            Gravity::South => (0.5, 1.0),
            Gravity::Southwest => (0.0, 1.0),
            Gravity::West => (0.0, 0.5),
            Gravity::Northwest => (0.0, 0.0),
            Gravity::Entropy | Gravity::Attention => return None,
        })
    }
}

/// An sRGB colour with straight alpha, written `#rrggbb` or `#rrggbbaa`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "schema",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
pub struct Colour(pub [u8; 4]);

impl Colour {
    pub const WHITE: Colour = Colour([255, 255, 255, 255]);
    pub const TRANSPARENT: Colour = Colour([0, 0, 0, 0]);

    /// Premultiplied RGBA.
    pub(crate) fn premultiplied(self) -> [u8; 4] {
        let [r, g, b, a] = self.0;
        let m = |c: u8| ((u32::from(c) * u32::from(a) + 127) / 255) as u8;
        [m(r), m(g), m(b), a]
    }

    /// The opaque colour this one shows over white.
    pub(crate) fn over_white(self) -> [u8; 3] {
        let [r, g, b, _] = self.premultiplied();
        let under = 255 - self.0[3];
        [r + under, g + under, b + under]
    }
}

impl FromStr for Colour {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s.strip_prefix('#').unwrap_or("");
        let ok = matches!(hex.len(), 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(format!("colour {s:?} is not #rrggbb or #rrggbbaa"));
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
        let alpha = if hex.len() == 8 { byte(6) } else { 255 };
        Ok(Colour([byte(0), byte(2), byte(4), alpha]))
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b, a] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")?;
        if a != 255 {
            write!(f, "{a:02x}")?;
        }
        Ok(())
    }
}

impl TryFrom<String> for Colour {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Colour> for String {
    fn from(c: Colour) -> String {
        c.to_string()
    }
}

/// Where and how a variant carries the watermark overlay.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "schema",
    derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema),
    serde(deny_unknown_fields)
)]
pub struct WatermarkPlacement {
    /// One of the nine positions: `centre` or a compass point (default `southeast`).
    #[cfg_attr(feature = "schema", serde(default = "default_position"))]
    pub position: Gravity,
    /// Overlay width as a fraction of the output width, above 0 and at most 1 (default 0.25).
    #[cfg_attr(feature = "schema", serde(default = "default_scale"))]
    #[cfg_attr(feature = "schema", schema(exclusive_minimum = 0, maximum = 1))]
    pub scale: f32,
    /// Gap to the edges: below 1 a fraction of the output's shorter side,
    /// from 1 up whole pixels (default 0.02).
    #[cfg_attr(feature = "schema", serde(default = "default_margin"))]
    #[cfg_attr(feature = "schema", schema(minimum = 0, maximum = 8192))]
    pub margin: f32,
    /// 0 (invisible) to 1 (the overlay's own alpha), default 1.
    #[cfg_attr(feature = "schema", serde(default = "default_opacity"))]
    #[cfg_attr(feature = "schema", schema(minimum = 0, maximum = 1))]
    pub opacity: f32,
    /// Outputs narrower than this get no watermark (default 0).
    #[cfg_attr(feature = "schema", serde(default))]
    #[cfg_attr(feature = "schema", schema(maximum = 8192))]
    pub min_width: u32,
    /// Outputs shorter than this get no watermark (default 0).
    #[cfg_attr(feature = "schema", serde(default))]
    #[cfg_attr(feature = "schema", schema(maximum = 8192))]
    pub min_height: u32,
}

#[cfg(feature = "schema")]
fn default_position() -> Gravity {
    Gravity::Southeast
}
#[cfg(feature = "schema")]
fn default_scale() -> f32 {
    0.25
}
#[cfg(feature = "schema")]
fn default_margin() -> f32 {
    0.02
}
#[cfg(feature = "schema")]
fn default_opacity() -> f32 {
    1.0
}

impl Default for WatermarkPlacement {
    fn default() -> Self {
        WatermarkPlacement {
            position: Gravity::Southeast,
            scale: 0.25,
            margin: 0.02,
            opacity: 1.0,
            min_width: 0,
            min_height: 0,
        }
    }
}

/// One output to make from a decoded image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub fit: Fit,
    pub format: Format,
    /// 1..=100; used by JPEG and lossy WebP, ignored by PNG and lossless WebP.
    pub quality: u8,
    /// Never make the output larger than the (oriented) source.
    pub without_enlargement: bool,
    /// Which part of the source `cover` keeps.
    pub gravity: Gravity,
    /// Padding colour for `contain`, and the colour JPEG flattens alpha onto.
    /// `None`: transparent padding where the output keeps alpha (PNG or WebP
    /// of a source with alpha), otherwise white.
    pub background: Option<Colour>,
    /// JPEG only: progressive scans instead of one baseline scan.
    pub progressive: bool,
    /// WebP only: lossless instead of lossy.
    pub lossless: bool,
    /// Copy the source's EXIF Copyright and Artist (nothing else) into the output.
    pub keep_copyright: bool,
    /// Draw the watermark given to [`crate::process_with`] on this output.
    pub watermark: Option<WatermarkPlacement>,
}

impl Variant {
    /// A variant with the given box, fit and format and every other option
    /// at its default (quality 80, without enlargement, centre gravity).
    pub fn new(width: u32, height: u32, fit: Fit, format: Format) -> Variant {
        Variant {
            width,
            height,
            fit,
            format,
            quality: 80,
            without_enlargement: true,
            gravity: Gravity::Centre,
            background: None,
            progressive: false,
            lossless: false,
            keep_copyright: false,
            watermark: None,
        }
    }
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
    /// Most threads that encode one image's variants, the calling thread
    /// included (1: all on the calling thread). The default is the number of
    /// CPUs, at most 4.
    pub max_threads: usize,
    /// CPU time one job may spend encoding AVIF, all its AVIF variants
    /// together: it picks their speed, or skips them (see [`crate::avif`]).
    pub avif_budget: std::time::Duration,
}

/// The default of [`Limits::avif_budget`]: 20 CPU seconds.
pub const DEFAULT_AVIF_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 25 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_dimension: 65_535,
            max_alloc: 512 * 1024 * 1024,
            max_threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            avif_budget: DEFAULT_AVIF_BUDGET,
        }
    }
}
