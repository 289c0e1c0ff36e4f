//! GIF matrix: the picture quantised to 256 colours by netpbm (`pnmquant`,
//! `pamtogif`), then rewritten by `gifsicle` — interlaced, with a transparent
//! colour, with several frames, with the frame placed at an offset inside a
//! larger logical screen — and by hand with its colour table moved from the
//! global to a local one. The reference decoder is netpbm's `giftopnm`
//! (first image, its transparency as `-alphaout`), composited the way
//! browsers paint the first frame: a canvas of the logical screen's size,
//! transparent where the frame does not cover it.
//!
//! Bound: exact (palette indices to colours is lossless).

use image::{Rgba, RgbaImage};

use crate::differential::support::{
    Bound, Pnm, Report, Scratch, picture, pixpipe, read_pnm, run, write_pnm,
};

const EXACT: Bound = Bound::new(0, 0.0);

/// Logical screen size and first image position, read from the file.
fn layout(gif: &[u8]) -> ((u32, u32), (u32, u32)) {
    let le = |at: usize| u32::from(u16::from_le_bytes([gif[at], gif[at + 1]]));
    let screen = (le(6), le(8));
    let mut at = 13;
    if gif[10] & 0x80 != 0 {
        at += 3 << ((gif[10] & 7) + 1);
    }
    // Skip extensions up to the first image descriptor.
    while gif[at] == 0x21 {
        at += 2;
        while gif[at] != 0 {
            at += usize::from(gif[at]) + 1;
        }
        at += 1;
    }
    assert_eq!(gif[at], 0x2C, "image descriptor expected");
    (screen, (le(at + 1), le(at + 3)))
}

/// Moves the global colour table into the first image's local table.
fn global_to_local(gif: &[u8]) -> Vec<u8> {
    let flags = gif[10];
    assert!(flags & 0x80 != 0, "global colour table expected");
    let size = 3usize << ((flags & 7) + 1);
    let table = &gif[13..13 + size];
    let mut out = gif[..13].to_vec();
    out[10] = flags & 0x70; // no global table, keep the colour resolution
    let mut at = 13 + size;
    while gif[at] == 0x21 {
        let start = at;
        at += 2;
        while gif[at] != 0 {
            at += usize::from(gif[at]) + 1;
        }
        at += 1;
        out.extend_from_slice(&gif[start..at]);
    }
    out.extend_from_slice(&gif[at..at + 9]);
    let image_flags = gif[at + 9];
    assert_eq!(image_flags & 0x80, 0, "no local table yet");
    out.push(image_flags | 0x80 | (flags & 7));
    out.extend_from_slice(table);
    out.extend_from_slice(&gif[at + 10..]);
    out
}

/// The reference: giftopnm's first image with its alpha, on a transparent
/// canvas of the logical screen's size at the image's position.
fn reference(dir: &Scratch, name: &str, gif: &[u8]) -> RgbaImage {
    let path = dir.path(&format!("{name}.gif"));
    let mask = dir.path(&format!("{name}-alpha.pnm"));
    std::fs::write(&path, gif).expect("write gif");
    let alpha_arg = format!("-alphaout={}", mask.to_str().unwrap());
    let rgb = read_pnm(&run(
        "giftopnm",
        "netpbm",
        &[&alpha_arg, path.to_str().unwrap()],
    ));
    let alpha = std::fs::read(&mask).map(|m| read_pnm(&m)).ok();
    let ((sw, sh), (x0, y0)) = layout(gif);
    let mut canvas = RgbaImage::from_pixel(sw, sh, Rgba([0, 0, 0, 0]));
    for (x, y, p) in rgb.enumerate_pixels() {
        let a = alpha.as_ref().map_or(255, |m| m.get_pixel(x, y).0[0]);
        if x + x0 < sw && y + y0 < sh {
            canvas.put_pixel(x + x0, y + y0, Rgba([p[0], p[1], p[2], a]));
        }
    }
    canvas
}

#[test]
fn gif_matrix_matches_giftopnm() {
    let dir = Scratch::new("gif");
    let ppm = dir.path("source.ppm");
    let src = picture(false);
    write_pnm(&ppm, &src, Pnm::Ppm);
    let quantised = run("pnmquant", "netpbm", &["256", ppm.to_str().unwrap()]);
    let qpath = dir.path("quantised.ppm");
    std::fs::write(&qpath, quantised).expect("write");
    let base = run("pamtogif", "netpbm", &[qpath.to_str().unwrap()]);
    let base_path = dir.path("base.gif");
    std::fs::write(&base_path, &base).expect("write");
    let base_path = base_path.to_str().unwrap().to_owned();

    // A second frame, for the animations: the picture's negative.
    let neg = RgbaImage::from_fn(src.width(), src.height(), |x, y| {
        let p = src.get_pixel(x, y).0;
        Rgba([255 - p[0], 255 - p[1], 255 - p[2], 255])
    });
    let neg_ppm = dir.path("negative.ppm");
    write_pnm(&neg_ppm, &neg, Pnm::Ppm);
    let neg_q = dir.path("negative-q.ppm");
    std::fs::write(
        &neg_q,
        run("pnmquant", "netpbm", &["64", neg_ppm.to_str().unwrap()]),
    )
    .unwrap();
    let neg_gif = dir.path("negative.gif");
    std::fs::write(
        &neg_gif,
        run("pamtogif", "netpbm", &[neg_q.to_str().unwrap()]),
    )
    .unwrap();
    let neg_gif = neg_gif.to_str().unwrap().to_owned();

    // A colour that exists in the picture (a saturated bar), made transparent.
    let q = read_pnm(&std::fs::read(&qpath).unwrap());
    let key = q.get_pixel(src.width() / 2, 10).0;
    let key = format!("#{:02X}{:02X}{:02X}", key[0], key[1], key[2]);

    let gifsicle = |args: &[&str]| run("gifsicle", "gifsicle", args);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("pamtogif", base.clone()),
        ("gifsicle-plain", gifsicle(&[&base_path])),
        ("interlaced", gifsicle(&["--interlace", &base_path])),
        (
            "transparent",
            gifsicle(&["--transparent", &key, &base_path]),
        ),
        (
            "interlaced-transparent",
            gifsicle(&["-i", "-t", &key, &base_path]),
        ),
        ("local-colour-table", global_to_local(&base)),
        (
            "local-colour-table-transparent",
            global_to_local(&gifsicle(&["-t", &key, &base_path])),
        ),
        (
            "two-frames",
            gifsicle(&["--merge", "-d", "20", &base_path, &neg_gif]),
        ),
        (
            "two-frames-loop-interlaced",
            gifsicle(&["--merge", "-l", "-i", &base_path, &neg_gif]),
        ),
        (
            "offset-in-screen",
            gifsicle(&["-S", "240x180", "-p", "20,11", &base_path]),
        ),
        (
            "offset-transparent-two-frames",
            gifsicle(&[
                "--merge", "-S", "260x190", "-p", "31,17", "-t", &key, &base_path, "-p", "0,0",
                &neg_gif,
            ]),
        ),
    ];
    let mut report = Report::default();
    for (name, gif) in &cases {
        let reference = reference(&dir, name, gif);
        report.compare(
            name,
            pixpipe(gif, reference.dimensions()),
            &reference,
            EXACT,
        );
    }
    report.finish("GIF decoded by pixpipe vs giftopnm (first frame on its screen)");
}
