//! The HEIF container read by hand for [`probe`](crate::probe), before any
//! decoder sees the file: the primary item, its coding, its `ispe` size and
//! the size its transforms (`clap`, `irot`, `imir`) give it, with the number
//! of boxes, items and grid tiles walked bounded so that a hostile file
//! cannot make the walk (or the decoder's own parse after it) slow.
//!
//! Box contents are borrowed from the input; nothing is copied.

use crate::error::ImagingError;

/// Boxes walked in all, at every level.
pub(crate) const MAX_BOXES: usize = 20_000;
/// Items declared in `iinf` (an iPhone photo has about 60, a 200 MP one about 800).
pub(crate) const MAX_ITEMS: u32 = 10_000;
/// Tiles of a grid primary image (a 16384x16384 image in 256x256 tiles).
pub(crate) const MAX_TILES: usize = 4096;

/// What the container says about the primary image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// The `ispe` size, as coded.
    pub stored: (u32, u32),
    /// The size once `clap`, `irot` and `imir` are applied, as decoded.
    pub shown: (u32, u32),
}

fn corrupt(message: &str) -> ImagingError {
    ImagingError::Corrupt(format!("heic: {message}"))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A 16- or 32-bit big-endian field, as FullBox versions choose.
fn id_at(b: &[u8], at: usize, wide: bool) -> Option<u32> {
    if wide {
        be32(b, at)
    } else {
        be16(b, at).map(u32::from)
    }
}

/// A box's type and content (after its header).
type RawBox<'a> = ([u8; 4], &'a [u8]);

/// The children of a box (or of the file), sharing one budget of boxes.
struct Boxes<'a, 'b> {
    data: &'a [u8],
    at: usize,
    budget: &'b mut usize,
}

impl<'a, 'b> Boxes<'a, 'b> {
    fn new(data: &'a [u8], budget: &'b mut usize) -> Self {
        Boxes {
            data,
            at: 0,
            budget,
        }
    }

    /// The next box as (type, content); a box that runs past its parent is
    /// truncated data.
    fn next_box(&mut self) -> Result<Option<RawBox<'a>>, ImagingError> {
        let rest = &self.data[self.at..];
        if rest.is_empty() {
            return Ok(None);
        }
        if *self.budget == 0 {
            return Err(ImagingError::LimitExceeded(format!(
                "heic: more than {MAX_BOXES} boxes"
            )));
        }
        *self.budget -= 1;
        let size = be32(rest, 0).ok_or(ImagingError::Truncated)?;
        let kind: [u8; 4] = rest
            .get(4..8)
            .ok_or(ImagingError::Truncated)?
            .try_into()
            .map_err(|_| ImagingError::Truncated)?;
        let (header, size) = match size {
            0 => (8, rest.len() as u64),
            1 => {
                let large = rest.get(8..16).ok_or(ImagingError::Truncated)?;
                (
                    16,
                    u64::from_be_bytes(large.try_into().map_err(|_| ImagingError::Truncated)?),
                )
            }
            n => (8, u64::from(n)),
        };
        if size < header {
            return Err(corrupt("box smaller than its header"));
        }
        if size > rest.len() as u64 {
            return Err(ImagingError::Truncated);
        }
        let content = &rest[header as usize..size as usize];
        self.at += size as usize;
        Ok(Some((kind, content)))
    }
}

/// The boxes of `meta` the probe needs.
#[derive(Default)]
struct Meta<'a> {
    handler: Option<&'a [u8]>,
    primary: Option<u32>,
    iinf: Option<&'a [u8]>,
    iref: Option<&'a [u8]>,
    ipco: Option<&'a [u8]>,
    ipma: Vec<&'a [u8]>,
}

