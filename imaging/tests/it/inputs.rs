//! Source variants not covered elsewhere: progressive and greyscale JPEG,
//! palette PNG with transparency, grey+alpha PNG, and AVIF/HEIC refused
//! with `unsupported_format` naming the format.

use crate::common::{decode, png_start, push_chunk, variant, zlib_stored};
use jpeg_encoder::{ColorType, Encoder};
use pixpipe_imaging::{Fit, Format, Limits, process};

fn run(bytes: &[u8], w: u32, h: u32) -> image::RgbaImage {
    let v = variant(w, h, Fit::Fill, Format::Png, true);
    decode(&process(bytes, &[v], &Limits::default()).expect("process")[0])
}

#[test]
fn progressive_and_greyscale_jpegs() {
    let (w, h) = (32u16, 16u16);
    let rgb: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| {
            if i % 32 < 16 {
                [200, 40, 40]
            } else {
                [40, 40, 200]
            }
        })
        .collect();
    let mut bytes = Vec::new();
    let mut enc = Encoder::new(&mut bytes, 95);
    enc.set_progressive(true);
    enc.encode(&rgb, w, h, ColorType::Rgb).expect("encode");
    let img = run(&bytes, 32, 16);
    let (l, r) = (img.get_pixel(4, 8).0, img.get_pixel(28, 8).0);
    assert!(l[0] > 180 && l[2] < 60, "left {l:?}");
    assert!(r[2] > 180 && r[0] < 60, "right {r:?}");

    let grey: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .map(|i| if i % 32 < 16 { 30 } else { 220 })
        .collect();
    let mut bytes = Vec::new();
    Encoder::new(&mut bytes, 95)
        .encode(&grey, w, h, ColorType::Luma)
        .expect("encode");
    let img = run(&bytes, 32, 16);
    for (x, want) in [(4, 30u8), (28, 220)] {
        let p = img.get_pixel(x, 8).0;
        assert!(p[..3].iter().all(|&c| c.abs_diff(want) <= 3), "{p:?}");
    }
}

#[test]
fn palette_png_with_transparency_and_grey_alpha_png() {
    // 4x2 palette image: index 0 red, 1 half-transparent green, 2 clear.
    let mut png = png_start(4, 2, 3);
    push_chunk(&mut png, b"PLTE", &[255, 0, 0, 0, 255, 0, 0, 0, 255]);
    push_chunk(&mut png, b"tRNS", &[255, 128, 0]);
    let rows = [0u8, 0, 1, 2, 2, 0, 0, 1, 2, 2];
    push_chunk(&mut png, b"IDAT", &zlib_stored(&rows));
    push_chunk(&mut png, b"IEND", &[]);
    let img = run(&png, 4, 2);
    assert_eq!(img.get_pixel(0, 0).0, [255, 0, 0, 255]);
    assert_eq!(img.get_pixel(1, 1).0, [0, 255, 0, 128]);
    assert_eq!(img.get_pixel(3, 0).0[3], 0);

    // Grey+alpha: 2x1, grey 100 opaque and grey 200 at alpha 64.
    let mut png = png_start(2, 1, 4);
    push_chunk(&mut png, b"IDAT", &zlib_stored(&[0, 100, 255, 200, 64]));
    push_chunk(&mut png, b"IEND", &[]);
    let img = run(&png, 2, 1);
    assert_eq!(img.get_pixel(0, 0).0, [100, 100, 100, 255]);
    let p = img.get_pixel(1, 0).0;
    assert_eq!(p[3], 64);
    assert!(p[..3].iter().all(|&c| c.abs_diff(200) <= 2), "{p:?}");
}

#[test]
fn avif_is_refused_by_name_and_bare_heic_headers_are_short() {
    let v = || variant(10, 10, Fit::Cover, Format::Jpeg, true);
    let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf\0\0\0\0";
    let err = process(avif, &[v()], &Limits::default()).expect_err("refused");
    assert_eq!(err.code(), "unsupported_format");
    assert!(err.to_string().contains("avif"), "{err} names avif");
    // HEIC is read: a file of nothing but its `ftyp` box is short.
    for bare in [
        &b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0"[..],
        &b"\0\0\0\x18ftypmif1\0\0\0\0mif1heix\0\0\0\0"[..],
    ] {
        let err = process(bare, &[v()], &Limits::default()).expect_err("no image");
        assert!(
            matches!(err.code(), "truncated_image" | "corrupt_image"),
            "{err}"
        );
    }
}
