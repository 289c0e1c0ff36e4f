//! What a job makes: variant specs, their validation, and the named presets.

use pixpipe_imaging::{Colour, Fit, Format, Gravity, Variant, WatermarkPlacement, avif};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::SpecError;
pub use crate::preset::{DEFAULT_PRESET, MODERN_AVIF_QUALITY, Preset, preset, presets};

/// Largest width or height a variant may ask for.
pub const MAX_VARIANT_SIDE: u32 = 8192;
/// Most variants one job may ask for.
pub const MAX_VARIANTS: usize = 8;

/// One output of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "thumb", "width": 300, "height": 300, "fit": "cover", "format": "jpeg", "quality": 80, "gravity": "attention"}))]
pub struct VariantSpec {
    /// Names the result file: 1 to 32 of `a-z 0-9 _ -`, unique within the job.
    #[schema(min_length = 1, max_length = 32, pattern = "^[a-z0-9_-]{1,32}$")]
    pub name: String,
    /// Box width in pixels, 1 to 8192.
    #[schema(minimum = 1, maximum = 8192)]
    pub width: u32,
    /// Box height in pixels, 1 to 8192.
    #[schema(minimum = 1, maximum = 8192)]
    pub height: u32,
    pub fit: Fit,
    pub format: Format,
    /// Encoder quality 1 to 100 (ignored for PNG and lossless WebP; for
    /// AVIF, rav1e's quality scale, where 60 to 80 suits photos).
    #[serde(default = "default_quality")]
    #[schema(minimum = 1, maximum = 100, default = 80)]
    pub quality: u8,
    /// Never make the output larger than the source (default true).
    #[serde(default = "default_true")]
    pub without_enlargement: bool,
    /// For `cover`: which part of the source is kept. `centre` (default), a
    /// compass point (`north`, `northeast`, ...), or a smart crop:
    /// `entropy` (the most detailed region) or `attention` (skin tones,
    /// saturated colour and edges).
    #[serde(default, skip_serializing_if = "is_default")]
    pub gravity: Gravity,
    /// `#rrggbb` or `#rrggbbaa`: the padding of `contain`, and the colour a
    /// JPEG flattens transparency onto. Default: transparent padding for PNG
    /// and WebP of images with transparency, otherwise white.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "#ffffff")]
    pub background: Option<Colour>,
    /// JPEG only: progressive instead of baseline (default false).
    #[serde(default, skip_serializing_if = "is_default")]
    pub progressive: bool,
    /// WebP only: lossless instead of lossy; `quality` is then ignored (default false).
    #[serde(default, skip_serializing_if = "is_default")]
    pub lossless: bool,
    /// Copy the source's EXIF Copyright and Artist into the output; nothing
    /// else of the source's metadata is ever kept (default false).
    #[serde(default, skip_serializing_if = "is_default")]
    pub keep_copyright: bool,
    /// Draw the server's watermark on this output. Refused when the server
    /// has no watermark configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<WatermarkPlacement>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn default_quality() -> u8 {
    80
}

fn default_true() -> bool {
    true
}

