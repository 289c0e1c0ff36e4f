//! Rewrites of HEIF files for the tests: a property (`irot`, `imir`) added
//! to the primary item, with the box sizes and the `iloc` offsets that the
//! longer `meta` box shifts fixed up. Panics on anything unexpected: the
//! inputs are files the tests just made.

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(b[at..at + 2].try_into().expect("2 bytes"))
}

/// The (type, start, end) of each box in `b`, `start` at its header.
fn children(b: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let size = be32(b, at) as usize;
        assert!(size >= 8, "plain 32-bit box sizes only");
        out.push((b[at + 4..at + 8].try_into().expect("type"), at, at + size));
        at += size;
    }
    out
}

fn boxed(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut out = ((content.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(content);
    out
}

/// A property box with a one-byte payload: `irot` (angle in quarter turns
/// anticlockwise) or `imir` (axis: 0 vertical, i.e. left-right; 1 horizontal).
pub fn property(kind: &[u8; 4], value: u8) -> Vec<u8> {
    boxed(kind, &[value])
}

/// `file` with `property` appended to `ipco` and associated (last) with the
/// primary item.
pub fn with_property(file: &[u8], property: &[u8]) -> Vec<u8> {
    let top = children(file);
    let &(_, meta_start, meta_end) = top.iter().find(|c| &c.0 == b"meta").expect("meta");
    let meta = &file[meta_start + 12..meta_end]; // after header and FullBox fields
    let parts = children(meta);
    let content = |kind: &[u8; 4]| {
        let &(_, s, e) = parts.iter().find(|c| &c.0 == kind).expect("meta child");
        &meta[s + 8..e]
    };
    let pitm = content(b"pitm");
    let primary = if pitm[0] == 0 {
        u32::from(be16(pitm, 4))
    } else {
        be32(pitm, 4)
    };
    let iprp = content(b"iprp");
    let mut new_iprp = Vec::new();
    let mut index = 0;
    for (kind, s, e) in children(iprp) {
        let inner = &iprp[s + 8..e];
        let rebuilt = match &kind {
            b"ipco" => {
                index = children(inner).len() + 1;
                boxed(b"ipco", &[inner, property].concat())
            }
            b"ipma" => boxed(b"ipma", &associate(inner, primary, index)),
            _ => iprp[s..e].to_vec(),
        };
        new_iprp.extend(rebuilt);
    }
    let mut new_meta = file[meta_start + 8..meta_start + 12].to_vec();
    for (kind, s, e) in &parts {
        if kind == b"iprp" {
            new_meta.extend(boxed(b"iprp", &new_iprp));
        } else {
            new_meta.extend_from_slice(&meta[*s..*e]);
        }
    }
    let mut new_meta = boxed(b"meta", &new_meta);
    let delta = (new_meta.len() - (meta_end - meta_start)) as u64;
    shift_iloc(&mut new_meta, meta_end as u64, delta);
    [&file[..meta_start], &new_meta[..], &file[meta_end..]].concat()
}

/// `ipma` content with property `index` added to `item`'s associations.
fn associate(ipma: &[u8], item: u32, index: usize) -> Vec<u8> {
    let (version, large) = (ipma[0], ipma[3] & 1 == 1);
    assert!(large || index < 128, "property index fits in 7 bits");
    let mut out = ipma[..8].to_vec();
    let mut at = 8;
    for _ in 0..be32(ipma, 4) {
        let id_len = if version >= 1 { 4 } else { 2 };
        let id = if version >= 1 {
            be32(ipma, at)
        } else {
            u32::from(be16(ipma, at))
        };
        let n = ipma[at + id_len];
        let len = usize::from(n) * if large { 2 } else { 1 };
        let assoc = &ipma[at + id_len + 1..at + id_len + 1 + len];
        out.extend_from_slice(&ipma[at..at + id_len]);
        if id == item {
            out.push(n + 1);
            out.extend_from_slice(assoc);
            if large {
                out.extend_from_slice(&(index as u16).to_be_bytes());
            } else {
                out.push(index as u8);
            }
        } else {
            out.push(n);
            out.extend_from_slice(assoc);
        }
        at += id_len + 1 + len;
    }
    out
}

/// Adds `delta` to every file offset at or past `from` in the `iloc` box
/// inside `meta` (a whole box), for items stored in the file itself.
fn shift_iloc(meta: &mut [u8], from: u64, delta: u64) {
    let inner = children(&meta[12..]);
    let &(_, s, _) = inner.iter().find(|c| &c.0 == b"iloc").expect("iloc");
    let b = &mut meta[12 + s + 8..];
    let version = b[0];
    let (offset_size, length_size) = (usize::from(b[4] >> 4), usize::from(b[4] & 15));
    let base_size = usize::from(b[5] >> 4);
    let index_size = if version >= 1 {
        usize::from(b[5] & 15)
    } else {
        0
    };
    let (count, mut at) = if version < 2 {
        (be16(b, 6) as u32, 8)
    } else {
        (be32(b, 6), 10)
    };
    let read =
        |b: &[u8], at: usize, n: usize| (0..n).fold(0u64, |v, i| v << 8 | u64::from(b[at + i]));
    let write = |b: &mut [u8], at: usize, n: usize, v: u64| {
        for i in 0..n {
            b[at + i] = (v >> (8 * (n - 1 - i))) as u8;
        }
    };
    for _ in 0..count {
        at += if version < 2 { 2 } else { 4 };
        let method = if version >= 1 {
            let m = be16(b, at) & 15;
            at += 2;
            m
        } else {
            0
        };
        at += 2; // data reference index
        let base = read(b, at, base_size);
        let in_file = method == 0;
        if in_file && base_size > 0 && base >= from {
            write(b, at, base_size, base + delta);
        }
        at += base_size;
        let extents = be16(b, at);
        at += 2;
        for _ in 0..extents {
            at += index_size;
            let offset = read(b, at, offset_size);
            if in_file && base == 0 && offset >= from {
                write(b, at, offset_size, offset + delta);
            }
            at += offset_size + length_size;
        }
    }
}
