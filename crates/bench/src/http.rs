//! A browser-like HTTP client for the load tests: one cookie jar per signed-in person, the
//! page's Origin on every post, redirects not followed (an accepted form answers 303), and
//! the few things read back from a page (the form token, the version, links).

use anyhow::{Result, anyhow, bail};
use reqwest::StatusCode;

/// A signed-in client (or one about to sign in) with its cookies.
#[derive(Debug, Clone)]
pub struct Session {
    client: reqwest::Client,
    base: String,
}

impl Session {
    /// A fresh client with an empty cookie jar: a new browser or phone.
    pub fn new(base: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(4)
            .build()?;
        Ok(Self { client, base: base.to_owned() })
    }

    /// Signs in through the login form, as a person would.
    pub async fn login(base: &str, login: &str, password: &str) -> Result<Self> {
        let session = Self::new(base)?;
        let html = session.page("/login").await?;
        let fields = [("csrf", token(&html)?), ("account", login.to_owned()), ("password", password.to_owned())];
        let response = session.post("/login", &fields).await?;
        let status = response.status();
        let location = location(&response);
        if status != StatusCode::SEE_OTHER || location != "/" {
            bail!("{login} cannot sign in: {status} → {location:?}");
        }
        Ok(session)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// A page that must answer 200, as text.
    pub async fn page(&self, path: &str) -> Result<String> {
        let (status, text) = self.get(path).await?;
        if !status.is_success() {
            bail!("GET {path}: {status}");
        }
        Ok(text)
    }

    /// Any answer, with its status.
    pub async fn get(&self, path: &str) -> Result<(StatusCode, String)> {
        let response = self.client.get(format!("{}{path}", self.base)).send().await?;
        let status = response.status();
        Ok((status, response.text().await?))
    }

    /// The `Location` a GET redirects to.
    pub async fn redirect_of(&self, path: &str) -> Result<String> {
        let response = self.client.get(format!("{}{path}", self.base)).send().await?;
        if response.status() != StatusCode::SEE_OTHER {
            bail!("GET {path}: {} where a redirect was expected", response.status());
        }
        Ok(location(&response))
    }

    pub async fn post<K: AsRef<str>, V: AsRef<str>>(&self, path: &str, fields: &[(K, V)]) -> Result<reqwest::Response> {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        let request = self.client.post(format!("{}{path}", self.base)).header("origin", &self.base).form(&pairs);
        Ok(request.send().await?)
    }

    /// A post that must be accepted with a redirect; returns where to.
    pub async fn post_redirect<K: AsRef<str>, V: AsRef<str>>(&self, path: &str, fields: &[(K, V)]) -> Result<String> {
        let response = self.post(path, fields).await?;
        let status = response.status();
        if status != StatusCode::SEE_OTHER {
            let text = response.text().await.unwrap_or_default();
            bail!("POST {path}: {status}: {}", first_message(&text));
        }
        Ok(location(&response))
    }

    /// A post that must answer 200 with a page containing `expected`.
    pub async fn post_ok<K: AsRef<str>, V: AsRef<str>>(
        &self,
        path: &str,
        fields: &[(K, V)],
        expected: &str,
    ) -> Result<String> {
        let response = self.post(path, fields).await?;
        let status = response.status();
        let text = response.text().await?;
        if status != StatusCode::OK || !text.contains(expected) {
            bail!("POST {path}: {status}: {}", first_message(&text));
        }
        Ok(text)
    }
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The page's error message, if it shows one, else its start: enough to tell what went wrong.
fn first_message(html: &str) -> String {
    for key in ["alert-error", "<h1>"] {
        if let Some(at) = html.find(key) {
            // From the end of the tag the key is in, so that none of the tag's own text is kept.
            let rest = &html[at..];
            let rest = rest.find('>').map_or(rest, |end| &rest[end + 1..]);
            let text: String = strip_tags(rest).chars().take(160).collect();
            return text.trim().to_owned();
        }
    }
    html.chars().take(160).collect()
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text after `key` up to the next double quote.
pub fn attribute_after<'a>(html: &'a str, key: &str) -> Option<&'a str> {
    let start = html.find(key)? + key.len();
    html[start..].split('"').next()
}

/// The value of the page's first form token.
pub fn token(html: &str) -> Result<String> {
    attribute_after(html, "name=\"csrf\" value=\"").map(str::to_owned).ok_or_else(|| anyhow!("no form token"))
}

/// The version a form carries, if it has one.
pub fn version(html: &str) -> Option<String> {
    attribute_after(html, "name=\"version\" value=\"").map(str::to_owned)
}

/// Every `/prefix…"` link target on a page.
pub fn links(html: &str, prefix: &str) -> Vec<String> {
    let key = format!("href=\"{prefix}");
    html.split(&key).skip(1).filter_map(|s| s.split('"').next()).map(|s| format!("{prefix}{s}")).collect()
}

/// The distinct ids of the form fields named `prefix<id>`, in page order.
pub fn field_ids(html: &str, prefix: &str) -> Vec<String> {
    let key = format!("name=\"{prefix}");
    let mut ids: Vec<String> = Vec::new();
    for id in html.split(&key).skip(1).filter_map(|s| s.split('"').next()) {
        if !ids.iter().any(|seen| seen == id) {
            ids.push(id.to_owned());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_read_for_tokens_versions_links_and_field_ids() {
        let html = r#"<form><input type="hidden" name="csrf" value="t0k"><input name="version" value="3">
            <a href="/materials/a1">查看</a><a href="/materials/b2">查看</a>
            <input type="radio" name="g_m1" value="excellent"><input type="radio" name="g_m1" value="competent">
            <input type="radio" name="g_m2" value="excellent"></form>"#;
        assert_eq!(token(html).unwrap(), "t0k");
        assert_eq!(version(html).as_deref(), Some("3"));
        assert_eq!(links(html, "/materials/"), ["/materials/a1", "/materials/b2"]);
        assert_eq!(field_ids(html, "g_"), ["m1", "m2"]);
        assert!(token("<p>none</p>").is_err());
        assert_eq!(first_message("<div class=\"alert alert-error\"><h1>材料是空的</h1></div>"), "材料是空的");
    }
}
