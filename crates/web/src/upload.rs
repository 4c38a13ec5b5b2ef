//! The name an uploaded file is known by. Browsers send what they like: old Internet Explorer sends the whole
//! Windows path, a hostile client sends `../` runs, control characters or right-to-left overrides that make
//! `gpj.exe` read as `exe.jpg`. The name is only ever shown and logged, never used as a path, but it must not lie.

/// The most characters of a name kept: enough for any real file name, short enough for a table cell.
const MAX_CHARS: usize = 100;

/// The last path component of `sent`, without control or bidirectional-formatting characters, trimmed and cut
/// to [`MAX_CHARS`]; `fallback` when nothing is left.
pub fn file_name(sent: Option<&str>, fallback: &str) -> String {
    let last = sent.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control() && !is_bidi_control(*c)).take(MAX_CHARS).collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    if clean.is_empty() { fallback.to_owned() } else { clean.to_owned() }
}

/// The embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069) and the implicit marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn paths_are_cut_to_their_last_component() {
        assert_eq!(file_name(Some(r"C:\Users\党建\Desktop\对照检查材料.docx"), "upload"), "对照检查材料.docx");
        assert_eq!(file_name(Some("../../../etc/passwd.txt"), "upload"), "passwd.txt");
        assert_eq!(file_name(Some("材料/"), "upload"), "upload");
        assert_eq!(file_name(Some(".."), "upload"), "upload");
        assert_eq!(file_name(Some(".bashrc"), "upload"), "bashrc");
    }

    #[test]
    fn control_and_direction_characters_are_dropped() {
        assert_eq!(file_name(Some("材料\u{202E}xcod.exe"), "upload"), "材料xcod.exe");
        assert_eq!(file_name(Some("a\0b\r\nc.txt"), "upload"), "abc.txt");
        assert_eq!(file_name(Some("\u{2066}\u{2069}"), "upload"), "upload");
    }

    #[test]
    fn missing_empty_and_long_names() {
        assert_eq!(file_name(None, "花名册"), "花名册");
        assert_eq!(file_name(Some("   "), "花名册"), "花名册");
        assert_eq!(file_name(Some(&format!("{}.txt", "长".repeat(300))), "x").chars().count(), 100);
    }
}
