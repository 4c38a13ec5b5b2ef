//! Static files compiled into the binary, served under a path that holds a hash of their content, so browsers keep
//! them for a year and still fetch the new file the moment it changes.
//!
//! `htmx.min.js` is htmx 2.0.4, unmodified, from the npm package `htmx.org` (licence in `static/htmx.LICENSE`).
//! It is the last 2.0.x that Chromium 78 (WeChat's older browser, 360 极速模式) can parse: 2.0.5 brought `?.` and
//! 2.0.9 `??`, and a syntax error loses the whole script. The test below keeps an upgrade honest.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 2] = [
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../static/app.css") },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/htmx.min.js"),
    },
];

/// The content hash of each asset, in the order of `ASSETS`.
static VERSIONS: LazyLock<Vec<String>> =
    LazyLock::new(|| ASSETS.iter().map(|a| format!("{:016x}", fnv1a(a.bytes))).collect());

/// FNV-1a: the hash only has to change when a file does, not resist an attacker, and needs no dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The URL of a static file, e.g. `/static/1f2e…/app.css`; `None` for a file that is not built in.
pub fn url(name: &str) -> Option<String> {
    let index = ASSETS.iter().position(|a| a.name == name)?;
    Some(format!("/static/{}/{}", VERSIONS[index], name))
}

/// Serves `/static/{version}/{file}`. A stale version (a page cached from before an upgrade) still gets the current
/// file, but one the browser must not keep.
pub(crate) async fn serve(Path((version, file)): Path<(String, String)>) -> Result<Response, AppError> {
    let index = ASSETS.iter().position(|a| a.name == file).ok_or(AppError::NotFound)?;
    let asset = &ASSETS[index];
    let cache = if VERSIONS[index] == version { "public, max-age=31536000, immutable" } else { "no-cache" };
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_a_content_hash() {
        let css = url("app.css").unwrap();
        assert!(css.starts_with("/static/") && css.ends_with("/app.css"));
        assert_eq!(css.len(), "/static//app.css".len() + 16);
        assert_ne!(url("htmx.min.js").unwrap().split('/').nth(2), css.split('/').nth(2));
        assert!(url("secrets.toml").is_none());
    }

    /// A rule left open (a brace lost in a merge) silently nests every later rule inside it, which old browsers
    /// drop and new ones apply to nothing: every block must close, and only at-rules (`@media`) may hold rules.
    #[test]
    fn the_stylesheet_closes_every_block() {
        let css = ASSETS.iter().find(|a| a.name == "app.css").map(|a| String::from_utf8_lossy(a.bytes)).unwrap();
        let mut open: Vec<(bool, usize)> = Vec::new();
        let (mut prelude, mut line, mut rest) = (String::new(), 1, css.as_ref());
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("/*") {
                let end = after.find("*/").expect("a closed comment") + 2;
                line += after[..end].matches('\n').count();
                rest = &after[end..];
                continue;
            }
            match c {
                '{' => {
                    let at_rule = prelude.trim_start().starts_with('@');
                    assert!(
                        open.last().is_none_or(|(outer_at_rule, _)| *outer_at_rule),
                        "line {line}: a rule inside the rule opened on line {}",
                        open.last().map_or(0, |(_, l)| *l)
                    );
                    open.push((at_rule, line));
                    prelude.clear();
                }
                '}' => {
                    assert!(open.pop().is_some(), "line {line}: a brace closes nothing");
                    prelude.clear();
                }
                ';' => prelude.clear(),
                '\n' => {
                    line += 1;
                    prelude.push(c);
                }
                _ => prelude.push(c),
            }
            rest = &rest[c.len_utf8()..];
        }
        assert!(open.is_empty(), "blocks left open, opened on lines {open:?}");
    }

    /// Chromium 78 and iOS Safari 13.0–13.3 reject the whole script on `?.` or `??`, so an htmx upgrade that
    /// brings them in must fail here rather than on a member's phone.
    #[test]
    fn vendored_scripts_parse_on_chromium_78() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(asset.bytes).unwrap();
            assert!(!text.contains("??"), "{} uses ??", asset.name);
            let optional_chaining = text
                .as_bytes()
                .windows(3)
                .any(|w| w[0] == b'?' && w[1] == b'.' && (w[2].is_ascii_alphabetic() || w[2] == b'_' || w[2] == b'$'));
            assert!(!optional_chaining, "{} uses ?.", asset.name);
        }
    }

    /// The stylesheet avoids what Chromium 78 and iOS Safari 13 lack.
    #[test]
    fn stylesheet_avoids_unsupported_features() {
        let text = std::str::from_utf8(ASSETS[0].bytes).unwrap();
        // Comments may name what the rules avoid.
        let css: String = text.split("/*").map(|part| part.split_once("*/").map_or(part, |(_, rest)| rest)).collect();
        for banned in [":has(", "@container", ":is(", ":where(", "&", "aspect-ratio", "inset:"] {
            assert!(!css.contains(banned), "app.css uses {banned}");
        }
    }
}
