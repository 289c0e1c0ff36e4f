//! PNG matrix: every colour type at every bit depth PNG allows for it, with
//! tRNS for grey, RGB and palette images, each written twice — by the `png`
//! crate (filtered, compressed, not interlaced) and by a small Adam7 writer
//! here (stored deflate blocks) — then decoded by pixpipe and by libpng
//! (netpbm's `pngtopam -alphapam`).
//!
//! Bound: up to 8 bits per sample, exact (lossless format, same samples).
//! 16 bits: the reference is rounded to nearest 8-bit (`v * 255 / 65535`);
//! pixpipe's 16 to 8 bit step may truncate or round, so max 1, mean 0.5.

use crate::common::{push_chunk, zlib_stored};
use crate::differential::support::{
    Bound, H, Report, Scratch, W, grey, picture, pixpipe, read_pnm, run,
};

struct Case {
    name: String,
    colour: png::ColorType,
    depth: u8,
    /// Samples in row order, `channels` per pixel, each below `1 << depth`.
    samples: Vec<u16>,
    palette: Option<Vec<u8>>,
    trns: Option<Vec<u8>>,
}

fn channels(colour: png::ColorType) -> usize {
    match colour {
        png::ColorType::Grayscale | png::ColorType::Indexed => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
    }
}

fn cases() -> Vec<Case> {
    let rgba = picture(true);
    let luma = grey(&rgba);
    // 16-bit samples keep meaningful low bits, so rounding to 8 bits matters.
    let wide = |v: u8, i: usize| (u16::from(v) << 8) | ((i * 37 % 256) as u16);
    let mut out = Vec::new();
    let mut add = |name: String, colour, depth, samples, palette, trns| {
        out.push(Case {
            name,
            colour,
            depth,
            samples,
            palette,
            trns,
        });
    };
    for depth in [1u8, 2, 4, 8, 16] {
        let s: Vec<u16> = luma
            .iter()
            .enumerate()
            .map(|(i, &g)| {
                if depth == 16 {
                    wide(g, i)
                } else {
                    u16::from(g >> (8 - depth))
                }
            })
            .collect();
        let key: u16 = if depth == 16 {
            s[W as usize * 10 + 50]
        } else {
            (1 << depth) - 1
        };
        add(
            format!("grey{depth}"),
            png::ColorType::Grayscale,
            depth,
            s.clone(),
            None,
            None,
        );
        add(
            format!("grey{depth}-trns"),
            png::ColorType::Grayscale,
            depth,
            s,
            None,
            Some(key.to_be_bytes().to_vec()),
        );
    }
    for depth in [8u8, 16] {
        let pick = |n: usize| -> Vec<u16> {
            rgba.pixels()
                .enumerate()
                .flat_map(|(i, p)| {
                    let chans: Vec<u8> = match n {
                        2 => vec![luma[i], p.0[3]],
                        3 => p.0[..3].to_vec(),
                        _ => p.0.to_vec(),
                    };
                    chans.into_iter().map(move |v| {
                        if depth == 16 {
                            wide(v, i)
                        } else {
                            u16::from(v)
                        }
                    })
                })
                .collect()
        };
        add(
            format!("grey-alpha{depth}"),
            png::ColorType::GrayscaleAlpha,
            depth,
            pick(2),
            None,
            None,
        );
        add(
            format!("rgb{depth}"),
            png::ColorType::Rgb,
            depth,
            pick(3),
            None,
            None,
        );
        add(
            format!("rgba{depth}"),
            png::ColorType::Rgba,
            depth,
            pick(4),
            None,
            None,
        );
        // Pure red is in the saturated bars: it becomes transparent.
        let red: Vec<u8> = [255u16, 0, 0]
            .iter()
            .flat_map(|&v| {
                if depth == 16 {
                    wide(v as u8, 0) & 0xFF00
                } else {
                    v
                }
                .to_be_bytes()
            })
            .collect();
        let mut s = pick(3);
        if depth == 16 {
            // Exact pure red where the 8-bit picture has it.
            for px in s.chunks_mut(3) {
                if px.iter().map(|v| v >> 8).eq([255, 0, 0]) {
                    px.copy_from_slice(&[0xFF00, 0, 0]);
                }
            }
        }
        add(
            format!("rgb{depth}-trns"),
            png::ColorType::Rgb,
            depth,
            s,
            None,
            Some(red),
        );
    }
    for depth in [1u8, 2, 4, 8] {
        let n = 1usize << depth;
        // A palette of saturated and grey entries; pixels index it by luma
        // and hue so that every entry is used.
        let palette: Vec<u8> = (0..n)
            .flat_map(|i| {
                let t = (i * 255 / (n - 1).max(1)) as u8;
                match i % 4 {
                    0 => [t, 255 - t, 40],
                    1 => [255, t, 0],
                    2 => [t, t, t],
                    _ => [0, 128, t],
                }
            })
            .collect();
        let s: Vec<u16> = rgba
            .pixels()
            .enumerate()
            .map(|(i, p)| ((usize::from(luma[i]) * n / 256 + usize::from(p.0[0] > 128)) % n) as u16)
            .collect();
        let alphas: Vec<u8> = (0..n.min(200)).map(|i| (i * 97 % 256) as u8).collect();
        add(
            format!("palette{depth}"),
            png::ColorType::Indexed,
            depth,
            s.clone(),
            Some(palette.clone()),
            None,
        );
        add(
            format!("palette{depth}-trns"),
            png::ColorType::Indexed,
            depth,
            s,
            Some(palette),
            Some(alphas),
        );
    }
    out
}

