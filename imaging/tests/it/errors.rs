//! Bad input: empty, text, unsupported, truncated, oversized, lying headers,
//! decompression bombs, and a deterministic garbage sweep that must never
//! panic or hang. Also: a 49 MP image still decodes under default limits.

use crate::common::{
    Rng, encode, jpeg, png_of_zeros, png_start, push_chunk, quadrants, riff_webp, variant, vp8l,
};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder, ImageFormat};
use pixpipe_imaging::{Fit, Format, ImagingError, Limits, Variant, probe, process, sniff};

fn thumb() -> [Variant; 1] {
    [variant(300, 300, Fit::Cover, Format::Jpeg, true)]
}

fn run(bytes: &[u8]) -> Result<Vec<pixpipe_imaging::Output>, ImagingError> {
    process(bytes, &thumb(), &Limits::default())
}

#[test]
fn empty_text_and_unsupported() {
    assert!(matches!(run(b""), Err(ImagingError::NotAnImage)));
    assert!(matches!(
        run(b"just some text\n"),
        Err(ImagingError::NotAnImage)
    ));
    assert!(matches!(
        run(b"II*\0\x08\0\0\0rest"),
        Err(ImagingError::UnsupportedFormat("tiff"))
    ));
    // HEIC is read now: a file that stops after its `ftyp` box is short.
    let bare = run(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic").expect_err("no image");
    assert!(
        matches!(bare, ImagingError::Truncated | ImagingError::Corrupt(_)),
        "{bare:?}"
    );
    assert!(matches!(
        run(b"\0\0\0\x18ftypavif\0\0\0\0mif1avif"),
        Err(ImagingError::UnsupportedFormat("avif"))
    ));
    let err = run(b"").expect_err("error");
    assert_eq!(err.code(), "not_an_image");
}

#[test]
fn truncated_jpeg() {
    let bytes = jpeg(&DynamicImage::ImageRgba8(quadrants(64, 48)), 90);
    assert!(run(&bytes).is_ok());
    // Cut inside the scan data: truncated, whatever the cut.
    for cut in [3, 100, bytes.len() / 2] {
        let short = &bytes[..bytes.len() - cut];
        let err = run(short).expect_err("truncated jpeg must fail");
        assert!(matches!(err, ImagingError::Truncated), "cut {cut}: {err:?}");
        assert_eq!(err.code(), "truncated_image");
    }
    // Only the EOI marker missing: the scan data is whole, so it decodes
    // to the same pixels.
    let whole = run(&bytes).expect("whole");
    let no_eoi = run(&bytes[..bytes.len() - 2]).expect("complete scan data decodes");
    assert_eq!(whole, no_eoi);
    // Cut inside the headers.
    assert!(matches!(run(&bytes[..20]), Err(ImagingError::Truncated)));
    assert!(matches!(
        probe(&bytes[..20], &Limits::default()),
        Err(ImagingError::Truncated)
    ));
}

#[test]
fn truncated_png() {
    let bytes = encode(
        &DynamicImage::ImageRgba8(quadrants(64, 48)),
        ImageFormat::Png,
    );
    for cut in [12, bytes.len() / 2, bytes.len() - 40] {
        let err = run(&bytes[..bytes.len() - cut]).expect_err("truncated png must fail");
        assert!(
            matches!(err, ImagingError::Truncated | ImagingError::Corrupt(_)),
            "cut {cut}: {err:?}"
        );
    }
}

#[test]
fn corrupt_data_is_reported() {
    let mut bytes = encode(
        &DynamicImage::ImageRgba8(quadrants(64, 48)),
        ImageFormat::Png,
    );
    let idat = bytes
        .windows(4)
        .position(|w| w == b"IDAT")
        .expect("has IDAT");
    for b in &mut bytes[idat + 8..idat + 40] {
        *b ^= 0x5A;
    }
    let err = run(&bytes).expect_err("corrupt png must fail");
    assert!(matches!(err, ImagingError::Corrupt(_)), "{err:?}");
}

#[test]
fn header_claiming_huge_dimensions_fails_in_probe() {
    let mut png = png_start(100_000, 100_000, 2);
    push_chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    push_chunk(&mut png, b"IEND", &[]);
    let err = probe(&png, &Limits::default()).expect_err("too many pixels");
    assert!(
        matches!(
            err,
            ImagingError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                limit: 50_000_000
            }
        ),
        "{err:?}"
    );
    assert!(matches!(run(&png), Err(ImagingError::TooManyPixels { .. })));
}

