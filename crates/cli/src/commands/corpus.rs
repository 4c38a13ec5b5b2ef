//! Reference corpora on disk: the folders given with `--corpus`/`--templates`, read in
//! parallel into an index and an in-memory text store, or a saved index whose texts are
//! read from their files when a candidate needs them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use mingjing_review::copy::{
    BuildDoc, DocKind, Index, IndexError, Params, SourceDoc, SourceTexts, chars_hashes, document_hashes,
    significant_chars,
};
use mingjing_review::input;
use mingjing_review::normalize::NormText;
use rayon::prelude::*;

/// File endings the engine reads.
const READABLE: &[&str] = &["txt", "md", "docx"];

/// Optional file in a corpus folder naming each file's author and kind:
/// `path<TAB>author<TAB>kind` per line, paths relative to the folder.
pub const MANIFEST: &str = "manifest.tsv";

/// One corpus file and what the manifest says of it.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    /// The path as found, which is also the document's id.
    pub path: PathBuf,
    pub author: Option<String>,
    pub kind: DocKind,
}

impl CorpusFile {
    pub fn id(&self) -> String {
        self.path.display().to_string()
    }
}

/// Every readable file under a folder, sorted, with manifest data where there is one.
pub fn list(dir: &Path, kind: DocKind) -> Result<Vec<CorpusFile>, String> {
    if !dir.is_dir() {
        return Err(format!("{}：不是一个文件夹", dir.display()));
    }
    let manifest = read_manifest(dir)?;
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(|e| format!("无法读取文件夹 {}：{e}", dir.display()))?;
        let path = entry.path();
        let readable = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| READABLE.contains(&e.to_ascii_lowercase().as_str()));
        if !entry.file_type().is_file() || !readable {
            continue;
        }
        let relative = path.strip_prefix(dir).unwrap_or(path).to_path_buf();
        let (author, listed_kind) = manifest.get(&relative).cloned().unwrap_or((None, kind));
        files.push(CorpusFile { path: path.to_path_buf(), author, kind: listed_kind });
    }
    Ok(files)
}

type Manifest = HashMap<PathBuf, (Option<String>, DocKind)>;

fn read_manifest(dir: &Path) -> Result<Manifest, String> {
    let path = dir.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Manifest::new());
    };
    let mut manifest = Manifest::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        let kind = match fields.get(2).map(|k| k.trim()) {
            None | Some("" | "member") => DocKind::Member,
            Some("previous_year") => DocKind::PreviousYear,
            Some("template") => DocKind::Template,
            Some(other) => return Err(format!("{} 第 {} 行：未知的文档类型“{other}”", path.display(), n + 1)),
        };
        let author = fields.get(1).map(|a| a.trim()).filter(|a| !a.is_empty()).map(str::to_owned);
        manifest.insert(PathBuf::from(fields[0].trim()), (author, kind));
    }
    Ok(manifest)
}

/// Reads and normalizes one file.
pub fn load(path: &Path) -> Result<SourceDoc, String> {
    Ok(SourceDoc::new(NormText::new(&read(path)?)))
}

fn read(path: &Path) -> Result<input::Source, String> {
    let bytes = super::read_limited(path)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    input::read(&name, &bytes).map_err(|e| e.to_string())
}

/// Whether an index build keeps the normalized texts for reviewing against them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Texts {
    Keep,
    /// Only the index is wanted (`index build`): each file is cut straight to its significant chars, several
    /// times faster than normalizing it whole.
    Drop,
}

/// One file read for the index: its text if kept, its skeleton length and its hashes.
type Indexed = (Option<SourceDoc>, usize, Vec<u32>);

fn read_for_index(path: &Path, params: Params, texts: Texts) -> Result<Indexed, String> {
    match texts {
        Texts::Keep => {
            let doc = load(path)?;
            let hashes = document_hashes(&doc.skeleton, params);
            let chars = doc.skeleton.len();
            Ok((Some(doc), chars, hashes))
        }
        Texts::Drop => {
            let chars = significant_chars(read(path)?.text());
            Ok((None, chars.len(), chars_hashes(&chars, params)))
        }
    }
}

/// A progress bar on standard error, drawn only when that is a terminal.
pub fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    let style = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} 份，{per_sec}，剩余约 {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

/// A corpus loaded for review: its index and its texts.
#[derive(Debug, Default)]
pub struct Loaded {
    pub index: Index,
    pub texts: FileTexts,
    /// Files that could not be read, with why.
    pub skipped: Vec<(PathBuf, String)>,
    pub files: Vec<CorpusFile>,
}

/// Reads the files, in parallel, into a fresh index, keeping their texts in memory or not.
pub fn index_files(files: Vec<CorpusFile>, params: Params, what: &str, keep: Texts) -> Result<Loaded, IndexError> {
    let bar = progress(files.len(), what);
    let loaded: Vec<Result<Indexed, String>> = files
        .par_iter()
        .map(|f| {
            let read = read_for_index(&f.path, params, keep);
            bar.inc(1);
            read
        })
        .collect();
    bar.finish_and_clear();
    let mut texts = FileTexts::default();
    let mut skipped = Vec::new();
    let mut kept = Vec::new();
    let mut hashes = Vec::new();
    let mut lengths = Vec::new();
    for (file, result) in files.into_iter().zip(loaded) {
        match result {
            Ok((doc, chars, h)) => {
                if let Some(doc) = doc {
                    texts.insert(&file.id(), Arc::new(doc));
                }
                hashes.push(h);
                lengths.push(chars);
                kept.push(file);
            }
            Err(why) => skipped.push((file.path, why)),
        }
    }
    let ids: Vec<String> = kept.iter().map(CorpusFile::id).collect();
    let index = Index::build(
        params,
        kept.iter().zip(&ids).zip(hashes.iter().zip(&lengths)).map(|((file, id), (h, &chars))| BuildDoc {
            id,
            author: file.author.as_deref(),
            kind: file.kind,
            chars,
            hashes: h,
        }),
    )?;
    Ok(Loaded { index, texts, skipped, files: kept })
}

/// Says once which corpus files were passed over.
pub fn warn_skipped(skipped: &[(PathBuf, String)]) {
    if skipped.is_empty() {
        return;
    }
    eprintln!("警告：参考材料中有 {} 个文件无法读取，已跳过：", skipped.len());
    for (path, why) in skipped {
        eprintln!("  {}：{why}", path.display());
    }
}

/// Texts by document id: loaded ones in memory, others read from their file on first
/// use (a saved index names files, not texts).
#[derive(Debug, Default)]
pub struct FileTexts {
    loaded: HashMap<String, Arc<SourceDoc>>,
    cache: Mutex<HashMap<String, Option<Arc<SourceDoc>>>>,
}

impl FileTexts {
    pub fn insert(&mut self, id: &str, doc: Arc<SourceDoc>) {
        self.loaded.insert(id.to_owned(), doc);
    }
}

impl SourceTexts for FileTexts {
    fn source(&self, id: &str) -> Option<Arc<SourceDoc>> {
        if let Some(doc) = self.loaded.get(id) {
            return Some(doc.clone());
        }
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.entry(id.to_owned()).or_insert_with(|| load(Path::new(id)).ok().map(Arc::new)).clone()
    }
}