/// Reads the container's header: see [`Header`].
pub(crate) fn read(b: &[u8]) -> Result<Header, ImagingError> {
    let mut budget = MAX_BOXES;
    let mut meta = None;
    let mut moov = false;
    let mut top = Boxes::new(b, &mut budget);
    while let Some((kind, content)) = top.next_box()? {
        match &kind {
            b"meta" if meta.is_none() => meta = Some(content),
            b"moov" => moov = true,
            _ => {}
        }
    }
    let Some(meta) = meta else {
        if moov {
            return Err(ImagingError::UnsupportedFormat("heif image sequence"));
        }
        return Err(corrupt("no meta box"));
    };
    let meta = read_meta(meta.get(4..).ok_or(ImagingError::Truncated)?, &mut budget)?;
    if meta.handler.and_then(|h| h.get(8..12)) != Some(b"pict") {
        return Err(corrupt("meta handler is not pict"));
    }
    let primary = meta.primary.ok_or_else(|| corrupt("no primary item"))?;
    let iinf = meta.iinf.ok_or_else(|| corrupt("no item information"))?;
    let kind = item_type(iinf, primary, &mut budget)?
        .ok_or_else(|| corrupt("primary item not declared"))?;
    let coded = match &kind {
        b"grid" | b"iden" | b"iovl" => {
            let sources = dimg(meta.iref, primary)?;
            if sources.0 > MAX_TILES {
                return Err(ImagingError::LimitExceeded(format!(
                    "heic: a grid of {} tiles, over the limit of {MAX_TILES}",
                    sources.0
                )));
            }
            let first = sources
                .1
                .ok_or_else(|| corrupt("derived image without sources"))?;
            item_type(iinf, first, &mut budget)?.ok_or_else(|| corrupt("tile not declared"))?
        }
        _ => kind,
    };
    match &coded {
        b"hvc1" => {}
        b"av01" => return Err(ImagingError::UnsupportedFormat("avif")),
        _ => return Err(ImagingError::UnsupportedFormat("heif not coded in HEVC")),
    }
    let properties = properties(meta.ipco, &meta.ipma, primary, &mut budget)?;
    let ispe = properties
        .iter()
        .find(|(kind, _)| kind == b"ispe")
        .ok_or_else(|| corrupt("primary image has no ispe"))?
        .1;
    let stored = (
        be32(ispe, 4).ok_or_else(|| corrupt("short ispe"))?,
        be32(ispe, 8).ok_or_else(|| corrupt("short ispe"))?,
    );
    let mut shown = stored;
    for (kind, content) in &properties {
        match kind {
            b"clap" => shown = clean_aperture(shown, content)?,
            b"irot" if content.first().is_some_and(|a| a & 1 == 1) => {
                shown = (shown.1, shown.0);
            }
            _ => {}
        }
    }
    Ok(Header { stored, shown })
}

fn read_meta<'a>(b: &'a [u8], budget: &mut usize) -> Result<Meta<'a>, ImagingError> {
    let mut meta = Meta::default();
    let mut boxes = Boxes::new(b, budget);
    let mut iprp = None;
    while let Some((kind, content)) = boxes.next_box()? {
        match &kind {
            b"hdlr" => meta.handler = Some(content),
            b"pitm" => {
                let wide = content.first().is_some_and(|&v| v > 0);
                meta.primary = Some(id_at(content, 4, wide).ok_or(ImagingError::Truncated)?);
            }
            b"iinf" => meta.iinf = Some(content),
            b"iref" => meta.iref = Some(content),
            b"iprp" => iprp = Some(content),
            _ => {}
        }
    }
    if let Some(iprp) = iprp {
        let mut boxes = Boxes::new(iprp, budget);
        while let Some((kind, content)) = boxes.next_box()? {
            match &kind {
                b"ipco" => meta.ipco = Some(content),
                b"ipma" => meta.ipma.push(content),
                _ => {}
            }
        }
    }
    Ok(meta)
}

/// The type of item `id` from `iinf`, if it is declared there.
fn item_type(iinf: &[u8], id: u32, budget: &mut usize) -> Result<Option<[u8; 4]>, ImagingError> {
    let wide = iinf.first().is_some_and(|&v| v > 0);
    let count = id_at(iinf, 4, wide).ok_or(ImagingError::Truncated)?;
    if count > MAX_ITEMS {
        return Err(ImagingError::LimitExceeded(format!(
            "heic: {count} items, over the limit of {MAX_ITEMS}"
        )));
    }
    let entries = iinf.get(if wide { 8 } else { 6 }..).unwrap_or_default();
    let mut boxes = Boxes::new(entries, budget);
    while let Some((kind, infe)) = boxes.next_box()? {
        if &kind != b"infe" {
            continue;
        }
        // Versions 2 and 3 carry the item type, after a 16- or 32-bit id
        // and the protection index.
        let version = infe.first().copied().unwrap_or(0);
        if version < 2 {
            continue;
        }
        let wide = version > 2;
        let type_at = if wide { 10 } else { 8 };
        if id_at(infe, 4, wide) == Some(id) {
            let kind = infe
                .get(type_at..type_at + 4)
                .ok_or(ImagingError::Truncated)?;
            return Ok(kind.try_into().ok());
        }
    }
    Ok(None)
}

