//! Animated WebP canvases as browsers paint them: the canvas has the VP8X
//! size; the first frame sits at its ANMF offset; everything else is
//! transparent (the background colour when the output is JPEG) whatever the
//! VP8X alpha flag says and whatever background colour ANIM suggests; later
//! frames are ignored. Files are written here as RIFF (frames encoded by the
//! `image` crate, or by the engine itself for lossy frames with alpha), and
//! one is made by Debian's `webpmux` and `cwebp` (package `webp`).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{close, decode, quadrants, riff_chunks, riff_webp, variant, vp8l, vp8x};
use image::{Rgba, RgbaImage};
use pixpipe_imaging::{Fit, Format, ImagingError, Limits, probe, process};

const RED: [u8; 4] = [220, 30, 30, 255];
const GREEN: [u8; 4] = [30, 200, 30, 255];
const BLUE: [u8; 4] = [30, 30, 220, 255];
const YELLOW: [u8; 4] = [230, 230, 40, 255];
const WHITE: [u8; 4] = [255, 255, 255, 255];
/// VP8X flags.
const ALPHA: u8 = 0x10;
const ANIMATION: u8 = 0x02;

/// An ANMF payload: frame at (`x`, `y`) (even), `w`x`h`, holding `chunks`.
fn anmf(x: u32, y: u32, (w, h): (u32, u32), chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [x / 2, y / 2, w - 1, h - 1, 100] {
        out.extend_from_slice(&v.to_le_bytes()[..3]);
    }
    out.push(0); // blend, no disposal
    for (kind, body) in chunks {
        crate::common::push_riff_chunk(&mut out, kind, body);
    }
    out
}

/// ANIM: an opaque red background colour (stored B, G, R, A) that browsers
/// ignore, looping forever.
const ANIM: [u8; 6] = [0, 0, 255, 255, 0, 0];

/// A 64x48 animation: `first` at (16, 12), then a blue frame over it all.
fn animation(flags: u8, first: &[u8]) -> Vec<u8> {
    let blue = vp8l(&RgbaImage::from_pixel(64, 48, Rgba(BLUE)));
    riff_webp(&[
        (b"VP8X", &vp8x(flags | ANIMATION, 64, 48)),
        (b"ANIM", &ANIM),
        (b"ANMF", first),
        (b"ANMF", &anmf(0, 0, (64, 48), &[(b"VP8L", &blue)])),
    ])
}

/// PNG and JPEG outputs of the whole canvas at its own size.
fn png_and_jpeg(bytes: &[u8]) -> (RgbaImage, RgbaImage) {
    let p = probe(bytes, &Limits::default()).expect("probe");
    assert_eq!((p.width, p.height), (64, 48), "the probe gives the canvas");
    let asked = [
        variant(1000, 1000, Fit::Inside, Format::Png, true),
        variant(1000, 1000, Fit::Inside, Format::Jpeg, true),
    ];
    let out = process(bytes, &asked, &Limits::default()).expect("process");
    (decode(&out[0]), decode(&out[1]))
}

/// The 32x24 quadrants at (16, 12), transparent around them in `png` and
/// white around them in `jpeg`.
fn assert_first_frame_on_clear_canvas(png: &RgbaImage, jpeg: &RgbaImage, tolerance: u8) {
    assert_eq!(png.dimensions(), (64, 48));
    for (x, y, colour) in [
        (24, 18, RED),
        (40, 18, GREEN),
        (24, 30, BLUE),
        (40, 30, YELLOW),
    ] {
        let px = *png.get_pixel(x, y);
        assert!(close(px, colour, tolerance), "({x}, {y}): {px:?}");
        let px = *jpeg.get_pixel(x, y);
        assert!(
            close(px, colour, tolerance.max(12)),
            "jpeg ({x}, {y}): {px:?}"
        );
    }
    for (x, y) in [(0, 0), (63, 47), (8, 24), (56, 24), (32, 4), (32, 42)] {
        assert_eq!(
            png.get_pixel(x, y).0[3],
            0,
            "({x}, {y}) is outside the frame"
        );
    }
    for (x, y) in [(4, 4), (60, 44), (32, 2)] {
        let px = *jpeg.get_pixel(x, y);
        assert!(close(px, WHITE, 12), "jpeg ({x}, {y}): {px:?}");
    }
}

#[test]
fn lossless_first_frame_is_placed_on_a_clear_canvas_whatever_the_alpha_flag() {
    let first = anmf(16, 12, (32, 24), &[(b"VP8L", &vp8l(&quadrants(32, 24)))]);
    for flags in [0, ALPHA] {
        let (png, jpeg) = png_and_jpeg(&animation(flags, &first));
        assert_first_frame_on_clear_canvas(&png, &jpeg, 0);
    }
}

