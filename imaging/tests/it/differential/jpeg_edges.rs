//! JPEG streams that are not textbook files: bytes after EOI, a missing EOI,
//! a stream cut inside its scan, garbage inside the scan, an ICC profile split
//! over several APP2 segments, and CMYK/YCCK in the layouts `jpegtran` writes
//! (progressive, arithmetic, restart markers) — the baseline CMYK and YCCK
//! colours themselves are checked in `tests/cmyk.rs`.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use moxcms::ColorProfile;

use crate::colour_ref::{DISPLAY_P3, to_srgb8};
use crate::differential::jpeg::{BOUND, cjpeg, djpeg, sources};
use crate::differential::support::{Bound, Report, Scratch, pixpipe, run};

/// Offset just past the last SOS segment's header (where its entropy-coded
/// data begins), and the offset of the EOI marker.
fn scan_bounds(jpeg: &[u8]) -> (usize, usize) {
    let mut at = 2;
    let mut data;
    while at + 4 <= jpeg.len() {
        assert_eq!(jpeg[at], 0xFF, "marker expected at {at}");
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        at += 2 + len;
        if marker == 0xDA {
            data = at;
            // Skip entropy-coded data up to the next marker that is not a
            // stuffed byte or a restart marker.
            while !(jpeg[at] == 0xFF && jpeg[at + 1] != 0 && !(0xD0..=0xD7).contains(&jpeg[at + 1]))
            {
                at += 1;
            }
            if jpeg[at + 1] == 0xD9 {
                return (data, at);
            }
        }
    }
    panic!("no EOI found");
}

/// Inserts APP segments right after the APP0 (JFIF) segment.
fn insert_after_app0(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    assert_eq!(&jpeg[2..4], &[0xFF, 0xE0], "cjpeg writes JFIF first");
    let end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let mut out = jpeg[..end].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&jpeg[end..]);
    out
}

/// `icc` as `parts` APP2 `ICC_PROFILE` segments, numbered 1..=parts.
fn icc_segments(icc: &[u8], parts: usize) -> Vec<Vec<u8>> {
    icc.chunks(icc.len().div_ceil(parts))
        .enumerate()
        .map(|(i, chunk)| {
            let mut seg = vec![0xFF, 0xE2];
            let len = u16::try_from(2 + 12 + 2 + chunk.len()).expect("small");
            seg.extend_from_slice(&len.to_be_bytes());
            seg.extend_from_slice(b"ICC_PROFILE\0");
            seg.extend_from_slice(&[i as u8 + 1, parts as u8]);
            seg.extend_from_slice(chunk);
            seg
        })
        .collect()
}

