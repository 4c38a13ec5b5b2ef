//! Opening a file with real readers, for tests (feature `testing`): LibreOffice converts it to PDF, poppler reads
//! the PDF's text, page count and fonts. Each conversion has its own directory and LibreOffice profile, so tests
//! running in parallel do not share LibreOffice's lock.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// What a reader made of a file.
#[derive(Debug, Clone)]
pub struct Pdf {
    pub path: PathBuf,
    /// pdftotext's text, in reading order.
    pub text: String,
    pub pages: u32,
    /// The fonts the PDF embeds (pdffonts' names without the subset prefix).
    pub fonts: Vec<String>,
}

impl Pdf {
    /// The text with all whitespace removed: pdftotext breaks lines where the page does.
    pub fn compact_text(&self) -> String {
        self.text.chars().filter(|c| !c.is_whitespace()).collect()
    }
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Writes `bytes` as `name` (its extension tells LibreOffice the format), converts it to PDF and reads the PDF.
/// Panics with what went wrong: a file the reader cannot open is a failed test.
pub fn convert(bytes: &[u8], name: &str) -> Pdf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mingjing-documents-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join(name);
    std::fs::write(&input, bytes).expect("write the file");
    let profile = format!("file://{}", dir.join("profile").display());
    let out = run(Command::new("timeout")
        .args(["180", "libreoffice", &format!("-env:UserInstallation={profile}"), "--headless", "--norestore"])
        .args(["--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .arg(&input));
    let pdf = input.with_extension("pdf");
    assert!(pdf.exists(), "LibreOffice made no PDF of {name}: {out}");
    read_pdf(&pdf)
}

/// Reads a PDF with poppler's tools.
pub fn read_pdf(pdf: &Path) -> Pdf {
    let text = run(Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(pdf).arg("-"));
    let info = run(Command::new("pdfinfo").arg(pdf));
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo gave no page count: {info}"));
    let listing = run(Command::new("pdffonts").arg(pdf));
    let mut fonts: Vec<String> = listing
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .map(|name| name.split_once('+').map_or(name, |(_, rest)| rest).to_owned())
        .collect();
    fonts.dedup();
    Pdf { path: pdf.to_owned(), text, pages, fonts }
}

/// Renders page `page` of a PDF as a PNG next to it (for a person to look at) and gives its path.
pub fn page_png(pdf: &Path, page: u32) -> PathBuf {
    let prefix = pdf.with_extension("");
    let p = page.to_string();
    run(Command::new("pdftoppm").args(["-png", "-r", "60", "-f", &p, "-l", &p, "-singlefile"]).arg(pdf).arg(&prefix));
    prefix.with_extension("png")
}

fn run(command: &mut Command) -> String {
    let output =
        command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e} (see scripts/lib/libreoffice.sh)"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
