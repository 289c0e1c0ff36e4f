//! The embedded ICC profile as the facts report it: its description (`desc`
//! tag, read by moxcms: ICC v2 `desc` text or v4 `mluc`, first record), and
//! the two containers that store a profile other than as one slice: JPEG
//! APP2 `ICC_PROFILE` chunks, and PNG `iCCP`'s zlib stream.
//!
//! Bounds: a profile larger than [`MAX_PROFILE_BYTES`] is not read (as the
//! colour conversion ignores it); inflating stops at that size; the text is
//! cut to [`MAX_DESCRIPTION_CHARS`].

use std::borrow::Cow;

use moxcms::{ColorProfile, ParsingOptions, ProfileText};

use crate::colour::MAX_PROFILE_BYTES;

/// Most characters of a description kept.
pub(crate) const MAX_DESCRIPTION_CHARS: usize = 200;

/// `ICC_PROFILE\0`, which opens each APP2 chunk of a JPEG profile.
const JPEG_TAG: &[u8] = b"ICC_PROFILE\0";

/// The description of `profile`: trimmed of NULs and white space, at most
/// [`MAX_DESCRIPTION_CHARS`] characters. `None` when the profile cannot be
/// parsed, or has no description (or an empty one).
pub(crate) fn description(profile: &[u8]) -> Option<String> {
    if profile.is_empty() || profile.len() > MAX_PROFILE_BYTES {
        return None;
    }
    let options = ParsingOptions {
        max_profile_size: MAX_PROFILE_BYTES + 1,
        ..ParsingOptions::default()
    };
    let parsed = ColorProfile::new_from_slice_with_options(profile, options).ok()?;
    let text = match parsed.description? {
        ProfileText::PlainString(s) => s,
        ProfileText::Localizable(records) => records.into_iter().next()?.value,
        ProfileText::Description(d) if !d.ascii_string.trim_matches(trimmed).is_empty() => {
            d.ascii_string
        }
        ProfileText::Description(d) => d.unicode_string,
    };
    let text = text.trim_matches(trimmed);
    let text: String = text.chars().take(MAX_DESCRIPTION_CHARS).collect();
    let text = text.trim_end_matches(trimmed);
    (!text.is_empty()).then(|| text.to_owned())
}

/// Characters trimmed off a description's ends.
fn trimmed(c: char) -> bool {
    c == '\0' || c.is_whitespace()
}

/// The profile carried by a JPEG's APP2 `payloads` (each whole segment
/// payload; those of other APP2 uses are skipped): the chunks' data joined
/// in their sequence numbers' order (the order of the file among equal
/// numbers). `None` when there is no chunk, or the profile would be too large.
pub(crate) fn jpeg_profile<'a>(payloads: &[&'a [u8]]) -> Option<Cow<'a, [u8]>> {
    let mut chunks: Vec<(u8, &[u8])> = payloads
        .iter()
        .filter_map(|p| {
            let rest = p.strip_prefix(JPEG_TAG)?;
            // Sequence number (from 1) and count, then the data.
            Some((*rest.first()?, rest.get(2..)?))
        })
        .collect();
    match chunks.as_slice() {
        [] => None,
        [(_, data)] => Some(Cow::Borrowed(*data)),
        _ => {
            chunks.sort_by_key(|&(seq, _)| seq);
            let total: usize = chunks.iter().map(|(_, d)| d.len()).sum();
            if total > MAX_PROFILE_BYTES {
                return None;
            }
            Some(Cow::Owned(
                chunks.iter().flat_map(|(_, d)| *d).copied().collect(),
            ))
        }
    }
}

