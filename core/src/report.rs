//! What a finished job tells beyond its files: how an AVIF was encoded, the
//! variants the AVIF budget skipped, the placeholder to paint while the
//! images load, and the facts of the uploaded source. The worker fills them
//! from the engine's report ([`pixpipe_imaging::Made`]).

pub use pixpipe_imaging::{Metadata, SourceFormat};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a result was encoded, for encoders whose cost the server chooses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "rav1e", "speed": 6}))]
pub struct EncoderChoice {
    /// The encoder: `rav1e` for AVIF.
    #[schema(example = "rav1e")]
    pub name: String,
    /// Its speed preset, 1 (slowest, smallest files) to 10 (fastest), chosen
    /// by the server's AVIF budget.
    #[schema(minimum = 1, maximum = 10, example = 6)]
    pub speed: u8,
}

impl EncoderChoice {
    /// The AVIF encoder at `speed`.
    pub fn rav1e(speed: u8) -> Self {
        EncoderChoice {
            name: "rav1e".into(),
            speed,
        }
    }
}

/// Why a variant was not made although its job succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Encoding it would have exceeded the server's AVIF budget (CPU seconds
    /// per job, or the largest AVIF it makes).
    Budget,
}

/// A variant of a succeeded job that was not made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "large-avif", "skipped": "budget"}))]
pub struct SkippedVariant {
    /// The variant's name, as in the spec.
    pub name: String,
    pub skipped: SkipReason,
}

/// A BlurHash and the components it was computed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"hash": "LKO2:N%2Tw=w]~RBVZRi};RPxuwH", "components_x": 4, "components_y": 3}))]
pub struct BlurHash {
    /// The BlurHash string (<https://blurha.sh>).
    pub hash: String,
    /// Cosine components across.
    pub components_x: u32,
    /// Cosine components down.
    pub components_y: u32,
}

/// What to paint while a variant loads, from the pixels of the smallest
/// variant that shows the whole picture at its aspect ratio (`inside` or
/// `outside`; the smallest of all when every variant crops, pads or stretches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Placeholder {
    /// ThumbHash (<https://evanw.github.io/thumbhash/>), standard base64:
    /// about 25 bytes, keeps the aspect ratio and transparency.
    #[schema(example = "3OcRJYB4d3h/iIeHeEh3eIhw+j2w")]
    pub thumbhash: String,
    pub blurhash: BlurHash,
    /// The most common colour, `#rrggbb` (sRGB).
    #[schema(example = "#5b7a99")]
    pub dominant_color: String,
}

impl From<pixpipe_imaging::Placeholder> for Placeholder {
    fn from(p: pixpipe_imaging::Placeholder) -> Self {
        let (components_x, components_y) = pixpipe_imaging::BLURHASH_COMPONENTS;
        Placeholder {
            thumbhash: p.thumbhash,
            blurhash: BlurHash {
                hash: p.blurhash,
                components_x,
                components_y,
            },
            dominant_color: p.dominant_color,
        }
    }
}

/// The uploaded source, as the worker read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = SourceInfo)]
pub struct SourceInfo {
    pub format: SourceFormat,
    /// Width once upright (EXIF orientation applied), in pixels.
    #[schema(example = 3024)]
    pub width: u32,
    /// Height once upright, in pixels.
    #[schema(example = 4032)]
    pub height: u32,
    /// Whether any pixel is not fully opaque.
    pub has_alpha: bool,
    /// Frames in the file; more than 1 for an animated GIF, WebP or PNG (the
    /// variants show the first frame).
    #[schema(example = 1)]
    pub frames: u32,
    /// The embedded ICC profile's description; null when there was none. The
    /// pixels are converted from it to sRGB when it applies to them.
    #[schema(example = "Display P3")]
    pub icc_profile: Option<String>,
    /// The EXIF orientation (1 to 8) that was applied; 1 for none, and for a
    /// HEIC turned by its `irot`/`imir` boxes.
    #[schema(minimum = 1, maximum = 8, example = 6)]
    pub orientation: u8,
    /// Size of the uploaded file in bytes.
    #[schema(example = 1604773)]
    pub bytes: u64,
    /// Metadata the source carried that no result keeps (a variant with
    /// `keep_copyright` keeps only Copyright and Artist), sorted.
    pub metadata_removed: Vec<Metadata>,
}

impl From<pixpipe_imaging::SourceFacts> for SourceInfo {
    fn from(f: pixpipe_imaging::SourceFacts) -> Self {
        SourceInfo {
            format: f.format,
            width: f.width,
            height: f.height,
            has_alpha: f.has_alpha,
            frames: f.frames,
            icc_profile: f.icc_profile,
            orientation: f.orientation,
            bytes: f.bytes,
            metadata_removed: f.metadata_removed,
        }
    }
}

/// Everything a succeeded job records beside its results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub skipped: Vec<SkippedVariant>,
    pub placeholder: Option<Placeholder>,
    pub source: Option<SourceInfo>,
}
