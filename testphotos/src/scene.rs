//! The scene every generated photo shows, at any size: a landscape drawn in
//! coordinates relative to the frame (so that two sizes show the same picture)
//! plus grain at the pixel scale, as a camera sensor adds it.
//!
//! Noise is value noise (a hashed lattice, smoothstep-interpolated), summed
//! over octaves; everything is integer-hashed, so output is the same on every
//! machine.

use image::{Rgb, RgbImage, RgbaImage};

/// The scene at `width` x `height`, 8-bit RGB (rows rendered on every core).
pub fn scene(width: u32, height: u32) -> RgbImage {
    let (w, h) = (width as f32, height as f32);
    let scale = w.min(h);
    let horizons: Vec<f32> = (0..width).map(|x| horizon((x as f32 + 0.5) / w)).collect();
    let row_bytes = width as usize * 3;
    let mut data = vec![0u8; row_bytes * height as usize];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rows_per = (height as usize).div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (chunk, rows) in data.chunks_mut(rows_per * row_bytes).enumerate() {
            let horizons = &horizons;
            s.spawn(move || {
                for (i, px) in rows.chunks_exact_mut(3).enumerate() {
                    let x = (i % width as usize) as u32;
                    let y = (chunk * rows_per + i / width as usize) as u32;
                    let (u, v) = ((x as f32 + 0.5) / w, (y as f32 + 0.5) / h);
                    let rgb = colour_at(
                        u,
                        v,
                        horizons[x as usize],
                        x as f32 / scale,
                        y as f32 / scale,
                    );
                    let grain = (hash(x, y, 7) % 9) as f32 - 4.0;
                    for (out, c) in px.iter_mut().zip(rgb) {
                        *out = to_u8(c * 255.0 + grain);
                    }
                }
            });
        }
    });
    RgbImage::from_raw(width, height, data).expect("buffer of the frame's size")
}

/// The scene with an alpha channel graded from 40 (bottom left) to 230 (top
/// right), so no pixel is opaque and none is fully transparent.
pub fn scene_rgba(width: u32, height: u32) -> RgbaImage {
    let rgb = scene(width, height);
    let (w, h) = (width as f32, height as f32);
    RgbaImage::from_fn(width, height, |x, y| {
        let Rgb([r, g, b]) = *rgb.get_pixel(x, y);
        let t = 0.5 * (x as f32 / w + (1.0 - y as f32 / h));
        image::Rgba([r, g, b, to_u8(40.0 + 190.0 * t)])
    })
}

/// Where the ground meets the sky at relative column `u` (0 top, 1 bottom).
fn horizon(u: f32) -> f32 {
    0.55 + 0.08 * (fbm(u * 4.0, 0.0, 3, 11) - 0.5)
}

/// Display RGB in 0..1 at relative position (u, v) under a given `horizon`;
/// (s, t) are the same position in units of the frame's shorter side, for
/// isotropic texture.
fn colour_at(u: f32, v: f32, horizon: f32, s: f32, t: f32) -> [f32; 3] {
    let mut rgb = if v < horizon {
        sky(u, v / horizon, s, t)
    } else {
        ground((v - horizon) / (1.0 - horizon), s, t)
    };
    // The sun, top right: a disc with a soft edge.
    let (du, dv) = ((u - 0.78) * 1.2, v - 0.2);
    let d = (du * du + dv * dv).sqrt();
    let sun = smoothstep(0.07, 0.05, d);
    rgb = mix(rgb, [1.0, 0.93, 0.6], sun);
    // A pole, left, from above the horizon to the bottom: hard edges.
    if (0.18..0.215).contains(&u) && v > horizon - 0.15 {
        let shade = 0.12 + 0.06 * fbm(s * 40.0, t * 4.0, 2, 5);
        rgb = [shade, shade * 0.8, shade * 0.7];
    }
    rgb
}

fn sky(u: f32, depth: f32, s: f32, t: f32) -> [f32; 3] {
    let top = [0.16, 0.32, 0.68];
    let low = [0.78, 0.84, 0.92];
    let base = mix(top, low, depth.powf(0.8));
    // Thin clouds, stretched sideways.
    let cloud = smoothstep(0.55, 0.8, fbm(s * 3.0, t * 9.0, 5, 3)) * (1.0 - depth * 0.5);
    mix(base, [0.97, 0.97, 0.98], cloud * 0.8 * (0.6 + 0.4 * u))
}

fn ground(depth: f32, s: f32, t: f32) -> [f32; 3] {
    let near = [0.28, 0.36, 0.12];
    let far = [0.42, 0.5, 0.36];
    let base = mix(far, near, depth);
    let fields = fbm(s * 6.0, t * 6.0, 4, 17);
    let soil = mix(base, [0.45, 0.33, 0.2], smoothstep(0.6, 0.7, fields));
    // Fine texture that gets finer with distance, like grass.
    let detail = fbm(s * 80.0, t * 80.0 / (0.3 + depth), 3, 23) - 0.5;
    let k = 1.0 + 0.5 * detail;
    [soil[0] * k, soil[1] * k, soil[2] * k]
}

/// Fractal value noise in 0..1: `octaves` layers, each twice the frequency
/// and half the weight of the last.
fn fbm(x: f32, y: f32, octaves: u32, seed: u32) -> f32 {
    let (mut sum, mut weight, mut total, mut freq) = (0.0, 1.0, 0.0, 1.0);
    for o in 0..octaves {
        sum += weight * value_noise(x * freq, y * freq, seed + o);
        total += weight;
        weight *= 0.5;
        freq *= 2.0;
    }
    sum / total
}

fn value_noise(x: f32, y: f32, seed: u32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (ix, iy) = (x0 as i32 as u32, y0 as i32 as u32);
    let corner = |dx: u32, dy: u32| {
        (hash(ix.wrapping_add(dx), iy.wrapping_add(dy), seed) & 0xFFFF) as f32 / 65535.0
    };
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let top = corner(0, 0) + (corner(1, 0) - corner(0, 0)) * sx;
    let bottom = corner(0, 1) + (corner(1, 1) - corner(0, 1)) * sx;
    top + (bottom - top) * sy
}

fn hash(x: u32, y: u32, seed: u32) -> u32 {
    let mut h =
        x.wrapping_mul(0x8DA6_B343) ^ y.wrapping_mul(0xD816_3841) ^ seed.wrapping_mul(0xCB1A_B31F);
    h ^= h >> 13;
    h = h.wrapping_mul(0x5BD1_E995);
    h ^ (h >> 15)
}

fn smoothstep(edge0: f32, edge1: f32, x: f32) -> f32 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}
