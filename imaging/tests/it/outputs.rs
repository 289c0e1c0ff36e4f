//! Encoder options: progressive JPEG, lossless WebP, and metadata: nothing
//! kept by default, only Copyright and Artist with `keep_copyright`.

use crate::common::{close, decode, encode, jpeg, variant};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use pixpipe_imaging::{Fit, Format, Limits, Variant, process};

fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x * 7 + y * 13) % 256) as u8,
        ])
    })
}

fn has(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn progressive_jpeg_decodes_like_baseline() {
    let bytes = encode(&DynamicImage::ImageRgb8(photo(320, 240)), ImageFormat::Png);
    let base = variant(160, 120, Fit::Fill, Format::Jpeg, true);
    let prog = Variant {
        progressive: true,
        ..base
    };
    let out = process(&bytes, &[base, prog], &Limits::default()).expect("process");
    assert!(has(&out[0].bytes, &[0xFF, 0xC0]) && !has(&out[0].bytes, &[0xFF, 0xC2]));
    assert!(has(&out[1].bytes, &[0xFF, 0xC2]), "SOF2 marker");
    let (a, b) = (decode(&out[0]), decode(&out[1]));
    for (x, y) in [(5, 5), (80, 60), (150, 110), (17, 99)] {
        let (pa, pb) = (*a.get_pixel(x, y), *b.get_pixel(x, y));
        assert!(close(pa, pb.0, 8), "({x},{y}): {pa:?} vs {pb:?}");
    }
}

#[test]
fn lossless_webp_round_trips_exactly() {
    let src = photo(64, 48);
    let bytes = encode(&DynamicImage::ImageRgb8(src.clone()), ImageFormat::Png);
    let lossless = Variant {
        lossless: true,
        ..variant(64, 48, Fit::Fill, Format::Webp, true)
    };
    let lossy = variant(64, 48, Fit::Fill, Format::Webp, true);
    let out = process(&bytes, &[lossless, lossy], &Limits::default()).expect("process");
    let back = decode(&out[0]);
    for (p, q) in back.pixels().zip(src.pixels()) {
        assert_eq!(&p.0[..3], &q.0[..], "lossless");
    }
    let lossy = decode(&out[1]);
    assert!(
        lossy
            .pixels()
            .zip(src.pixels())
            .any(|(p, q)| p.0[..3] != q.0[..])
    );
}

/// A big-endian EXIF block: Orientation, ImageDescription, Artist,
/// Copyright and a GPS IFD with a latitude reference.
fn camera_exif() -> Vec<u8> {
    let texts: [(u16, &[u8]); 3] = [
        (0x010E, b"SECRET-PLACE\0"),
        (0x013B, b"Ada Lovelace\0"),
        (0x8298, b"(c) 2024 Ada Lovelace\0"),
    ];
    let entries = 1 + texts.len() + 1;
    let ifd_len = 2 + entries * 12 + 4;
    let mut data_at = 8 + ifd_len;
    let mut t = b"MM\0*\0\0\0\x08".to_vec();
    let mut data = Vec::new();
    t.extend((entries as u16).to_be_bytes());
    t.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0]);
    for (tag, text) in texts {
        t.extend(tag.to_be_bytes());
        t.extend(2u16.to_be_bytes());
        t.extend((text.len() as u32).to_be_bytes());
        t.extend((data_at as u32).to_be_bytes());
        data_at += text.len();
        data.extend_from_slice(text);
    }
    // GPS IFD pointer, then the GPS IFD after the strings.
    t.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1]);
    t.extend((data_at as u32).to_be_bytes());
    t.extend(0u32.to_be_bytes());
    t.extend(data);
    t.extend([0, 1, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0, 0, 0, 0, 0]);
    t
}

fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn metadata_is_stripped_unless_copyright_is_kept() {
    let source = with_exif(
        &jpeg(&DynamicImage::ImageRgb8(photo(80, 60)), 90),
        &camera_exif(),
    );
    let formats = [Format::Jpeg, Format::Png, Format::Webp];
    let plain: Vec<_> = formats
        .iter()
        .map(|&f| variant(40, 30, Fit::Fill, f, true))
        .collect();
    for out in process(&source, &plain, &Limits::default()).expect("process") {
        decode(&out);
        for marker in [
            &b"Exif"[..],
            b"eXIf",
            b"EXIF",
            b"Ada",
            b"SECRET",
            b"MM\0*",
            b"II*\0",
        ] {
            assert!(!has(&out.bytes, marker), "{:?} has {marker:?}", out.format);
        }
    }
    let kept: Vec<_> = plain
        .iter()
        .map(|&v| Variant {
            keep_copyright: true,
            ..v
        })
        .collect();
    for out in process(&source, &kept, &Limits::default()).expect("process") {
        let img = decode(&out);
        assert_eq!(img.dimensions(), (40, 30));
        assert!(
            has(&out.bytes, b"(c) 2024 Ada Lovelace\0"),
            "{:?}",
            out.format
        );
        assert!(has(&out.bytes, b"Ada Lovelace\0"));
        assert!(!has(&out.bytes, b"SECRET"), "{:?}", out.format);
        // One IFD of exactly two entries, no GPS pointer.
        assert!(
            has(&out.bytes, b"II*\0\x08\0\0\0\x02\0"),
            "{:?}",
            out.format
        );
        assert!(!has(&out.bytes, &[0x25, 0x88]), "{:?}", out.format);
    }
    // The JPEG's EXIF is readable by a standard decoder.
    let jpeg_out = &process(&source, &kept[..1], &Limits::default()).expect("process")[0];
    let mut decoder =
        image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&jpeg_out.bytes)).expect("jpeg");
    let exif = image::ImageDecoder::exif_metadata(&mut decoder)
        .expect("exif")
        .expect("present");
    assert!(has(&exif, b"(c) 2024 Ada Lovelace"));
}

#[test]
fn keep_copyright_without_any_in_the_source_adds_nothing() {
    let source = jpeg(&DynamicImage::ImageRgb8(photo(40, 30)), 90);
    let v = Variant {
        keep_copyright: true,
        ..variant(20, 15, Fit::Fill, Format::Jpeg, true)
    };
    let out = process(&source, &[v], &Limits::default()).expect("process");
    assert!(!has(&out[0].bytes, b"Exif"));
}

#[test]
fn variants_encoded_on_several_threads_are_the_same_bytes_in_the_same_order() {
    let bytes = encode(&DynamicImage::ImageRgb8(photo(640, 480)), ImageFormat::Png);
    let asked = [
        variant(100, 100, Fit::Cover, Format::Jpeg, true),
        variant(320, 320, Fit::Inside, Format::Webp, true),
        variant(200, 0, Fit::Inside, Format::Png, true),
        variant(640, 640, Fit::Inside, Format::Jpeg, true),
    ];
    let on = |threads| {
        let limits = Limits {
            max_threads: threads,
            ..Limits::default()
        };
        process(&bytes, &asked, &limits).expect("process")
    };
    let one = on(1);
    assert_eq!(
        one.iter().map(|o| (o.format, o.width)).collect::<Vec<_>>(),
        [
            (Format::Jpeg, 100),
            (Format::Webp, 320),
            (Format::Png, 200),
            (Format::Jpeg, 640)
        ]
    );
    for threads in [2, 3, 8] {
        assert_eq!(on(threads), one, "{threads} threads");
    }
}