#[test]
fn damaged_and_odd_jpeg_streams() {
    let dir = Scratch::new("jpeg-edges");
    let (ppm, _) = sources(&dir);
    let mut report = Report::default();
    for (name, args) in [
        ("baseline", vec!["-quality", "85"]),
        ("progressive", vec!["-progressive"]),
    ] {
        let jpeg = cjpeg(&dir, &args, &ppm);
        let reference = djpeg(&dir, name, &jpeg);
        let size = reference.dimensions();
        let (data, eoi) = scan_bounds(&jpeg);

        // Bytes after EOI (a trailer some cameras and editors append) are ignored.
        let mut trailing = jpeg.clone();
        trailing.extend_from_slice(b"\0\0trailer bytes after the end of image\xFF\xD8\xFF");
        let case = format!("{name} with bytes after EOI");
        report.compare(&case, pixpipe(&trailing, size), &reference, BOUND);

        // No EOI, but every scan complete: libjpeg decodes the whole picture
        // (with a warning), so must pixpipe.
        let case = format!("{name} without EOI");
        report.compare(&case, pixpipe(&jpeg[..eoi], size), &reference, BOUND);

        // Cut inside the (last) scan's data: the picture is incomplete.
        let cut = &jpeg[..data + (eoi - data) / 2];
        match pixpipe(cut, size) {
            Err(e) if e.code() == "truncated_image" => {}
            Err(e) => report.fail(
                &format!("{name} cut inside the scan"),
                format!("{} ({e}), want truncated_image", e.code()),
            ),
            Ok(_) => report.fail(
                &format!("{name} cut inside the scan"),
                "decoded, want truncated_image".into(),
            ),
        }

        // Garbage inside the scan (no marker bytes): either refused as
        // corrupt_image or decoded to a picture of the right size, as
        // libjpeg does (it warns and carries on). Never a panic, a hang or
        // another error.
        let mut garbage = jpeg.clone();
        let mid = data + (eoi - data) / 3;
        for (i, b) in garbage[mid..mid + 64].iter_mut().enumerate() {
            *b = if i % 2 == 0 { 0x5A } else { 0xA5 };
        }
        match pixpipe(&garbage, size) {
            Err(e) if e.code() == "corrupt_image" => {}
            Ok(img) if img.dimensions() == size => {}
            Ok(img) => report.fail(
                &format!("{name} with garbage in the scan"),
                format!("decoded at {:?}", img.dimensions()),
            ),
            Err(e) => report.fail(
                &format!("{name} with garbage in the scan"),
                format!("{} ({e}), want corrupt_image or a picture", e.code()),
            ),
        }
    }
    // Files whose cut no retry with an EOI can reveal: an arithmetic-coded
    // scan (its decoder reads a marker as zeros, silently), and a
    // progressive file cut cleanly between two scans (it would decode, only
    // coarser). Both must be refused as truncated, not published degraded.
    let arithmetic = cjpeg(&dir, &["-arithmetic"], &ppm);
    let (data, eoi) = scan_bounds(&arithmetic);
    let progressive = cjpeg(&dir, &["-progressive"], &ppm);
    let second = progressive
        .windows(2)
        .enumerate()
        .filter(|(_, w)| *w == [0xFF, 0xDA])
        .nth(1)
        .map(|(i, _)| i)
        .expect("a second scan");
    // A warning met while reading the header (an unknown JFIF version) is as
    // harmless there as anywhere: decoded like the original.
    let baseline = cjpeg(&dir, &["-quality", "85"], &ppm);
    let reference = djpeg(&dir, "jfif2", &baseline);
    let mut jfif2 = baseline.clone();
    assert_eq!(&jfif2[6..11], b"JFIF\0", "cjpeg writes JFIF first");
    jfif2[11] = 2;
    let size = reference.dimensions();
    report.compare(
        "JFIF version 2.01",
        pixpipe(&jfif2, size),
        &reference,
        BOUND,
    );
    for (case, cut) in [
        (
            "arithmetic cut inside the scan",
            &arithmetic[..data + (eoi - data) / 2],
        ),
        ("arithmetic without EOI", &arithmetic[..eoi]),
        ("progressive cut between scans", &progressive[..second]),
    ] {
        match pixpipe(cut, (1, 1)) {
            Err(e) if e.code() == "truncated_image" => {}
            other => report.fail(
                case,
                format!("{:?}, want truncated_image", other.map(|i| i.dimensions())),
            ),
        }
    }
    report.finish("damaged JPEG streams");
}

