//! `mingjing review --corpus/--index/--all` and `mingjing index build`.

use std::path::Path;

use super::helpers::{EXAMPLE, mingjing, stderr, stdout, temp_dir};

/// A problem paragraph of a colleague's own, in the example's style.
const COLLEAGUE: &str = "一、存在的主要问题\n（一）政治方面\n一是在推进乡镇便民服务中心标准化建设中，对窗口工作人员的日常管理思考不深、措施不多，\
2023年第三季度群众投诉的7件事项中有4件与窗口作风有关。二是下乡调研走马观花，全年只到过3个村。\n\
二、原因分析\n一是放松了对自己的要求。\n三、整改措施\n一是每月到一个村蹲点调研。";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_str(stdout(output).trim()).expect("one JSON object")
}

#[test]
fn copy_from_a_colleague_is_reported_with_both_spans() {
    let corpus = temp_dir("copy-corpus");
    let source = write(&corpus, "colleague.txt", COLLEAGUE);
    let mine = temp_dir("copy-mine");
    let copied = COLLEAGUE.replace("全年只到过3个村", "一年只去了两个村");
    let file = write(&mine, "mine.txt", &copied);
    let report = json(&mingjing(&["review", "--format", "json", "--corpus", &corpus.display().to_string(), &file]));

    let copies = report["copies"].as_array().expect("copies");
    assert!(!copies.is_empty());
    let first = &copies[0];
    assert_eq!(first["source"], source.as_str());
    assert_eq!(first["tier"], "exact");
    let chars: Vec<char> = copied.chars().collect();
    let source_chars: Vec<char> = COLLEAGUE.chars().collect();
    let (start, end) = (first["start"].as_u64().unwrap() as usize, first["end"].as_u64().unwrap() as usize);
    let (s_start, s_end) =
        (first["source_start"].as_u64().unwrap() as usize, first["source_end"].as_u64().unwrap() as usize);
    let here: String = chars[start..end].iter().collect();
    let there: String = source_chars[s_start..s_end].iter().collect();
    assert_eq!(here, there, "an exact copy names the same text on both sides");
    assert!(report["copy_ratio"].as_f64().unwrap() > 0.6, "{report}");
    assert!(report["net_copy_ratio"].as_f64().unwrap() <= report["copy_ratio"].as_f64().unwrap());
    assert_eq!(report["top_source"]["source"], source.as_str());
    assert!(report["section_copy_ratios"]["sections"].is_array());
    assert!(report["boilerplate"].is_array());
}

#[test]
fn a_file_inside_the_corpus_is_never_its_own_source() {
    let corpus = temp_dir("copy-self");
    let only = write(&corpus, "only.txt", COLLEAGUE);
    let report = json(&mingjing(&["review", "--format", "json", "--corpus", &corpus.display().to_string(), &only]));
    assert_eq!(report["copies"].as_array().map(Vec::len), Some(0), "{report}");
    assert_eq!(report["copy_ratio"], 0.0);
}

#[test]
fn unreadable_corpus_files_are_skipped_with_one_warning() {
    let corpus = temp_dir("copy-skipped");
    write(&corpus, "good.txt", COLLEAGUE);
    std::fs::write(corpus.join("broken.docx"), b"PK\x03\x04 broken").expect("write");
    std::fs::write(corpus.join("empty.txt"), b"").expect("write");
    std::fs::write(corpus.join("photo.jpg"), b"\xff\xd8\xff").expect("write");
    let output = mingjing(&["review", "--corpus", &corpus.display().to_string(), EXAMPLE]);
    assert!(output.status.success(), "{}", stderr(&output));
    let warning = stderr(&output);
    assert_eq!(warning.matches("警告").count(), 1, "{warning}");
    assert!(
        warning.contains("2 个文件无法读取") && warning.contains("broken.docx") && warning.contains("empty.txt"),
        "{warning}"
    );
    assert!(!warning.contains("photo.jpg"), "files of other types are not corpus files: {warning}");
}

#[test]
fn saved_index_gives_the_same_copies_and_a_foreign_index_is_refused() {
    let corpus = temp_dir("copy-index");
    write(&corpus, "colleague.txt", COLLEAGUE);
    let mine = temp_dir("copy-index-mine");
    let file = write(&mine, "mine.txt", &COLLEAGUE.replace("全年", "一年"));
    let index = mine.join("corpus.idx").display().to_string();
    let built = mingjing(&["index", "build", "--out", &index, &corpus.display().to_string()]);
    assert!(built.status.success(), "{}", stderr(&built));
    let direct = json(&mingjing(&["review", "--format", "json", "--corpus", &corpus.display().to_string(), &file]));
    let reused = json(&mingjing(&["review", "--format", "json", "--index", &index, &file]));
    assert_eq!(direct["copies"], reused["copies"]);

    let mut bytes = std::fs::read(&index).expect("index");
    bytes[8] = bytes[8].wrapping_add(1);
    std::fs::write(&index, bytes).expect("write");
    let refused = mingjing(&["review", "--index", &index, &file]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("另一版本"), "{}", stderr(&refused));

    std::fs::write(&index, "not an index").expect("write");
    let refused = mingjing(&["review", "--index", &index, &file]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("不是明镜的索引"), "{}", stderr(&refused));
}

#[test]
fn review_all_writes_one_line_per_document_each_against_the_others() {
    let corpus = temp_dir("copy-all");
    write(&corpus, "a.txt", COLLEAGUE);
    write(&corpus, "b.txt", &COLLEAGUE.replace("全年", "一年"));
    write(&corpus, "c.txt", &std::fs::read_to_string(EXAMPLE).expect("example"));
    let output = mingjing(&["review", "--all", &corpus.display().to_string(), "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> =
        stdout(&output).lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0]["file"].as_str().unwrap().ends_with("a.txt"));
    assert!(lines[0]["top_source"]["source"].as_str().unwrap().ends_with("b.txt"));
    assert!(lines[1]["top_source"]["source"].as_str().unwrap().ends_with("a.txt"));
    assert!(lines[2]["copies"].as_array().unwrap().is_empty());
    assert!(stderr(&output).is_empty() || !stderr(&output).contains('\u{1b}'), "no progress bar when not a terminal");
}