/// The number of `dimg` sources of `from` and the first of them.
fn dimg(iref: Option<&[u8]>, from: u32) -> Result<(usize, Option<u32>), ImagingError> {
    let Some(iref) = iref else {
        return Ok((0, None));
    };
    let wide = iref.first().is_some_and(|&v| v > 0);
    let mut budget = MAX_BOXES;
    let mut boxes = Boxes::new(iref.get(4..).unwrap_or_default(), &mut budget);
    while let Some((kind, content)) = boxes.next_box()? {
        let id_len = if wide { 4 } else { 2 };
        if &kind == b"dimg" && id_at(content, 0, wide) == Some(from) {
            let count = be16(content, id_len).ok_or(ImagingError::Truncated)?;
            return Ok((usize::from(count), id_at(content, id_len + 2, wide)));
        }
    }
    Ok((0, None))
}

/// The property boxes associated with `item`, in association order.
fn properties<'a>(
    ipco: Option<&'a [u8]>,
    ipma: &[&[u8]],
    item: u32,
    budget: &mut usize,
) -> Result<Vec<RawBox<'a>>, ImagingError> {
    let Some(ipco) = ipco else {
        return Err(corrupt("no item properties"));
    };
    let mut all = Vec::new();
    let mut boxes = Boxes::new(ipco, budget);
    while let Some(property) = boxes.next_box()? {
        all.push(property);
    }
    let mut out = Vec::new();
    for b in ipma {
        let version = b.first().copied().unwrap_or(0);
        let large_index = b.get(3).is_some_and(|f| f & 1 == 1);
        let count = be32(b, 4).ok_or(ImagingError::Truncated)?;
        if count > MAX_ITEMS {
            return Err(ImagingError::LimitExceeded(format!(
                "heic: {count} property associations, over the limit of {MAX_ITEMS}"
            )));
        }
        let mut at = 8;
        for _ in 0..count {
            let id = id_at(b, at, version >= 1).ok_or(ImagingError::Truncated)?;
            at += if version >= 1 { 4 } else { 2 };
            let n = usize::from(*b.get(at).ok_or(ImagingError::Truncated)?);
            at += 1;
            for _ in 0..n {
                let index = if large_index {
                    be16(b, at).map(|v| v & 0x7FFF)
                } else {
                    b.get(at).map(|v| u16::from(v & 0x7F))
                }
                .ok_or(ImagingError::Truncated)?;
                at += if large_index { 2 } else { 1 };
                if id != item || index == 0 {
                    continue;
                }
                let property = all
                    .get(usize::from(index) - 1)
                    .ok_or_else(|| corrupt("property index out of range"))?;
                out.push(*property);
            }
        }
    }
    Ok(out)
}

/// The size after a `clap` crop, as the decoder computes it (centred on the
/// image centre plus the offset, rounded, clamped to the image).
fn clean_aperture((w, h): (u32, u32), clap: &[u8]) -> Result<(u32, u32), ImagingError> {
    let field = |i: usize| be32(clap, i * 4).ok_or_else(|| corrupt("short clap"));
    let (wn, wd, hn, hd) = (field(0)?, field(1)?, field(2)?, field(3)?);
    let (xn, xd, yn, yd) = (field(4)? as i32, field(5)?, field(6)? as i32, field(7)?);
    if wd == 0 || hd == 0 || xd == 0 || yd == 0 {
        return Err(corrupt("clap with a zero denominator"));
    }
    let side = |size: u32, num: u32, den: u32, off_num: i32, off_den: u32| {
        let crop = f64::from(num) / f64::from(den);
        let centre = f64::from(off_num) / f64::from(off_den) + (f64::from(size) - 1.0) / 2.0;
        let start = ((centre - (crop - 1.0) / 2.0).round().max(0.0) as u32).min(size);
        (crop.round() as u32).min(size - start)
    };
    Ok((side(w, wn, wd, xn, xd), side(h, hn, hd, yn, yd)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_aperture_matches_a_centred_crop() {
        let clap = |w: u32, h: u32| {
            let mut b = Vec::new();
            for v in [w, 1, h, 1, 0, 1, 0, 1] {
                b.extend_from_slice(&v.to_be_bytes());
            }
            b
        };
        assert_eq!(clean_aperture((100, 80), &clap(99, 79)), Ok((99, 79)));
        assert_eq!(clean_aperture((100, 80), &clap(500, 79)), Ok((100, 79)));
        assert!(clean_aperture((100, 80), &[0; 8]).is_err());
    }

    #[test]
    fn oversized_boxes_are_truncation() {
        let mut budget = MAX_BOXES;
        let data = b"\0\0\0\x20metaxxxx";
        let mut boxes = Boxes::new(data, &mut budget);
        assert_eq!(boxes.next_box(), Err(ImagingError::Truncated));
        let mut none = 0;
        let mut boxes = Boxes::new(b"\0\0\0\x08free", &mut none);
        assert!(matches!(
            boxes.next_box(),
            Err(ImagingError::LimitExceeded(_))
        ));
    }
}
