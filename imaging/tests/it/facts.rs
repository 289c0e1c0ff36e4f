//! The source's facts reported by `make`: every field of `SourceFacts` on
//! inputs that exercise it (orientation and upright size, alpha, frames of
//! GIF and WebP animations, the ICC profile's description in JPEG, PNG, WebP
//! and HEIC, and the metadata each container carries).

use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};
use moxcms::{ColorProfile, ProfileText};
use pixpipe_imaging::{Fit, Format, Limits, Metadata, SourceFacts, SourceFormat, Variant, make};
use pixpipe_testphotos::Photo;

use crate::common::{
    encode, jpeg, png_with_exif, push_chunk, riff_webp, vp8l, vp8x, webp_with_exif, zlib_stored,
};

/// The facts `make` reports for `bytes`, made into one small PNG.
fn facts(bytes: &[u8]) -> SourceFacts {
    let variant = Variant::new(32, 32, Fit::Inside, Format::Png);
    let made = make(bytes, &[variant], &Limits::default(), None).expect("make");
    assert_eq!(made.outputs.len(), 1);
    made.source
}

/// What every field is expected to be, for an upright still `w`x`h` image
/// without alpha, profile or metadata; tests change what they exercise.
fn plain(format: SourceFormat, (width, height): (u32, u32), bytes: &[u8]) -> SourceFacts {
    SourceFacts {
        format,
        width,
        height,
        has_alpha: false,
        frames: 1,
        icc_profile: None,
        orientation: 1,
        bytes: bytes.len() as u64,
        metadata_removed: Vec::new(),
    }
}

/// An ICC profile (Display P3 colorants) whose description is `text`.
fn profile(text: &str) -> Vec<u8> {
    let mut p = ColorProfile::new_display_p3();
    p.description = Some(ProfileText::PlainString(text.to_owned()));
    p.encode().expect("encode profile")
}

fn picture(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| Rgba([(x * 7) as u8, (y * 5) as u8, 90, 255]))
}

/// A JPEG segment.
fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(
        &u16::try_from(payload.len() + 2)
            .expect("small")
            .to_be_bytes(),
    );
    s.extend_from_slice(payload);
    s
}

/// `jpeg` with `segments` inserted right after SOI.
fn with_segments(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    [&jpeg[..2], &segments.concat(), &jpeg[2..]].concat()
}

