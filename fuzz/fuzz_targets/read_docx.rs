//! Fuzzes the `.docx` path: zip, XML and hints, then normalization of whatever reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mingjing_review::input;
use mingjing_review::normalize::NormText;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = input::read("x.docx", data) {
        check(&NormText::new(&source));
    }
});

/// The invariants the checks rely on: paragraphs tile the text and map back inside it.
fn check(text: &NormText) {
    let mut end = 0;
    for (i, p) in text.paragraphs().iter().enumerate() {
        assert!(!p.range.is_empty());
        assert_eq!(p.range.start, if i == 0 { 0 } else { end + 1 });
        end = p.range.end;
        let span = text.to_original(p.range.clone());
        assert!(span.start < span.end && span.end <= text.original_len());
    }
    assert_eq!(end, text.len());
}
