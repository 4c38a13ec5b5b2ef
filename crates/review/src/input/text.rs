//! Decoding of plain-text files: UTF-8 (with or without BOM), UTF-16 with BOM, and the
//! GB18030/GBK that Windows Notepad and older WPS still write for Chinese text.

use std::str::Utf8Error;

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};

use super::{Format, ReadError};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const UTF16LE_BOM: &[u8] = b"\xFF\xFE";
const UTF16BE_BOM: &[u8] = b"\xFE\xFF";

/// Decodes the bytes of a text file exactly (no line-ending or other changes), the BOM
/// removed.
pub(super) fn decode(bytes: &[u8]) -> Result<(String, Format), ReadError> {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        check_bytes(rest)?;
        return utf8(rest).map(|text| (text, Format::Utf8)).ok_or(ReadError::UnknownEncoding);
    }
    for (bom, encoding) in [(UTF16LE_BOM, UTF_16LE), (UTF16BE_BOM, UTF_16BE)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let text = strict(encoding, rest).ok_or(ReadError::UnknownEncoding)?;
            check_chars(&text)?;
            return Ok((text, Format::Utf16));
        }
    }
    check_bytes(bytes)?;
    if let Some(text) = utf8(bytes) {
        return Ok((text, Format::Utf8));
    }
    strict(GB18030, bytes).map(|text| (text, Format::Gb18030)).ok_or(ReadError::UnknownEncoding)
}

/// Valid UTF-8, or UTF-8 cut off in the middle of its last char (a truncated upload or
/// copy): the partial char is dropped rather than letting GB18030 turn the whole file
/// into mojibake.
fn utf8(bytes: &[u8]) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text.to_owned()),
        Err(e) if truncated(&e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok().map(str::to_owned),
        Err(_) => None,
    }
}

fn truncated(e: &Utf8Error) -> bool {
    e.error_len().is_none()
}

fn strict(encoding: &'static Encoding, bytes: &[u8]) -> Option<String> {
    encoding.decode_without_bom_handling_and_without_replacement(bytes).map(|text| text.into_owned())
}

/// Controls a text file may legitimately hold: tab, line feed, vertical tab (Word's
/// manual line break when copied), form feed (page breaks in text extracted from PDF),
/// carriage return.
fn allowed_control(c: u32) -> bool {
    matches!(c, 0x09..=0x0D)
}

/// Share of other C0 controls above which a file is taken for binary data: real text
/// has at most a few stray ones, while random bytes have about 12%.
fn too_many_controls(controls: usize, total: usize) -> bool {
    controls * 20 > total
}

/// Binary detection on raw bytes; valid for UTF-8 and GB18030 because neither uses
/// bytes below 0x20 inside multi-byte chars.
fn check_bytes(bytes: &[u8]) -> Result<(), ReadError> {
    if bytes.contains(&0) {
        return Err(ReadError::Binary);
    }
    let controls = bytes.iter().filter(|&&b| b < 0x20 && !allowed_control(u32::from(b))).count();
    if too_many_controls(controls, bytes.len()) {
        return Err(ReadError::Binary);
    }
    Ok(())
}

/// Binary detection after UTF-16 decoding, where raw bytes say nothing.
fn check_chars(text: &str) -> Result<(), ReadError> {
    let mut total = 0;
    let mut controls = 0;
    for c in text.chars() {
        total += 1;
        let c = u32::from(c);
        if c == 0 {
            return Err(ReadError::Binary);
        }
        if c < 0x20 && !allowed_control(c) {
            controls += 1;
        }
    }
    if too_many_controls(controls, total) {
        return Err(ReadError::Binary);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "一、存在的主要问题\r\n（一）政治方面\r\n一是理论学习不深入，“四个意识”不强。𠀋\n";

    #[test]
    fn utf8_plain_and_with_bom() {
        assert_eq!(decode(SAMPLE.as_bytes()), Ok((SAMPLE.to_owned(), Format::Utf8)));
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice(SAMPLE.as_bytes());
        assert_eq!(decode(&bytes), Ok((SAMPLE.to_owned(), Format::Utf8)));
    }

    #[test]
    fn gbk_and_gb18030_decode_to_the_same_text() {
        let (bytes, _, unmappable) = GB18030.encode(SAMPLE);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "the sample must not be valid UTF-8 as GB18030");
        assert_eq!(decode(&bytes), Ok((SAMPLE.to_owned(), Format::Gb18030)));
        let gbk_only = "学习贯彻党的创新理论情况，党性修养提高情况。";
        let (bytes, _, _) = encoding_rs::GBK.encode(gbk_only);
        assert_eq!(decode(&bytes), Ok((gbk_only.to_owned(), Format::Gb18030)));
    }

    #[test]
    fn utf16_with_bom_both_orders() {
        let le: Vec<u8> = UTF16LE_BOM.iter().copied().chain(SAMPLE.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let be: Vec<u8> = UTF16BE_BOM.iter().copied().chain(SAMPLE.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode(&le), Ok((SAMPLE.to_owned(), Format::Utf16)));
        assert_eq!(decode(&be), Ok((SAMPLE.to_owned(), Format::Utf16)));
    }

    #[test]
    fn odd_utf16_is_not_guessed() {
        let mut le: Vec<u8> = UTF16LE_BOM.to_vec();
        le.extend_from_slice(&[0x00, 0x4E, 0x2D]);
        assert_eq!(decode(&le), Err(ReadError::UnknownEncoding));
    }

    #[test]
    fn truncated_utf8_keeps_the_whole_chars() {
        let bytes = &"学习".as_bytes()[..5];
        assert_eq!(decode(bytes), Ok(("学".to_owned(), Format::Utf8)));
    }

    #[test]
    fn binary_is_refused() {
        assert_eq!(decode(b"abc\0def"), Err(ReadError::Binary));
        let noisy: Vec<u8> = (0u8..=255).cycle().skip(1).take(2000).filter(|&b| b != 0).collect();
        assert_eq!(decode(&noisy), Err(ReadError::Binary));
        let utf16_nul: Vec<u8> = UTF16LE_BOM.iter().copied().chain([0, 0, 0x41, 0]).collect();
        assert_eq!(decode(&utf16_nul), Err(ReadError::Binary));
    }

    #[test]
    fn a_few_stray_controls_are_text() {
        let text = format!("{}\u{7}{}\u{b}", SAMPLE.repeat(3), SAMPLE);
        assert_eq!(decode(text.as_bytes()), Ok((text.clone(), Format::Utf8)));
    }

    #[test]
    fn neither_utf8_nor_gb18030_is_unknown() {
        // 0xFF is neither a GB18030 lead byte nor valid UTF-8.
        assert_eq!(decode(b"abc\xFFdef"), Err(ReadError::UnknownEncoding));
        assert_eq!(decode(b"\xEF\xBB\xBFabc\xFFdef"), Err(ReadError::UnknownEncoding));
    }
}