/// `png` with `chunks` inserted right after its IHDR.
fn with_chunks(png: &[u8], chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let ihdr_end = 8 + 12 + 13;
    let mut out = png[..ihdr_end].to_vec();
    for (kind, body) in chunks {
        push_chunk(&mut out, kind, body);
    }
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

#[test]
fn a_rotated_jpeg_is_reported_upright() {
    let bytes = Photo::Rotated.bytes();
    let expected = SourceFacts {
        orientation: 6,
        metadata_removed: vec![Metadata::Exif],
        ..plain(SourceFormat::Jpeg, (2448, 3264), bytes)
    };
    assert_eq!(facts(bytes), expected);
}

#[test]
fn alpha_counts_only_when_a_pixel_is_not_opaque() {
    let bytes = Photo::Alpha.bytes();
    let expected = SourceFacts {
        has_alpha: true,
        ..plain(SourceFormat::Png, (1920, 1200), bytes)
    };
    assert_eq!(facts(bytes), expected);

    // RGBA, opaque everywhere, with a tEXt comment.
    let rgba = encode(&DynamicImage::ImageRgba8(picture(40, 30)), ImageFormat::Png);
    assert_eq!(rgba[8 + 8 + 9], 6, "colour type RGBA");
    let bytes = with_chunks(&rgba, &[(b"tEXt", b"Comment\0made for a test")]);
    let expected = SourceFacts {
        metadata_removed: vec![Metadata::Comment],
        ..plain(SourceFormat::Png, (40, 30), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
}

#[test]
fn an_animated_gif_counts_its_frames() {
    let gif = pixpipe_testphotos::tagged::animated_gif(20, 10, 3);
    let expected = plain(SourceFormat::Gif, (20, 10), &gif);
    assert_eq!(
        facts(&gif),
        SourceFacts {
            frames: 3,
            ..expected
        }
    );

    // A comment extension before the first frame (after the global table).
    let at = 13 + 3 * 256;
    assert_eq!(gif[at], 0x21, "an extension follows the table");
    let comment = b"\x21\xFE\x04test\0";
    let bytes = [&gif[..at], comment, &gif[at..]].concat();
    let expected = SourceFacts {
        frames: 3,
        metadata_removed: vec![Metadata::Comment],
        ..plain(SourceFormat::Gif, (20, 10), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
}

/// An ANMF payload: a `w`x`h` frame at the origin holding `vp8l`.
fn anmf((w, h): (u32, u32), vp8l: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0, 0, w - 1, h - 1, 100] {
        out.extend_from_slice(&v.to_le_bytes()[..3]);
    }
    out.push(0);
    crate::common::push_riff_chunk(&mut out, b"VP8L", vp8l);
    out
}

#[test]
fn an_animated_webp_counts_its_frames_and_names_its_profile() {
    let frames: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            anmf(
                (24, 16),
                &vp8l(&RgbaImage::from_pixel(24, 16, Rgba([80 * i, 40, 200, 255]))),
            )
        })
        .collect();
    let icc = profile("Wide Gamut WebP");
    // VP8X: ICC, XMP and animation flags.
    let bytes = riff_webp(&[
        (b"VP8X", &vp8x(0x20 | 0x04 | 0x02, 24, 16)),
        (b"ICCP", &icc),
        (b"ANIM", &[0, 0, 0, 0, 0, 0]),
        (b"ANMF", &frames[0]),
        (b"ANMF", &frames[1]),
        (b"ANMF", &frames[2]),
        (b"XMP ", b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"),
    ]);
    let expected = SourceFacts {
        frames: 3,
        icc_profile: Some("Wide Gamut WebP".into()),
        metadata_removed: vec![Metadata::Xmp],
        ..plain(SourceFormat::Webp, (24, 16), &bytes)
    };
    assert_eq!(facts(&bytes), expected);

    // A still WebP: one frame, whatever else it holds.
    let still = Photo::Webp.bytes();
    assert_eq!(facts(still), plain(SourceFormat::Webp, (3088, 2056), still));
}

#[test]
fn the_icc_profile_of_a_jpeg_is_named() {
    let bytes = Photo::Rocket.bytes();
    let got = facts(bytes);
    let name = got.icc_profile.clone().expect("a profile");
    assert!(name.contains("Adobe RGB"), "{name}");
    let expected = SourceFacts {
        icc_profile: Some(name),
        // The file has a COM segment.
        metadata_removed: vec![Metadata::Comment],
        ..plain(SourceFormat::Jpeg, (640, 427), bytes)
    };
    assert_eq!(got, expected);
}

#[test]
fn the_icc_profile_of_a_png_is_named() {
    let png = encode(&DynamicImage::ImageRgba8(picture(30, 20)), ImageFormat::Png);
    let iccp = [&b"P3\0\0"[..], &zlib_stored(&profile("Display P3 (test)"))].concat();
    let bytes = with_chunks(&png, &[(b"iCCP", &iccp)]);
    let expected = SourceFacts {
        icc_profile: Some("Display P3 (test)".into()),
        ..plain(SourceFormat::Png, (30, 20), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
}

#[test]
fn gps_and_serial_numbers_are_found_in_the_exif_block() {
    let small = jpeg(&DynamicImage::ImageRgba8(picture(30, 20)), 90);
    let app1 = segment(
        0xE1,
        &[
            &b"Exif\0\0"[..],
            &pixpipe_testphotos::tagged::gps_and_serial_tiff(),
        ]
        .concat(),
    );
    let bytes = with_segments(&small, &[app1]);
    let expected = SourceFacts {
        metadata_removed: vec![Metadata::Exif, Metadata::Gps, Metadata::SerialNumbers],
        ..plain(SourceFormat::Jpeg, (30, 20), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
}

#[test]
fn gps_and_serial_numbers_are_found_in_png_and_webp_exif() {
    let img = picture(30, 20);
    let all = vec![Metadata::Exif, Metadata::Gps, Metadata::SerialNumbers];
    let png = encode(&DynamicImage::ImageRgba8(img.clone()), ImageFormat::Png);
    let bytes = png_with_exif(&png, &pixpipe_testphotos::tagged::gps_and_serial_tiff());
    let expected = SourceFacts {
        metadata_removed: all.clone(),
        ..plain(SourceFormat::Png, (30, 20), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
    let bytes = webp_with_exif(&img, &pixpipe_testphotos::tagged::gps_and_serial_tiff());
    let expected = SourceFacts {
        metadata_removed: all,
        ..plain(SourceFormat::Webp, (30, 20), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
}

#[test]
fn an_animated_png_counts_its_frames() {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, 16, 8);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_animated(3, 0).expect("animated");
        let mut writer = encoder.write_header().expect("header");
        for i in 0..3u8 {
            writer
                .write_image_data(&vec![i * 60; 16 * 8 * 3])
                .expect("frame");
        }
        writer.finish().expect("finish");
    }
    let expected = SourceFacts {
        frames: 3,
        ..plain(SourceFormat::Png, (16, 8), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
}

#[test]
fn xmp_iptc_and_comments_of_a_jpeg_are_found() {
    let small = jpeg(&DynamicImage::ImageRgba8(picture(30, 20)), 90);
    let segments = [
        segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"),
        segment(
            0xED,
            b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x04\x1c\x02\x00\x00",
        ),
        segment(0xFE, b"a comment"),
    ];
    let bytes = with_segments(&small, &segments);
    let expected = SourceFacts {
        metadata_removed: vec![Metadata::Xmp, Metadata::Iptc, Metadata::Comment],
        ..plain(SourceFormat::Jpeg, (30, 20), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
    // Without them, nothing.
    assert_eq!(facts(&small), plain(SourceFormat::Jpeg, (30, 20), &small));
}

#[test]
fn the_icc_profile_of_a_heic_is_named() {
    let img = picture(64, 48);
    let options = heifer::EncodeOptions {
        quality: 60,
        max_threads: 1,
    };
    let heic = heifer::encode_rgba8(64, 48, img.as_raw(), &options).expect("encode");
    assert_eq!(facts(&heic), plain(SourceFormat::Heic, (64, 48), &heic));
    let icc = profile("Display P3 (HEIC)");
    let mut colr = u32::try_from(icc.len() + 12)
        .expect("small")
        .to_be_bytes()
        .to_vec();
    colr.extend_from_slice(b"colrprof");
    colr.extend_from_slice(&icc);
    let bytes = crate::heic::boxes::with_property(&heic, &colr);
    let expected = SourceFacts {
        icc_profile: Some("Display P3 (HEIC)".into()),
        ..plain(SourceFormat::Heic, (64, 48), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
}

#[test]
fn heic_metadata_and_profile_written_by_libheif_are_found() {
    // heif-enc copies a JPEG's EXIF and XMP into items and its profile
    // into a `colr` box of the primary image.
    let small = jpeg(&DynamicImage::ImageRgba8(picture(64, 48)), 90);
    let icc = profile("Display P3 (libheif)");
    let segments = [
        segment(
            0xE1,
            &[
                &b"Exif\0\0"[..],
                &pixpipe_testphotos::tagged::gps_and_serial_tiff(),
            ]
            .concat(),
        ),
        segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'/>",
        ),
        segment(0xE2, &[&b"ICC_PROFILE\0\x01\x01"[..], &icc].concat()),
    ];
    let source = with_segments(&small, &segments);
    let bytes = crate::heic::tools::heif_enc_jpeg(&source, &["-q", "60"]);
    let expected = SourceFacts {
        icc_profile: Some("Display P3 (libheif)".into()),
        metadata_removed: vec![
            Metadata::Exif,
            Metadata::Gps,
            Metadata::SerialNumbers,
            Metadata::Xmp,
        ],
        ..plain(SourceFormat::Heic, (64, 48), &bytes)
    };
    assert_eq!(facts(&bytes), expected);
}