/// The header details a generic size reader (the `imagesize` crate, say)
/// skips: VP8's upscaling bits above its 14-bit sizes, VP8 and VP8L
/// signatures, a PNG whose first chunk is not IHDR, JPEG fill bytes and
/// TEM markers before the frame header.
#[test]
fn headers_are_read_to_the_letter() {
    let dims = |b: &[u8]| probe(b, &Limits::default()).map(|p| (p.width, p.height));
    // Key frame tag, start code, then 48 | 1 << 14 wide and 32 | 2 << 14 high.
    let vp8 = |start: [u8; 3]| {
        let frame = [&[0x50, 0x01, 0x00][..], &start, &[48, 0x40, 32, 0x80]].concat();
        riff_webp(&[(b"VP8 ", &frame)])
    };
    assert_eq!(dims(&vp8([0x9D, 0x01, 0x2A])).ok(), Some((48, 32)));
    assert!(matches!(dims(&vp8([0; 3])), Err(ImagingError::Corrupt(_))));
    let mut lossless = vp8l(&quadrants(48, 32));
    assert_eq!(
        dims(&riff_webp(&[(b"VP8L", &lossless)])).ok(),
        Some((48, 32))
    );
    lossless[0] = 0;
    let unsigned = riff_webp(&[(b"VP8L", &lossless)]);
    assert!(matches!(dims(&unsigned), Err(ImagingError::Corrupt(_))));

    let mut png = png_start(48, 32, 2);
    push_chunk(&mut png, b"IEND", &[]);
    assert_eq!(dims(&png).ok(), Some((48, 32)));
    png[12..16].copy_from_slice(b"IHDX");
    assert!(matches!(dims(&png), Err(ImagingError::Corrupt(_))));

    let photo = jpeg(&DynamicImage::ImageRgba8(quadrants(48, 32)), 90);
    for extra in [&[0xFF][..], &[0xFF, 0x01], &[0xFF, 0xD0, 0xFF, 0xFF]] {
        let marked = [&photo[..2], extra, &photo[2..]].concat();
        assert_eq!(dims(&marked).ok(), Some((48, 32)), "{extra:02X?}");
    }
}

#[test]
fn decompression_bombs_are_refused_before_decoding() {
    // 20000x20000 greyscale zeros: 400 MB of pixels in ~2.5 MB.
    let bomb = png_of_zeros(20_000, 20_000);
    assert!(bomb.len() < 4 * 1024 * 1024, "{} bytes", bomb.len());
    assert!(matches!(
        run(&bomb),
        Err(ImagingError::TooManyPixels { .. })
    ));

    // With the pixel limit lifted, the allocation limit still stops it.
    let limits = Limits {
        max_pixels: u64::MAX,
        max_alloc: 64 * 1024 * 1024,
        ..Limits::default()
    };
    let err = process(&bomb, &thumb(), &limits).expect_err("alloc limit");
    assert!(matches!(err, ImagingError::LimitExceeded(_)), "{err:?}");
    assert_eq!(err.code(), "limit_exceeded");

    // The generator makes real PNGs: a small one decodes to black.
    let small = png_of_zeros(300, 200);
    let out = process(
        &small,
        &[variant(30, 20, Fit::Fill, Format::Png, true)],
        &Limits::default(),
    )
    .expect("small zeros decode");
    assert_eq!((out[0].width, out[0].height), (30, 20));
}

