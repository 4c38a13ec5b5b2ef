//! `mingjing review` without a corpus: structure, checks, bad input.

use super::helpers::{EXAMPLE, mingjing, stderr, stdout, temp_file};

#[test]
fn json_report_of_the_example_has_the_documented_structure() {
    let output = mingjing(&["review", "--campaign", "2021-county", "--format", "json", EXAMPLE]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1);
    let report: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(report["file"], EXAMPLE);
    let counts: Vec<usize> = report["aspects"]
        .as_array()
        .expect("aspects")
        .iter()
        .map(|a| a["problems"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(counts, vec![3, 3, 3, 2, 3]);
    for aspect in report["aspects"].as_array().expect("aspects") {
        assert_eq!(aspect["covered"], true);
        for key in ["index", "title", "section_title", "problems"] {
            assert!(!aspect[key].is_null(), "{key}");
        }
    }
    assert!(report["matters_report"]["start"].is_u64());
    assert_eq!(report["causes"].as_array().map(Vec::len), Some(3));
    assert_eq!(report["measures"].as_array().map(Vec::len), Some(3));
    for key in ["unmatched_sections", "repetitions", "unanswered_problems", "vague_problems"] {
        assert!(report[key].is_array(), "{key}");
    }
    assert!(report["problem_share"].is_f64());
}

#[test]
fn text_report_is_chinese_and_uncoloured_in_a_pipe() {
    let output = mingjing(&["review", EXAMPLE]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("检视方面 覆盖 5/5"), "{text}");
    assert!(text.contains("有关事项报告：有"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour codes when stdout is not a terminal");
}

#[test]
fn unreadable_files_exit_2_with_a_chinese_message_and_the_rest_are_reviewed() {
    let pdf = temp_file("a.pdf", b"%PDF-1.7 binary");
    let empty = temp_file("empty.txt", b"");
    let binary = temp_file("b.txt", &[0u8, 159, 146, 150, 0, 1, 2, 3]);
    let doc = temp_file("c.doc", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]);
    let corrupt = temp_file("d.docx", b"PK\x03\x04 not really a zip");
    let files = [&pdf, &empty, &binary, &doc, &corrupt].map(|p| p.display().to_string());
    let mut args = vec!["review", "--format", "json", EXAMPLE];
    args.extend(files.iter().map(String::as_str));
    args.push("/no/such/file.txt");
    let output = mingjing(&args);
    assert_eq!(output.status.code(), Some(2));
    let lines: Vec<serde_json::Value> =
        stdout(&output).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), 7);
    assert!(lines[0]["error"].is_null() && lines[0]["aspects"].is_array());
    let errors: Vec<&str> = lines[1..].iter().map(|l| l["error"].as_str().unwrap_or("")).collect();
    assert!(errors[0].contains("PDF"), "{errors:?}");
    assert!(errors[1].contains("空"), "{errors:?}");
    assert!(errors[2].contains("二进制"), "{errors:?}");
    assert!(errors[3].contains(".doc"), "{errors:?}");
    assert!(errors[4].contains(".docx"), "{errors:?}");
    assert!(errors[5].contains("不存在"), "{errors:?}");
    assert!(stderr(&output).contains("错误："));
}

#[test]
fn oversized_file_is_refused_without_reading_it_whole() {
    let big = temp_file("big.txt", &"很长的材料。".repeat(400_000).into_bytes());
    let output = mingjing(&["review", &big.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("文件过大"), "{}", stderr(&output));
}

#[test]
fn unknown_campaign_is_bad_input() {
    let output = mingjing(&["review", "--campaign", "1999", EXAMPLE]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("2021-county"), "{}", stderr(&output));
}

#[test]
fn campaign_from_a_toml_file() {
    let campaign = temp_file(
        "campaign.toml",
        "id = \"own\"\nyear = 2021\nname = \"自定\"\n[[aspects.member]]\ntitle = \"政治纪律\"\n[[aspects.member]]\ntitle = \"生活纪律\"\n"
            .as_bytes(),
    );
    let output = mingjing(&["review", "--format", "json", "--campaign", &campaign.display().to_string(), EXAMPLE]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(report["aspects"].as_array().map(Vec::len), Some(2));

    let broken = temp_file("broken.toml", b"id = ");
    let output = mingjing(&["review", "--campaign", &broken.display().to_string(), EXAMPLE]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("格式有误"), "{}", stderr(&output));
}