impl VariantSpec {
    pub(crate) fn new(name: &str, side: (u32, u32), fit: Fit, format: Format, quality: u8) -> Self {
        VariantSpec {
            name: name.to_owned(),
            width: side.0,
            height: side.1,
            fit,
            format,
            quality,
            without_enlargement: true,
            gravity: Gravity::Centre,
            background: None,
            progressive: false,
            lossless: false,
            keep_copyright: false,
            watermark: None,
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
            gravity: self.gravity,
            background: self.background,
            progressive: self.progressive,
            lossless: self.lossless,
            keep_copyright: self.keep_copyright,
            watermark: self.watermark,
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
        let pixels = u64::from(self.width) * u64::from(self.height);
        if self.format == Format::Avif && pixels > avif::MAX_PIXELS {
            return Err(SpecError::new(format!(
                "variant {:?}: an avif output may have at most {} pixels (width × height), \
                 asked for {pixels}",
                self.name,
                avif::MAX_PIXELS
            )));
        }
        if self.fit != Fit::Cover && self.gravity != Gravity::Centre {
            return Err(SpecError::new(format!(
                "variant {:?}: gravity only applies to fit `cover`",
                self.name
            )));
        }
        if let Some(w) = &self.watermark {
            self.validate_watermark(w)?;
        }
        Ok(())
    }

    fn validate_watermark(&self, w: &WatermarkPlacement) -> Result<(), SpecError> {
        let bad = |what: String| {
            Err(SpecError::new(format!(
                "variant {:?}: watermark {what}",
                self.name
            )))
        };
        if w.position.anchor().is_none() {
            return bad("position must be `centre` or a compass point".into());
        }
        if !(w.scale > 0.0 && w.scale <= 1.0) {
            return bad(format!("scale {} is outside (0, 1]", w.scale));
        }
        if !(0.0..=1.0).contains(&w.opacity) {
            return bad(format!("opacity {} is outside 0..=1", w.opacity));
        }
        if !(0.0..=MAX_VARIANT_SIDE as f32).contains(&w.margin) {
            return bad(format!(
                "margin {} is outside 0..={MAX_VARIANT_SIDE}",
                w.margin
            ));
        }
        if w.min_width > MAX_VARIANT_SIDE || w.min_height > MAX_VARIANT_SIDE {
            return bad(format!(
                "min_width and min_height must be at most {MAX_VARIANT_SIDE}"
            ));
        }
        Ok(())
    }
}

/// Refuses variants that ask for a watermark when the server has none.
pub fn check_watermark(variants: &[VariantSpec], configured: bool) -> Result<(), SpecError> {
    match variants.iter().find(|v| v.watermark.is_some()) {
        Some(v) if !configured => Err(SpecError::new(format!(
            "variant {:?} asks for a watermark, but this server has no watermark configured",
            v.name
        ))),
        _ => Ok(()),
    }
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

    fn marked(placement: WatermarkPlacement) -> VariantSpec {
        VariantSpec {
            watermark: Some(placement),
            ..custom("w", 100, 100, 80)
        }
    }

    #[test]
    fn new_options_validate() {
        let ok = WatermarkPlacement::default();
        assert!(resolve(None, Some(vec![marked(ok)])).is_ok());
        for bad in [
            WatermarkPlacement { scale: 0.0, ..ok },
            WatermarkPlacement { scale: 1.5, ..ok },
            WatermarkPlacement {
                scale: f32::NAN,
                ..ok
            },
            WatermarkPlacement {
                opacity: -0.1,
                ..ok
            },
            WatermarkPlacement {
                opacity: 1.01,
                ..ok
            },
            WatermarkPlacement { margin: -1.0, ..ok },
            WatermarkPlacement {
                margin: 9000.0,
                ..ok
            },
            WatermarkPlacement {
                min_width: 8193,
                ..ok
            },
            WatermarkPlacement {
                position: Gravity::Entropy,
                ..ok
            },
        ] {
            assert!(resolve(None, Some(vec![marked(bad)])).is_err(), "{bad:?}");
        }
        let inside_with_gravity = VariantSpec {
            gravity: Gravity::North,
            ..custom("g", 10, 10, 80)
        };
        assert!(resolve(None, Some(vec![inside_with_gravity])).is_err());
        let list = [marked(ok)];
        assert!(check_watermark(&list, true).is_ok());
        assert!(check_watermark(&list, false).is_err());
        assert!(check_watermark(&[custom("a", 1, 1, 5)], false).is_ok());
    }

    #[test]
    fn old_specs_deserialize_and_new_fields_parse() {
        let old: VariantSpec = serde_json::from_value(serde_json::json!({
            "name": "a", "width": 10, "height": 10, "fit": "cover", "format": "jpeg"
        }))
        .expect("old spec");
        assert_eq!(old.gravity, Gravity::Centre);
        assert_eq!((old.watermark, old.background), (None, None));
        let json = serde_json::to_value(&old).expect("serialises");
        assert!(json.get("gravity").is_none() && json.get("watermark").is_none());

        let new: VariantSpec = serde_json::from_value(serde_json::json!({
            "name": "a", "width": 10, "height": 10, "fit": "cover", "format": "webp",
            "gravity": "center", "background": "#ff000080", "lossless": true,
            "watermark": {"position": "north", "opacity": 0.5}
        }))
        .expect("new spec");
        assert_eq!(new.gravity, Gravity::Centre);
        assert_eq!(new.background, Some(Colour([255, 0, 0, 128])));
        let w = new.watermark.expect("watermark");
        assert_eq!(
            (w.position, w.opacity, w.scale),
            (Gravity::North, 0.5, 0.25)
        );
        let back: VariantSpec =
            serde_json::from_value(serde_json::to_value(&new).expect("ser")).expect("de");
        assert_eq!(back, new);
        for bad in ["red", "#12345", "#1234567g"] {
            let r: Result<VariantSpec, _> = serde_json::from_value(serde_json::json!({
                "name": "a", "width": 1, "height": 1, "fit": "contain", "format": "png",
                "background": bad
            }));
            assert!(r.is_err(), "{bad}");
        }
    }
}
