//! Independent colour references for the ICC tests: RGB <-> XYZ matrices
//! built from each space's primaries and white point, Bradford adaptation,
//! and the transfer curves, in f64. None of this calls the engine or moxcms.
#![allow(dead_code)]

pub type Mat = [[f64; 3]; 3];

pub const D65: [f64; 2] = [0.3127, 0.3290];
pub const D50: [f64; 2] = [0.3457, 0.3585];

/// An RGB space: primaries (xy), white (xy) and its decoding curve.
pub struct Space {
    pub primaries: [[f64; 2]; 3],
    pub white: [f64; 2],
    pub decode: fn(f64) -> f64,
}

pub fn srgb_decode(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

pub fn srgb_encode(l: f64) -> f64 {
    let l = l.clamp(0.0, 1.0);
    if l <= 0.003_130_8 {
        l * 12.92
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    }
}

pub const SRGB: Space = Space {
    primaries: [[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]],
    white: D65,
    decode: srgb_decode,
};
pub const DISPLAY_P3: Space = Space {
    primaries: [[0.680, 0.320], [0.265, 0.690], [0.150, 0.060]],
    white: D65,
    decode: srgb_decode,
};
pub const ADOBE_RGB: Space = Space {
    primaries: [[0.64, 0.33], [0.21, 0.71], [0.15, 0.06]],
    white: D65,
    decode: |v| v.powf(563.0 / 256.0),
};
pub const PROPHOTO: Space = Space {
    primaries: [[0.7347, 0.2653], [0.1596, 0.8404], [0.0366, 0.0001]],
    white: D50,
    decode: |v| v.powf(1.8),
};

fn xyz([x, y]: [f64; 2]) -> [f64; 3] {
    [x / y, 1.0, (1.0 - x - y) / y]
}

pub fn mul(a: &Mat, b: &Mat) -> Mat {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

pub fn apply(m: &Mat, v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2])
}

pub fn invert(m: &Mat) -> Mat {
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    let c = |r0: usize, r1: usize, c0: usize, c1: usize| {
        (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det
    };
    [
        [c(1, 2, 1, 2), -c(0, 2, 1, 2), c(0, 1, 1, 2)],
        [-c(1, 2, 0, 2), c(0, 2, 0, 2), -c(0, 1, 0, 2)],
        [c(1, 2, 0, 1), -c(0, 2, 0, 1), c(0, 1, 0, 1)],
    ]
}

/// Linear RGB -> XYZ (relative to the space's own white).
pub fn rgb_to_xyz(space: &Space) -> Mat {
    let p = space.primaries.map(xyz);
    let m = [
        [p[0][0], p[1][0], p[2][0]],
        [p[0][1], p[1][1], p[2][1]],
        [p[0][2], p[1][2], p[2][2]],
    ];
    let s = apply(&invert(&m), xyz(space.white));
    [0, 1, 2].map(|i| [0, 1, 2].map(|j| m[i][j] * s[j]))
}

/// Bradford chromatic adaptation from white `from` to white `to`.
pub fn bradford(from: [f64; 2], to: [f64; 2]) -> Mat {
    const B: Mat = [
        [0.8951, 0.2664, -0.1614],
        [-0.7502, 1.7135, 0.0367],
        [0.0389, -0.0685, 1.0296],
    ];
    let (s, d) = (apply(&B, xyz(from)), apply(&B, xyz(to)));
    let scale = [
        [d[0] / s[0], 0.0, 0.0],
        [0.0, d[1] / s[1], 0.0],
        [0.0, 0.0, d[2] / s[2]],
    ];
    mul(&invert(&B), &mul(&scale, &B))
}

/// Encoded source values (0..=1) in `space` -> 8-bit sRGB, clipped.
pub fn to_srgb8(space: &Space, rgb: [f64; 3]) -> [u8; 3] {
    let to_xyz = mul(&bradford(space.white, D65), &rgb_to_xyz(space));
    let m = mul(&invert(&rgb_to_xyz(&SRGB)), &to_xyz);
    let linear = apply(&m, rgb.map(space.decode));
    linear.map(|l| (srgb_encode(l) * 255.0).round() as u8)
}

/// XYZ relative to D50 (as an ICC PCS) -> 8-bit sRGB, clipped.
pub fn xyz_d50_to_srgb8(v: [f64; 3]) -> [u8; 3] {
    let m = mul(&invert(&rgb_to_xyz(&SRGB)), &bradford(D50, D65));
    apply(&m, v).map(|l| (srgb_encode(l) * 255.0).round() as u8)
}

/// 8-bit sRGB -> XYZ relative to D50.
pub fn srgb8_to_xyz_d50(rgb: [u8; 3]) -> [f64; 3] {
    let m = mul(&bradford(D65, D50), &rgb_to_xyz(&SRGB));
    apply(&m, rgb.map(|v| srgb_decode(f64::from(v) / 255.0)))
}

/// Largest per-channel difference.
pub fn max_diff(a: [u8; 3], b: [u8; 3]) -> u8 {
    (0..3).map(|i| a[i].abs_diff(b[i])).max().unwrap_or(0)
}
