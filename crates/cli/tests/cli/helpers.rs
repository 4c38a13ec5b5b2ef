//! Running the binary and making files for it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use reqwest::StatusCode;

pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/material-2021-county.txt");

pub fn mingjing(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mingjing")).args(args).output().expect("binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh folder of the test's own under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mingjing-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A file in a fresh folder of its own.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_dir(name).join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

/// A server process, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn start(db: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mingjing"))
            .args(["serve", "--bind", "127.0.0.1:0", "--db", db])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mingjing serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let base = loop {
            let line = lines.next().expect("the server prints its address").expect("a line");
            if let Some(rest) = line.split("http://").nth(1) {
                break format!("http://{}", rest.split('/').next().expect("host:port"));
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the first hidden `csrf` field on a page.
pub fn token(html: &str) -> String {
    let key = "name=\"csrf\" value=\"";
    let start = html.find(key).expect("a form token") + key.len();
    html[start..].split('"').next().expect("value").to_owned()
}

pub async fn page(client: &reqwest::Client, url: &str) -> String {
    let response = client.get(url).send().await.expect("answer");
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.text().await.expect("body")
}

pub async fn post(client: &reqwest::Client, base: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    client.post(format!("{base}{path}")).header("origin", base).form(fields).send().await.expect("answer")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

pub async fn login(client: &reqwest::Client, base: &str, login: &str, password: &str) {
    let html = page(client, &format!("{base}/login")).await;
    let response =
        post(client, base, "/login", &[("csrf", &token(&html)), ("account", login), ("password", password)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{login} signs in");
}

pub async fn submit(client: &reqwest::Client, base: &str, campaign: &str, body: &str) {
    let html = page(client, &format!("{base}/campaigns/{campaign}")).await;
    let fields = [("csrf", token(&html)), ("version", "0".into()), ("mode", "text".into()), ("body", body.into())];
    let mut fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.push(("action", "submit"));
    let response = post(client, base, &format!("/campaigns/{campaign}/material"), &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", response.text().await.unwrap_or_default());
}