/// A Display P3 profile split over four APP2 segments of a cjpeg file: pixpipe
/// must reassemble it and convert to sRGB. Reference: djpeg's pixels (the
/// P3 values) through the matrix-and-curve maths of `colour_ref`. Bound: max
/// 2, mean 0.5 (the CMM's LUTs and the reference's exact maths round
/// differently by a level here and there); ignoring the profile is off by
/// tens of levels in the saturated bars.
#[test]
fn icc_profile_over_four_app2_segments_is_applied() {
    let dir = Scratch::new("jpeg-icc");
    let (ppm, _) = sources(&dir);
    let plain = cjpeg(&dir, &["-quality", "95", "-sample", "1x1"], &ppm);
    let icc = ColorProfile::new_display_p3().encode().expect("p3 profile");
    let tagged = insert_after_app0(&plain, &icc_segments(&icc, 4));
    let p3 = djpeg(&dir, "p3", &plain);
    let mut reference = p3.clone();
    for p in reference.pixels_mut() {
        let [r, g, b] = to_srgb8(
            &DISPLAY_P3,
            [p[0], p[1], p[2]].map(|v| f64::from(v) / 255.0),
        );
        p.0 = [r, g, b, 255];
    }
    let untransformed = crate::differential::support::Diff::between(&p3, &reference);
    assert!(
        untransformed.max[0] > 20,
        "the profile should matter: {untransformed}"
    );
    let mut report = Report::default();
    let bound = Bound::new(2, 0.5);
    // The transform alone, without any JPEG decoder: djpeg's pixels in a PNG
    // carrying the same profile.
    let mut png = Vec::new();
    let mut enc = image::codecs::png::PngEncoder::new(&mut png);
    image::ImageEncoder::set_icc_profile(&mut enc, icc.clone()).expect("iccp");
    let rgb = image::DynamicImage::ImageRgba8(p3.clone()).to_rgb8();
    image::ImageEncoder::write_image(
        enc,
        rgb.as_raw(),
        rgb.width(),
        rgb.height(),
        image::ExtendedColorType::Rgb8,
    )
    .expect("png");
    report.compare(
        "P3 PNG of djpeg's pixels",
        pixpipe(&png, p3.dimensions()),
        &reference,
        bound,
    );
    report.compare(
        "P3 in 4 APP2 segments",
        pixpipe(&tagged, p3.dimensions()),
        &reference,
        bound,
    );
    report.finish("ICC profile in several APP2 segments");
}

/// CMYK and YCCK (Adobe APP14) rewritten by `jpegtran` as progressive,
/// arithmetic-coded and with restart markers must decode to the same pixels
/// as the baseline file they came from (whose colours `tests/cmyk.rs` checks).
/// djpeg cannot write CMYK to PNM, so the baseline decode is the reference.
#[test]
fn cmyk_and_ycck_in_every_layout_decode_alike() {
    let dir = Scratch::new("jpeg-cmyk");
    let (w, h) = (67u16, 41u16);
    let inks: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| {
            let (x, y) = (i % u32::from(w), i / u32::from(w));
            [
                (x * 255 / 66) as u8,
                (y * 255 / 40) as u8,
                ((x ^ y) * 7) as u8,
                if x > 40 { 60 } else { 0 },
            ]
        })
        .collect();
    let mut report = Report::default();
    for (what, colour) in [("cmyk", ColorType::Cmyk), ("ycck", ColorType::CmykAsYcck)] {
        let mut base = Vec::new();
        let mut enc = Encoder::new(&mut base, 92);
        enc.set_sampling_factor(SamplingFactor::F_1_1);
        enc.encode(&inks, w, h, colour).expect("encode cmyk");
        let reference = pixpipe(&base, (w.into(), h.into())).expect("baseline CMYK decodes");
        let input = dir.path(&format!("{what}.jpg"));
        std::fs::write(&input, &base).expect("write");
        let input = input.to_str().expect("utf-8");
        for args in [
            &["-progressive"][..],
            &["-arithmetic"],
            &["-restart", "1B"],
            &["-progressive", "-arithmetic", "-restart", "2"],
        ] {
            let mut all = vec!["-copy", "all"];
            all.extend_from_slice(args);
            all.push(input);
            let moved = run("jpegtran", "libjpeg-turbo-progs", &all);
            let case = format!("{what} jpegtran {}", args.join(" "));
            report.compare(
                &case,
                pixpipe(&moved, (w.into(), h.into())),
                &reference,
                BOUND,
            );
        }
    }
    report.finish("CMYK/YCCK layouts");
}
