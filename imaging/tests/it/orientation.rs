//! All eight EXIF orientations: an image stored pre-transformed, carrying the
//! orientation that turns it upright, must come out as the same upright
//! picture for every orientation and every fit, wherever its container keeps
//! the EXIF block (JPEG APP1, PNG `eXIf`, WebP `EXIF`) and however it is
//! written (big- or little-endian TIFF, with or without `Exif\0\0`).

use crate::common::{
    close, decode, encode, jpeg, orientation_tiff, png_with_exif, quadrants, variant,
    webp_with_exif, with_exif_orientation,
};
use image::{DynamicImage, ImageFormat, RgbaImage};
use pixpipe_imaging::{Fit, Format, Limits, probe, process};

/// The stored image that EXIF `orientation` turns into `upright`.
fn stored_for(upright: &RgbaImage, orientation: u16) -> DynamicImage {
    let img = DynamicImage::ImageRgba8(upright.clone());
    match orientation {
        1 => img,
        2 => img.fliph(),
        3 => img.rotate180(),
        4 => img.flipv(),
        5 => img.rotate90().fliph(),  // transpose: its own inverse
        6 => img.rotate270(),         // displayed after a 90° clockwise turn
        7 => img.rotate270().fliph(), // transverse: its own inverse
        8 => img.rotate90(),
        _ => unreachable!("orientations are 1..=8"),
    }
}

/// Centres of the four quadrants of a `w`x`h` image, with their colours.
fn expected_centres(w: u32, h: u32) -> [((u32, u32), [u8; 4]); 4] {
    [
        ((w / 4, h / 4), [220, 30, 30, 255]),
        ((3 * w / 4, h / 4), [30, 200, 30, 255]),
        ((w / 4, 3 * h / 4), [30, 30, 220, 255]),
        ((3 * w / 4, 3 * h / 4), [230, 230, 40, 255]),
    ]
}

#[test]
fn every_orientation_comes_out_upright() {
    let upright = quadrants(64, 48);
    let limits = Limits::default();
    for orientation in 1..=8u16 {
        let stored = stored_for(&upright, orientation);
        let bytes = with_exif_orientation(&jpeg(&stored, 95), orientation);

        let p = probe(&bytes, &limits).expect("probe");
        assert_eq!(
            (p.width, p.height),
            (stored.width(), stored.height()),
            "probe is the stored size"
        );

        let variants = [
            variant(100, 100, Fit::Inside, Format::Png, true),
            variant(32, 24, Fit::Fill, Format::Png, true),
            variant(40, 40, Fit::Contain, Format::Png, true),
            variant(24, 24, Fit::Cover, Format::Png, true),
        ];
        let out = process(&bytes, &variants, &limits).expect("process");

        let same = decode(&out[0]);
        assert_eq!(same.dimensions(), (64, 48), "orientation {orientation}");
        for ((x, y), colour) in expected_centres(64, 48) {
            let px = *same.get_pixel(x, y);
            assert!(
                close(px, colour, 12),
                "orientation {orientation} at ({x},{y}): {px:?} vs {colour:?}"
            );
        }

        let small = decode(&out[1]);
        assert_eq!(small.dimensions(), (32, 24));
        for ((x, y), colour) in expected_centres(32, 24) {
            let px = *small.get_pixel(x, y);
            assert!(
                close(px, colour, 16),
                "fill, orientation {orientation}: {px:?} vs {colour:?}"
            );
        }

        let boxed = decode(&out[2]);
        assert_eq!(boxed.dimensions(), (40, 40));
        assert_eq!(
            boxed.get_pixel(20, 1).0,
            [255, 255, 255, 255],
            "contain pads top"
        );
        let px = *boxed.get_pixel(8, 13);
        assert!(
            close(px, [220, 30, 30, 255], 16),
            "contain, orientation {orientation}: {px:?}"
        );

        // Cover keeps the centre 48x48 of 64x48: quadrants still in place.
        let cover = decode(&out[3]);
        assert_eq!(cover.dimensions(), (24, 24));
        for ((x, y), colour) in expected_centres(24, 24) {
            let px = *cover.get_pixel(x, y);
            assert!(
                close(px, colour, 16),
                "cover, orientation {orientation}: {px:?} vs {colour:?}"
            );
        }
    }
}

#[test]
fn orientation_applies_to_outputs_of_every_format() {
    let upright = quadrants(64, 48);
    let bytes = with_exif_orientation(&jpeg(&stored_for(&upright, 6), 95), 6);
    let variants = [
        variant(64, 64, Fit::Inside, Format::Jpeg, true),
        variant(64, 64, Fit::Inside, Format::Webp, true),
    ];
    for out in process(&bytes, &variants, &Limits::default()).expect("process") {
        assert_eq!((out.width, out.height), (64, 48));
        let img = decode(&out);
        let px = *img.get_pixel(16, 12);
        assert!(
            close(px, [220, 30, 30, 255], 24),
            "{:?}: {px:?}",
            out.format
        );
    }
}

#[test]
fn png_and_webp_exif_chunks_orient_in_every_form() {
    let upright = quadrants(64, 48);
    let limits = Limits::default();
    let asked = [variant(100, 100, Fit::Inside, Format::Png, true)];
    for orientation in 1..=8u16 {
        let stored = stored_for(&upright, orientation);
        for big_endian in [false, true] {
            for prefix in [&b""[..], b"Exif\0\0"] {
                let mut block = prefix.to_vec();
                block.extend(orientation_tiff(orientation, big_endian));
                let png = png_with_exif(&encode(&stored, ImageFormat::Png), &block);
                let webp = webp_with_exif(&stored.to_rgba8(), &block);
                for (container, bytes) in [("png", png), ("webp", webp)] {
                    let case = format!(
                        "{container}, orientation {orientation}, big-endian {big_endian}, \
                         prefix {prefix:?}"
                    );
                    let p = probe(&bytes, &limits).expect("probe");
                    assert_eq!(
                        (p.width, p.height),
                        (stored.width(), stored.height()),
                        "{case}"
                    );
                    let out = process(&bytes, &asked, &limits).expect("process");
                    let img = decode(&out[0]);
                    assert_eq!(img.dimensions(), (64, 48), "{case}");
                    for ((x, y), colour) in expected_centres(64, 48) {
                        let px = *img.get_pixel(x, y);
                        assert!(close(px, colour, 2), "{case} at ({x},{y}): {px:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn unusable_orientations_leave_the_image_as_stored() {
    let stored = stored_for(&quadrants(64, 48), 6);
    let asked = [variant(100, 100, Fit::Inside, Format::Png, true)];
    let mut broken = b"Exif\0\0".to_vec();
    broken.extend(&orientation_tiff(6, true)[..12]);
    for block in [
        orientation_tiff(0, true),
        orientation_tiff(9, false),
        broken,
    ] {
        let bytes = webp_with_exif(&stored.to_rgba8(), &block);
        let out = process(&bytes, &asked, &Limits::default()).expect("process");
        assert_eq!((out[0].width, out[0].height), (48, 64), "{block:?}");
    }
}
