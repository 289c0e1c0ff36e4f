//! The named presets: `standard` (the default), `modern` (AVIF and WebP
//! side by side for `<picture>`) and `seed` (the original function's output).

use pixpipe_imaging::{Fit, Format};
use serde::Serialize;
use utoipa::ToSchema;

use crate::spec::VariantSpec;

/// The preset used when a job names neither a preset nor variants.
pub const DEFAULT_PRESET: &str = "standard";
/// Quality of the `modern` preset's AVIF variants (rav1e's scale): at it
/// AVIF is smaller than the WebP q80 beside it at a like SSIMULACRA2 score
/// (`pixpipe bench-avif` prints the bytes).
pub const MODERN_AVIF_QUALITY: u8 = 70;

/// A named, documented list of variants.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Preset {
    #[schema(example = "standard")]
    pub name: String,
    pub description: String,
    pub variants: Vec<VariantSpec>,
}

/// Every preset the service knows, the default first.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            name: "standard".into(),
            description: "Auto-oriented, metadata stripped: thumb 300x300 cover JPEG q80, \
                          medium inside 1024x1024 WebP q80, large inside 2048x2048 JPEG q85; \
                          never enlarged."
                .into(),
            variants: vec![
                VariantSpec::new("thumb", (300, 300), Fit::Cover, Format::Jpeg, 80),
                VariantSpec::new("medium", (1024, 1024), Fit::Inside, Format::Webp, 80),
                VariantSpec::new("large", (2048, 2048), Fit::Inside, Format::Jpeg, 85),
            ],
        },
        Preset {
            name: "modern".into(),
            description: "For <picture> sources: each size as AVIF q70 and WebP q80 side by side, \
                          thumb 300x300 cover, medium inside 1024x1024, large inside 2048x2048; \
                          auto-oriented, metadata stripped, never enlarged. The AVIF speed \
                          follows the server's AVIF budget (an AVIF it cannot afford is skipped)."
                .into(),
            variants: modern(),
        },
        Preset {
            name: "seed".into(),
            description: "The original function's output: the image stretched to exactly \
                          300x300, JPEG q75."
                .into(),
            variants: vec![VariantSpec {
                without_enlargement: false,
                ..VariantSpec::new("seed", (300, 300), Fit::Fill, Format::Jpeg, 75)
            }],
        },
    ]
}

/// The `modern` preset's variants: AVIF and WebP of each size.
fn modern() -> Vec<VariantSpec> {
    let mut variants = Vec::new();
    for (name, side, fit) in [
        ("thumb", 300, Fit::Cover),
        ("medium", 1024, Fit::Inside),
        ("large", 2048, Fit::Inside),
    ] {
        let avif = format!("{name}-avif");
        variants.push(VariantSpec::new(
            &avif,
            (side, side),
            fit,
            Format::Avif,
            MODERN_AVIF_QUALITY,
        ));
        variants.push(VariantSpec::new(name, (side, side), fit, Format::Webp, 80));
    }
    variants
}

/// Looks a preset up by name.
pub fn preset(name: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.name == name)
}
