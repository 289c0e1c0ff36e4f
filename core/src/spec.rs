//! What a job makes: variant specs, their validation, and the named presets.

use pixpipe_imaging::{Fit, Format, Variant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::SpecError;

/// Largest width or height a variant may ask for.
pub const MAX_VARIANT_SIDE: u32 = 8192;
/// Most variants one job may ask for.
pub const MAX_VARIANTS: usize = 8;
/// The preset used when a job names neither a preset nor variants.
pub const DEFAULT_PRESET: &str = "standard";

/// One output of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "thumb", "width": 300, "height": 300, "fit": "cover", "format": "jpeg", "quality": 80}))]
pub struct VariantSpec {
    /// Names the result file: 1 to 32 of `a-z 0-9 _ -`, unique within the job.
    pub name: String,
    /// Box width in pixels, 1 to 8192.
    pub width: u32,
    /// Box height in pixels, 1 to 8192.
    pub height: u32,
    pub fit: Fit,
    pub format: Format,
    /// Encoder quality 1 to 100 (ignored for PNG).
    #[serde(default = "default_quality")]
    pub quality: u8,
    /// Never make the output larger than the source (default true).
    #[serde(default = "default_true")]
    pub without_enlargement: bool,
}

fn default_quality() -> u8 {
    80
}

fn default_true() -> bool {
    true
}

impl VariantSpec {
    fn new(name: &str, side: (u32, u32), fit: Fit, format: Format, quality: u8) -> Self {
        VariantSpec {
            name: name.to_owned(),
            width: side.0,
            height: side.1,
            fit,
            format,
            quality,
            without_enlargement: true,
        }
    }

    /// The engine's view of this spec.
    pub fn to_variant(&self) -> Variant {
        Variant {
            width: self.width,
            height: self.height,
            fit: self.fit,
            format: self.format,
            quality: self.quality,
            without_enlargement: self.without_enlargement,
        }
    }

    /// Object key of this variant's result for a job.
    pub fn result_key(&self, job: &crate::JobId) -> String {
        format!(
            "{}{}.{}",
            job.results_prefix(),
            self.name,
            self.format.extension()
        )
    }

    fn validate(&self) -> Result<(), SpecError> {
        let name_ok = (1..=32).contains(&self.name.len())
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(SpecError::new(format!(
                "variant name {:?} must be 1 to 32 characters of a-z, 0-9, '_' or '-'",
                self.name
            )));
        }
        for (label, side) in [("width", self.width), ("height", self.height)] {
            if !(1..=MAX_VARIANT_SIDE).contains(&side) {
                return Err(SpecError::new(format!(
                    "variant {:?}: {label} {side} is outside 1..={MAX_VARIANT_SIDE}",
                    self.name
                )));
            }
        }
        if !(1..=100).contains(&self.quality) {
            return Err(SpecError::new(format!(
                "variant {:?}: quality {} is outside 1..=100",
                self.name, self.quality
            )));
        }
        Ok(())
    }
}

/// A named, documented list of variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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

/// Looks a preset up by name.
pub fn preset(name: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.name == name)
}

/// Turns a request's `preset` / `variants` into the validated list of variants.
/// Exactly one of the two may be given; neither means the default preset.
pub fn resolve(
    preset_name: Option<&str>,
    variants: Option<Vec<VariantSpec>>,
) -> Result<(Option<String>, Vec<VariantSpec>), SpecError> {
    match (preset_name, variants) {
        (Some(_), Some(_)) => Err(SpecError::new(
            "give either `preset` or `variants`, not both",
        )),
        (Some(name), None) => preset(name)
            .map(|p| (Some(p.name), p.variants))
            .ok_or_else(|| SpecError::unknown_preset(name)),
        (None, Some(list)) => {
            if list.is_empty() || list.len() > MAX_VARIANTS {
                return Err(SpecError::new(format!(
                    "`variants` must hold 1 to {MAX_VARIANTS} entries, got {}",
                    list.len()
                )));
            }
            for (i, v) in list.iter().enumerate() {
                v.validate()?;
                if list[..i].iter().any(|w| w.name == v.name) {
                    return Err(SpecError::new(format!(
                        "variant name {:?} is repeated",
                        v.name
                    )));
                }
            }
            Ok((None, list))
        }
        (None, None) => resolve(Some(DEFAULT_PRESET), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(name: &str, w: u32, h: u32, q: u8) -> VariantSpec {
        VariantSpec::new(name, (w, h), Fit::Inside, Format::Png, q)
    }

    #[test]
    fn default_is_standard_with_three_variants() {
        let (name, v) = resolve(None, None).unwrap();
        assert_eq!(name.as_deref(), Some("standard"));
        let names: Vec<_> = v.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["thumb", "medium", "large"]);
    }

    #[test]
    fn seed_is_one_stretched_jpeg() {
        let (_, v) = resolve(Some("seed"), None).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(
            (v[0].width, v[0].height, v[0].fit, v[0].quality),
            (300, 300, Fit::Fill, 75)
        );
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(resolve(Some("nope"), None).unwrap_err().unknown_preset);
        assert!(resolve(Some("seed"), Some(vec![custom("a", 1, 1, 1)])).is_err());
        assert!(resolve(None, Some(vec![])).is_err());
        assert!(resolve(None, Some(vec![custom("a", 1, 1, 1); 9])).is_err());
        assert!(resolve(None, Some(vec![custom("a", 0, 1, 50)])).is_err());
        assert!(resolve(None, Some(vec![custom("a", 8193, 1, 50)])).is_err());
        assert!(resolve(None, Some(vec![custom("a", 10, 10, 0)])).is_err());
        assert!(resolve(None, Some(vec![custom("a", 10, 10, 101)])).is_err());
        assert!(resolve(None, Some(vec![custom("A/b", 10, 10, 50)])).is_err());
        assert!(resolve(None, Some(vec![custom("a", 1, 1, 5), custom("a", 2, 2, 5)])).is_err());
        assert!(resolve(None, Some(vec![custom("a", 8192, 8192, 100)])).is_ok());
    }
}