/// Packs one row of samples MSB first at `depth` bits (big-endian for 16).
fn pack(samples: &[u16], depth: u8) -> Vec<u8> {
    match depth {
        16 => samples.iter().flat_map(|v| v.to_be_bytes()).collect(),
        8 => samples.iter().map(|&v| v as u8).collect(),
        _ => {
            let per = 8 / usize::from(depth);
            samples
                .chunks(per)
                .map(|c| {
                    c.iter().enumerate().fold(0u8, |acc, (k, &v)| {
                        acc | ((v as u8) << (8 - usize::from(depth) * (k + 1)))
                    })
                })
                .collect()
        }
    }
}

fn with_png_crate(case: &Case) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, W, H);
    enc.set_color(case.colour);
    enc.set_depth(png::BitDepth::from_u8(case.depth).expect("depth"));
    if let Some(p) = &case.palette {
        enc.set_palette(p.clone());
    }
    if let Some(t) = &case.trns {
        enc.set_trns(t.clone());
    }
    let mut writer = enc.write_header().expect("png header");
    let c = channels(case.colour);
    let data: Vec<u8> = case
        .samples
        .chunks(W as usize * c)
        .flat_map(|row| pack(row, case.depth))
        .collect();
    writer.write_image_data(&data).expect("png data");
    writer.finish().expect("png end");
    bytes
}

/// The same picture interlaced with Adam7 (filter type 0 on every row).
fn adam7(case: &Case) -> Vec<u8> {
    const PASSES: [(u32, u32, u32, u32); 7] = [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ];
    let c = channels(case.colour);
    let mut raw = Vec::new();
    for (x0, y0, dx, dy) in PASSES {
        if x0 >= W || y0 >= H {
            continue;
        }
        for y in (y0..H).step_by(dy as usize) {
            let row: Vec<u16> = (x0..W)
                .step_by(dx as usize)
                .flat_map(|x| {
                    let i = (y * W + x) as usize * c;
                    case.samples[i..i + c].to_vec()
                })
                .collect();
            raw.push(0);
            raw.extend_from_slice(&pack(&row, case.depth));
        }
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = W.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&H.to_be_bytes());
    ihdr.extend_from_slice(&[case.depth, case.colour as u8, 0, 0, 1]);
    push_chunk(&mut png, b"IHDR", &ihdr);
    if let Some(p) = &case.palette {
        push_chunk(&mut png, b"PLTE", p);
    }
    if let Some(t) = &case.trns {
        push_chunk(&mut png, b"tRNS", t);
    }
    push_chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    push_chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn png_matrix_matches_libpng() {
    let dir = Scratch::new("png");
    let mut report = Report::default();
    let all = cases();
    for case in &all {
        let bound = if case.depth == 16 {
            Bound::new(1, 0.5)
        } else {
            Bound::new(0, 0.0)
        };
        for (layout, bytes) in [("", with_png_crate(case)), ("-adam7", adam7(case))] {
            let name = format!("{}{layout}", case.name);
            let path = dir.path(&format!("{name}.png"));
            std::fs::write(&path, &bytes).expect("write png");
            let reference = read_pnm(&run(
                "pngtopam",
                "netpbm",
                &["-alphapam", path.to_str().expect("utf-8")],
            ));
            report.compare(&name, pixpipe(&bytes, (W, H)), &reference, bound);
        }
    }
    report.finish("PNG decoded by pixpipe vs libpng");
}
