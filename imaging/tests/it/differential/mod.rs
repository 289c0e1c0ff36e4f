//! Differential decoder tests: a generated picture is encoded by independent
//! encoders (cjpeg, the `png` crate, cwebp, gifsicle) in many layouts, and
//! each encoding is decoded by pixpipe (through `process`, one same-size PNG
//! variant) and by a reference decoder (djpeg, libpng's `pngtopam`, dwebp,
//! netpbm's `giftopnm`); the two must agree within the bound each module
//! states. The reference tools come from Debian: libjpeg-turbo-progs, webp,
//! gifsicle, netpbm (a missing one fails the test naming its package).
//!
//! Run: `cargo test -p pixpipe-imaging --test it differential -- --nocapture`
//! prints every case with its max and mean differences per channel.

mod gif;
mod jpeg;
mod jpeg_edges;
mod png;
mod support;
mod webp;

use support::{Bound, Diff, H, W, picture, pixpipe};

/// A same-size `fill` PNG variant must be an identity, or every comparison
/// would measure pixpipe's resampling instead of its decoder. It is exact for
/// opaque pictures; partly transparent pixels move by at most one level.
#[test]
fn same_size_png_variant_is_an_identity() {
    for alpha in [false, true] {
        let src = picture(alpha);
        let mut bytes = Vec::new();
        let mut enc = ::png::Encoder::new(&mut bytes, W, H);
        enc.set_color(::png::ColorType::Rgba);
        enc.set_depth(::png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(src.as_raw()).expect("png data");
        writer.finish().expect("png end");

        let out = pixpipe(&bytes, (W, H)).expect("pixpipe decodes its own kind of PNG");
        let diff = Diff::between(&out, &src);
        eprintln!("identity (alpha {alpha}): {diff}");
        if alpha {
            // Partly transparent pixels go through premultiply and divide
            // (see `Bound::with_alpha_round_trip`): one level, alpha untouched.
            assert!(
                diff.within(Bound::new(0, 0.0).with_alpha_round_trip()),
                "{diff}"
            );
        } else {
            assert_eq!(
                diff.max, [0; 4],
                "a same-size variant changed pixels: {diff}"
            );
        }
    }
}