#[test]
fn lossy_first_frame_with_alpha_keeps_its_transparency() {
    // The engine's own lossy WebP of quadrants with a clear 4x4 corner:
    // VP8X + ALPH + VP8, repackaged as the first frame.
    let mut img = quadrants(32, 24);
    for y in 0..4 {
        for x in 0..4 {
            img.put_pixel(x, y, Rgba([0, 0, 0, 0]));
        }
    }
    let png = crate::common::encode(&img.into(), image::ImageFormat::Png);
    let lossy = process(
        &png,
        &[variant(32, 24, Fit::Fill, Format::Webp, true)],
        &Limits::default(),
    )
    .expect("lossy webp");
    let chunks = riff_chunks(&lossy[0].bytes);
    let find = |kind: &[u8; 4]| {
        chunks
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, body)| body.clone())
            .unwrap_or_else(|| panic!("{kind:?} in the engine's lossy WebP"))
    };
    let (alph, vp8) = (find(b"ALPH"), find(b"VP8 "));
    let first = anmf(16, 12, (32, 24), &[(b"ALPH", &alph), (b"VP8 ", &vp8)]);
    for flags in [0, ALPHA] {
        let (png, jpeg) = png_and_jpeg(&animation(flags, &first));
        assert_first_frame_on_clear_canvas(&png, &jpeg, 12);
        assert_eq!(png.get_pixel(17, 13).0[3], 0, "the frame's clear corner");
    }
}

#[test]
fn a_webpmux_animation_is_painted_like_browsers() {
    let dir = std::env::temp_dir().join(format!("pixpipe-webp-canvas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let run = |program: &str, args: &[&str]| {
        let status = Command::new(program)
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status()
            .unwrap_or_else(|e| {
                panic!("{program} is needed (Debian package `webp`): {e}");
            });
        assert!(status.success(), "{program} {args:?}");
    };
    let ppm = |path: &Path, img: &RgbaImage| {
        let mut data = format!("P6\n{} {}\n255\n", img.width(), img.height()).into_bytes();
        data.extend(img.pixels().flat_map(|p| p.0[..3].to_vec()));
        std::fs::write(path, data).expect("ppm");
    };
    ppm(&dir.join("first.ppm"), &quadrants(32, 24));
    ppm(
        &dir.join("blue.ppm"),
        &RgbaImage::from_pixel(64, 48, Rgba(BLUE)),
    );
    run(
        "cwebp",
        &["-quiet", "-q", "95", "first.ppm", "-o", "first.webp"],
    );
    run(
        "cwebp",
        &["-quiet", "-q", "95", "blue.ppm", "-o", "blue.webp"],
    );
    // Lossy frames without alpha: webpmux leaves the VP8X alpha flag off.
    run(
        "webpmux",
        &[
            "-frame",
            "first.webp",
            "+100+16+12",
            "-frame",
            "blue.webp",
            "+100+0+0",
            "-bgcolor",
            "255,255,0,0",
            "-loop",
            "0",
            "-o",
            "anim.webp",
        ],
    );
    let bytes = std::fs::read(dir.join("anim.webp")).expect("anim.webp");
    std::fs::remove_dir_all(&dir).ok();
    let flags = riff_chunks(&bytes)[0].1[0];
    assert_eq!(flags & (ALPHA | ANIMATION), ANIMATION, "no alpha flag");
    let (png, jpeg) = png_and_jpeg(&bytes);
    assert_first_frame_on_clear_canvas(&png, &jpeg, 12);
}

#[test]
fn a_first_frame_outside_the_canvas_is_corrupt() {
    let first = anmf(40, 12, (32, 24), &[(b"VP8L", &vp8l(&quadrants(32, 24)))]);
    let err = process(
        &animation(0, &first),
        &[variant(8, 8, Fit::Fill, Format::Png, true)],
        &Limits::default(),
    );
    assert!(matches!(err, Err(ImagingError::Corrupt(_))), "{err:?}");
}

#[test]
fn the_canvas_counts_against_the_memory_limit() {
    let first = anmf(0, 0, (2, 2), &[(b"VP8L", &vp8l(&quadrants(2, 2)))]);
    let limits = Limits {
        max_alloc: 64 * 48 * 4,
        ..Limits::default()
    };
    let err = process(
        &animation(0, &first),
        &[variant(8, 8, Fit::Fill, Format::Png, true)],
        &limits,
    );
    assert!(
        matches!(err, Err(ImagingError::LimitExceeded(_))),
        "{err:?}"
    );
}

#[test]
fn an_exif_chunk_after_the_frames_orients_the_canvas() {
    let first = anmf(16, 12, (32, 24), &[(b"VP8L", &vp8l(&quadrants(32, 24)))]);
    let mut bytes = animation(0x08, &first);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(crate::common::orientation_tiff(6, false));
    crate::common::push_riff_chunk(&mut bytes, b"EXIF", &exif);
    let len = u32::try_from(bytes.len() - 8).expect("small");
    bytes[4..8].copy_from_slice(&len.to_le_bytes());
    let out = process(
        &bytes,
        &[variant(1000, 1000, Fit::Inside, Format::Png, true)],
        &Limits::default(),
    )
    .expect("process");
    let img = decode(&out[0]);
    // Orientation 6 turns the stored canvas 90° clockwise: the stored
    // top-left red quadrant ends up top-right.
    assert_eq!(img.dimensions(), (48, 64));
    assert!(
        close(*img.get_pixel(29, 24), RED, 0),
        "{:?}",
        img.get_pixel(29, 24)
    );
    assert_eq!(img.get_pixel(2, 2).0[3], 0);
}

#[test]
fn an_animation_without_frames_is_corrupt() {
    let bytes = riff_webp(&[(b"VP8X", &vp8x(ANIMATION, 64, 48)), (b"ANIM", &ANIM)]);
    let err = process(
        &bytes,
        &[variant(8, 8, Fit::Fill, Format::Png, true)],
        &Limits::default(),
    );
    assert!(matches!(err, Err(ImagingError::Corrupt(_))), "{err:?}");
}
