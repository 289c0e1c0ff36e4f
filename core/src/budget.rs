//! The work budget of a job, checked at creation: how many output pixels its
//! variants may ask for, against the server's largest accepted image.
//!
//! What a variant makes is bounded by its box, whatever the source:
//! `fill`, `cover` and `contain` make exactly the box (less when a small
//! source is not enlarged), `inside` at most the box. `outside` covers the
//! box, so it makes at least the box whenever it enlarges; how much more
//! depends on the source's aspect ratio, unknown at creation, so it is
//! counted at its box here and the worker still refuses any single output
//! over the pixel limit.

use crate::spec::VariantSpec;

/// The total output pixels of one job's variants may be this many times the
/// server's max pixels: the outputs of one job then cost at most a few
/// decodes of the largest accepted source, while every preset (5.3 MP for
/// `standard`) and any ordinary set (eight 4K outputs: 66 MP) stays far below.
pub const TOTAL_BUDGET_FACTOR: u64 = 4;

/// Why a variant set is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetExceeded {
    #[error(
        "variant {name:?} asks for {pixels} output pixels ({width}x{height}), \
         over this server's limit of {limit} pixels per image"
    )]
    Output {
        name: String,
        width: u32,
        height: u32,
        pixels: u64,
        limit: u64,
    },
    #[error(
        "the variants ask for {pixels} output pixels in all, over this server's \
         budget of {limit} pixels per job ({TOTAL_BUDGET_FACTOR} times its limit per image)"
    )]
    Total { pixels: u64, limit: u64 },
}

/// The most pixels `variant` can make that is knowable at creation: its box.
pub fn output_pixels(variant: &VariantSpec) -> u64 {
    u64::from(variant.width) * u64::from(variant.height)
}

/// Refuses a variant whose output exceeds `max_pixels`, and a set whose
/// outputs together exceed [`TOTAL_BUDGET_FACTOR`] × `max_pixels`.
pub fn check(variants: &[VariantSpec], max_pixels: u64) -> Result<(), BudgetExceeded> {
    let mut total = 0u64;
    for v in variants {
        let pixels = output_pixels(v);
        if pixels > max_pixels {
            return Err(BudgetExceeded::Output {
                name: v.name.clone(),
                width: v.width,
                height: v.height,
                pixels,
                limit: max_pixels,
            });
        }
        total = total.saturating_add(pixels);
    }
    let limit = max_pixels.saturating_mul(TOTAL_BUDGET_FACTOR);
    if total > limit {
        return Err(BudgetExceeded::Total {
            pixels: total,
            limit,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::presets;

    fn variant(width: u32, height: u32, fit: &str) -> VariantSpec {
        serde_json::from_value(serde_json::json!({
            "name": "v", "width": width, "height": height, "fit": fit, "format": "jpeg"
        }))
        .unwrap()
    }

    #[test]
    fn every_preset_fits_the_default_budget() {
        for preset in presets() {
            assert_eq!(
                check(&preset.variants, 50_000_000),
                Ok(()),
                "{}",
                preset.name
            );
        }
    }

    #[test]
    fn one_box_over_the_limit_is_refused_for_every_fit() {
        for fit in ["fill", "cover", "contain", "inside", "outside"] {
            let got = check(&[variant(8192, 8192, fit)], 50_000_000);
            assert!(matches!(got, Err(BudgetExceeded::Output { .. })), "{fit}");
            assert_eq!(
                check(&[variant(7000, 7000, fit)], 50_000_000),
                Ok(()),
                "{fit}"
            );
        }
    }

    #[test]
    fn the_total_is_limited_to_four_images() {
        assert_eq!(
            check(&vec![variant(7000, 7000, "inside"); 4], 50_000_000),
            Ok(())
        );
        let got = check(&vec![variant(7000, 7000, "inside"); 5], 50_000_000);
        assert_eq!(
            got,
            Err(BudgetExceeded::Total {
                pixels: 5 * 49_000_000,
                limit: 200_000_000
            })
        );
    }
}
