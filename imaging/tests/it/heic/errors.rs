//! HEIC-family inputs that must fail, and how: AVIF (no decoder), limits
//! checked on the header before decoding, truncation, too many items.

use image::DynamicImage;
use pixpipe_imaging::{Fit, Format, ImagingError, Limits, Variant, process};

use crate::heic::tools::heif_enc;

fn small() -> Vec<u8> {
    heif_enc(
        &DynamicImage::ImageRgba8(crate::heic::scene(320, 200)),
        &["-q", "50"],
    )
}

fn run(bytes: &[u8], limits: &Limits) -> Result<(), ImagingError> {
    let variant = Variant::new(64, 64, Fit::Cover, Format::Jpeg);
    process(bytes, &[variant], limits).map(|_| ())
}

/// `bytes` with the first `from` after `after` replaced by `to` (same length).
fn replaced(bytes: &[u8], after: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let start = bytes
        .windows(after.len())
        .position(|w| w == after)
        .expect("marker");
    let at = start
        + bytes[start..]
            .windows(from.len())
            .position(|w| w == from)
            .expect("found");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn avif_is_unsupported_never_misread() {
    let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf\0\0\0\x08mdat";
    assert_eq!(
        run(avif, &Limits::default()),
        Err(ImagingError::UnsupportedFormat("avif"))
    );
    // A generic HEIF file whose primary image is AV1-coded.
    let heic = small();
    let generic = replaced(&heic, b"ftyp", b"heic", b"mif1");
    let generic = replaced(&generic, b"ftyp", b"heic", b"mif1");
    let av1 = replaced(&generic, b"infe", b"hvc1", b"av01");
    assert_eq!(
        run(&av1, &Limits::default()),
        Err(ImagingError::UnsupportedFormat("avif"))
    );
    assert!(
        run(&generic, &Limits::default()).is_ok(),
        "mif1 with HEVC decodes"
    );
}

#[test]
fn limits_are_checked_on_the_header() {
    let heic = small();
    let few_pixels = Limits {
        max_pixels: 320 * 200 - 1,
        ..Limits::default()
    };
    assert!(matches!(
        pixpipe_imaging::probe(&heic, &few_pixels),
        Err(ImagingError::TooManyPixels {
            width: 320,
            height: 200,
            ..
        })
    ));
    let short_side = Limits {
        max_dimension: 319,
        ..Limits::default()
    };
    assert!(matches!(
        run(&heic, &short_side),
        Err(ImagingError::TooManyPixels { .. })
    ));
    // An item count far over the bound, in iinf (version 0: 16 bits).
    let iinf = heic.windows(4).position(|w| w == b"iinf").expect("iinf");
    assert_eq!(heic[iinf + 4], 0, "iinf version 0");
    let mut many = heic.clone();
    many[iinf + 8..iinf + 10].copy_from_slice(b"\xFF\xFF");
    assert!(
        matches!(
            run(&many, &Limits::default()),
            Err(ImagingError::LimitExceeded(_))
        ),
        "{:?}",
        run(&many, &Limits::default())
    );
}

#[test]
fn truncated_files_are_truncated() {
    let heic = small();
    for cut in [heic.len() - 1, heic.len() / 2, 200, 40, 20] {
        assert_eq!(
            run(&heic[..cut], &Limits::default()),
            Err(ImagingError::Truncated),
            "cut at {cut}"
        );
    }
}