#[test]
fn input_over_the_byte_limit() {
    let bytes = encode(
        &DynamicImage::ImageRgba8(quadrants(64, 48)),
        ImageFormat::Png,
    );
    let limits = Limits {
        max_input_bytes: bytes.len() - 1,
        ..Limits::default()
    };
    let err = process(&bytes, &thumb(), &limits).expect_err("too large");
    assert!(matches!(err, ImagingError::TooLarge { limit, .. } if limit == bytes.len() - 1));
    assert_eq!(err.code(), "input_too_large");
}

#[test]
fn huge_outputs_are_refused() {
    let bytes = encode(
        &DynamicImage::ImageRgba8(quadrants(2, 200)),
        ImageFormat::Png,
    );
    let v = [variant(8192, 8192, Fit::Outside, Format::Png, false)];
    let err = process(&bytes, &v, &Limits::default()).expect_err("output limit");
    assert!(matches!(err, ImagingError::LimitExceeded(_)), "{err:?}");
}

#[test]
fn forty_nine_megapixels_decode_under_default_limits() {
    let (w, h) = (7000u32, 7000u32);
    let row: Vec<u8> = (0..w).flat_map(|x| [(x / 28) as u8, 90, 200]).collect();
    let raw = row.repeat(h as usize);
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, FilterType::Sub)
        .write_image(&raw, w, h, image::ExtendedColorType::Rgb8)
        .expect("encode 49 MP");
    drop(raw);
    let variants = [
        variant(300, 300, Fit::Cover, Format::Jpeg, true),
        variant(1024, 1024, Fit::Inside, Format::Webp, true),
    ];
    let out = process(&bytes, &variants, &Limits::default()).expect("49 MP decodes");
    assert_eq!((out[0].width, out[0].height), (300, 300));
    assert_eq!((out[1].width, out[1].height), (1024, 1024));
}

/// ~200 garbage, mutated and truncated inputs: every call must return.
/// `PIXPIPE_FUZZ_CASES` raises the count for a longer local run.
#[test]
fn garbage_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let img = DynamicImage::ImageRgba8(quadrants(24, 16));
    let seeds = [
        jpeg(&img, 80),
        encode(&img, ImageFormat::Png),
        encode(&img, ImageFormat::Gif),
        encode(&img, ImageFormat::WebP),
        crate::common::with_exif_orientation(&jpeg(&img, 80), 6),
    ];
    let prefixes: [&[u8]; 6] = [
        b"\xFF\xD8\xFF",
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"RIFF\0\0\0\0WEBPVP8 ",
        b"RIFF\x40\0\0\0WEBPVP8L",
        b"RIFF\x40\0\0\0WEBPVP8X",
    ];
    let variants = [
        variant(8, 8, Fit::Cover, Format::Jpeg, true),
        variant(8, 8, Fit::Contain, Format::Webp, false),
    ];
    let limits = Limits::default();
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let cases = std::env::var("PIXPIPE_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200usize);
    for i in 0..cases {
        let input = match i % 4 {
            0 => {
                let len = rng.below(300);
                rng.bytes(len)
            }
            1 => {
                let prefix = prefixes[rng.below(prefixes.len())];
                let len = rng.below(200);
                [prefix, &rng.bytes(len)].concat()
            }
            2 => {
                let seed = &seeds[rng.below(seeds.len())];
                seed[..rng.below(seed.len())].to_vec()
            }
            _ => {
                let mut seed = seeds[rng.below(seeds.len())].clone();
                for _ in 0..1 + rng.below(6) {
                    let at = rng.below(seed.len());
                    seed[at] = rng.next() as u8;
                }
                seed
            }
        };
        inputs.push(input);
    }
    let mut failures = 0;
    for input in &inputs {
        let _ = sniff(input);
        let _ = probe(input, &limits);
        if process(input, &variants, &limits).is_err() {
            failures += 1;
        }
    }
    assert!(
        failures > 100,
        "most garbage must be refused ({failures} refused)"
    );
}