/// The profile of a PNG `iCCP` chunk's data: a Latin-1 name, NUL, the
/// compression method (0, zlib), then the zlib stream, inflated to at most
/// [`MAX_PROFILE_BYTES`].
pub(crate) fn png_profile(iccp: &[u8]) -> Option<Vec<u8>> {
    let nul = iccp.iter().take(80).position(|&b| b == 0)?;
    let (&method, stream) = iccp.get(nul + 1..)?.split_first()?;
    if method != 0 {
        return None;
    }
    miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(stream, MAX_PROFILE_BYTES).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use moxcms::LocalizableString;

    fn profile(text: ProfileText) -> Vec<u8> {
        let mut p = ColorProfile::new_display_p3();
        p.description = Some(text);
        p.encode().expect("encodes")
    }

    #[test]
    fn descriptions_of_each_text_type() {
        let v4 = profile(ProfileText::Localizable(vec![
            LocalizableString::new("en".into(), "US".into(), " Display P3\0\0".into()),
            LocalizableString::new("de".into(), "DE".into(), "Anzeige".into()),
        ]));
        assert_eq!(description(&v4).as_deref(), Some("Display P3"));
        // An ICC v2 profile (`desc` type): the Adobe RGB one of the rocket.
        let jpeg = pixpipe_testphotos::Photo::Rocket.bytes();
        let app2: Vec<&[u8]> = crate::markers::segments(jpeg)
            .filter(|&(marker, _)| marker == 0xE2)
            .map(|(_, payload)| payload)
            .collect();
        let v2 = jpeg_profile(&app2).expect("the rocket's profile");
        assert_eq!(v2[12..16], *b"mntr", "a display profile");
        assert_eq!(v2[8], 2, "version 2");
        let text = description(&v2).expect("a description");
        assert!(text.contains("Adobe RGB"), "{text}");
        let long = profile(ProfileText::Localizable(vec![LocalizableString::new(
            "en".into(),
            "US".into(),
            "x".repeat(500),
        )]));
        assert_eq!(description(&long).map(|d| d.len()), Some(200));
        let blank = profile(ProfileText::Localizable(vec![LocalizableString::new(
            "en".into(),
            "US".into(),
            " \0 ".into(),
        )]));
        assert_eq!(description(&blank), None);
    }

    #[test]
    fn truncated_or_garbage_profiles_do_not_panic() {
        let p = ColorProfile::new_display_p3().encode().expect("encodes");
        assert!(description(&p).is_some());
        for cut in 0..p.len() {
            let _ = description(&p[..cut]);
        }
        assert_eq!(description(&[0xAB; 300]), None);
        assert_eq!(description(&[]), None);
    }

    #[test]
    fn jpeg_chunks_are_joined_in_sequence_order() {
        let chunk = |seq: u8, data: &[u8]| [JPEG_TAG, &[seq, 3], data].concat();
        let (a, b, c) = (chunk(1, b"abc"), chunk(2, b"def"), chunk(3, b"g"));
        let joined = jpeg_profile(&[&c, b"other", &a, &b]).expect("a profile");
        assert_eq!(&*joined, b"abcdefg");
        assert_eq!(jpeg_profile(&[&a]).as_deref(), Some(&b"abc"[..]));
        assert_eq!(jpeg_profile(&[b"ICC_PROFILE\0"]), None);
        assert_eq!(jpeg_profile(&[]), None);
    }

    #[test]
    fn png_profiles_are_inflated_within_bounds() {
        let data = b"profile bytes".repeat(10);
        let stream = miniz_oxide::deflate::compress_to_vec_zlib(&data, 6);
        let chunk = [&b"ICC\0\0"[..], &stream].concat();
        assert_eq!(png_profile(&chunk), Some(data.clone()));
        for cut in 0..chunk.len() {
            assert_eq!(png_profile(&chunk[..cut]), None, "cut at {cut}");
        }
        let other_method = [&b"ICC\0\x01"[..], &stream].concat();
        assert_eq!(png_profile(&other_method), None);
        // A stream inflating past the cap is refused.
        let huge = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0; MAX_PROFILE_BYTES + 1], 6);
        assert_eq!(png_profile(&[&b"x\0\0"[..], &huge].concat()), None);
    }
}
