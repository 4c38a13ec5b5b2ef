//! The real 2021 material must come out exactly, and so must the same material
//! renumbered, re-encoded, re-punctuated, hard-wrapped or saved as `.docx`.

use mingjing_review::structure::Material;
use mingjing_review::{Audience, Campaign, Options, Review, input, review};

const EXAMPLE: &str = include_str!("../../../examples/material-2021-county.txt");

fn review_of(name: &str, bytes: &[u8]) -> Review {
    let source = input::read(name, bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let campaign = Campaign::builtin("2021-county").expect("built-in campaign");
    review(&source, &campaign, Audience::Member, &Options::default())
}

/// What must not change whatever the numbering, encoding or layout: the problem counts
/// per section, the matters report, and the cause and measure counts; and each
/// problem's text, compared without punctuation, space or quotes.
fn shape(review: &Review) -> (Vec<usize>, bool, usize, usize, Vec<String>) {
    let squeeze = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).collect::<String>();
    let mut sections: Vec<_> = review.aspects.iter().filter_map(|a| a.section.map(|s| (s, a))).collect();
    sections.sort_by_key(|(s, _)| *s);
    (
        sections.iter().map(|(_, a)| a.problems.len()).collect(),
        review.matters_report.is_some(),
        review.causes.len(),
        review.measures.len(),
        sections.iter().flat_map(|(_, a)| a.problems.iter().map(|p| squeeze(&p.text))).collect(),
    )
}

#[test]
fn example_structure_comes_out_exactly() {
    let review = review_of("material-2021-county.txt", EXAMPLE.as_bytes());
    let counts: Vec<usize> = review.aspects.iter().map(|a| a.problems.len()).collect();
    assert_eq!(counts, vec![3, 3, 3, 2, 3]);
    assert!(review.aspects.iter().all(|a| a.covered), "{:#?}", review.aspects);
    let sections: Vec<Option<usize>> = review.aspects.iter().map(|a| a.section).collect();
    assert_eq!(sections, vec![Some(0), Some(1), Some(2), Some(3), Some(4)]);
    assert!(review.unmatched_sections.is_empty(), "{:#?}", review.unmatched_sections);
    assert!(review.matters_report.is_some());
    assert_eq!(review.causes.len(), 3);
    assert_eq!(review.measures.len(), 3);
    assert!(review.title.as_ref().is_some_and(|t| t.text.contains("对照检查材料")));

    let first = &review.aspects[0].problems[0];
    assert!(first.text.starts_with("理论学习不深入。"), "{}", first.text);
    assert!(first.text.ends_with("没有完全做到真学真懂、活学活用。"), "{}", first.text);
    assert!(review.causes[0].text.starts_with("理论学习重视不够。"));
    assert!(review.measures[2].text.starts_with("严守纪律规矩，注重监督管理。"));
    assert!(review.measures[2].text.ends_with("真正把管党治党责任落到实处。"));
}

#[test]
fn example_matters_report_repetition_is_found() {
    let review = review_of("material-2021-county.txt", EXAMPLE.as_bytes());
    let matters = review.matters_report.expect("matters report");
    let repeated = review
        .repetitions
        .iter()
        .find(|r| r.text.contains("无隐瞒不报事项的情况和问题"))
        .unwrap_or_else(|| panic!("{:#?}", review.repetitions));
    assert_eq!(repeated.occurrences.len(), 2);
    for [start, end] in &repeated.occurrences {
        assert!(matters.start <= *start && *end <= matters.end);
    }
}

#[test]
fn example_spans_name_their_text() {
    let review = review_of("material-2021-county.txt", EXAMPLE.as_bytes());
    let chars: Vec<char> = EXAMPLE.chars().collect();
    let slice = |start: usize, end: usize| chars[start..end].iter().collect::<String>();
    assert_eq!(review.chars, chars.len());
    for item in review.aspects.iter().flat_map(|a| &a.problems).chain(&review.causes).chain(&review.measures) {
        assert_eq!(slice(item.start, item.end), item.text);
    }
    for repetition in &review.repetitions {
        let [start, end] = repetition.occurrences[0];
        assert_eq!(slice(start, end), repetition.text);
    }
}

#[test]
fn example_three_generic_measures_leave_problems_unanswered() {
    let review = review_of("material-2021-county.txt", EXAMPLE.as_bytes());
    assert_eq!(review.problem_count(), 14);
    assert!(review.unanswered_problems.len() >= 5, "{:#?}", review.answers);
    assert!(review.unanswered_problems.len() < 14, "{:#?}", review.answers);
    assert!(review.problem_share > 0.5 && review.problem_share < 0.9, "{}", review.problem_share);
}

/// The example with its markers rewritten: parts, sections and items.
fn renumber(parts: [&str; 3], sections: impl Fn(usize) -> String, items: impl Fn(usize) -> String) -> String {
    let mut text = EXAMPLE.replace("**", "");
    for (n, part) in ["一、", "二、", "三、"].iter().zip(parts) {
        text = text.replacen(&format!("\n{n}"), &format!("\n{part}"), 1);
    }
    for (n, numeral) in ["一", "二", "三", "四", "五", "六"].iter().enumerate() {
        text = text.replace(&format!("\n（{numeral}）"), &format!("\n{}", sections(n + 1)));
    }
    for (n, numeral) in ["一", "二", "三"].iter().enumerate() {
        text = text.replace(&format!("{numeral}是"), &items(n + 1));
    }
    text
}

#[test]
fn renumbered_styles_give_the_same_structure() {
    let expected = shape(&review_of("example.txt", EXAMPLE.as_bytes()));
    let circled = ["①", "②", "③"];
    let ordinal = ["首先，", "其次，", "最后，"];
    let variants = [
        (
            "第一部分/1./（1）",
            renumber(["第一部分 ", "第二部分 ", "第三部分 "], |n| format!("{n}."), |n| format!("（{n}）")),
        ),
        ("bare/1、/①", renumber(["", "", ""], |n| format!("{n}、"), |n| circled[n - 1].to_owned())),
        (
            "一、/（一）/首先",
            renumber(
                ["一、", "二、", "三、"],
                |n| format!("（{}）", ["一", "二", "三", "四", "五", "六"][n - 1]),
                |n| ordinal[n - 1].to_owned(),
            ),
        ),
        (
            "一、/1./第一",
            renumber(["一、", "二、", "三、"], |n| format!("{n}. "), |n| format!("第{}，", ["一", "二", "三"][n - 1])),
        ),
        (
            "paragraphs",
            renumber(
                ["一、", "二、", "三、"],
                |n| format!("（{}）", ["一", "二", "三", "四", "五", "六"][n - 1]),
                |n| {
                    if n == 1 { String::new() } else { "\n\n".to_owned() }
                },
            ),
        ),
    ];
    for (style, text) in variants {
        let review = review_of("renumbered.txt", text.as_bytes());
        assert_eq!(shape(&review), expected, "style {style}:\n{text}");
    }
}

#[test]
fn gbk_half_width_and_hard_wrapped_copies_give_the_same_structure() {
    let expected = shape(&review_of("example.txt", EXAMPLE.as_bytes()));
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(EXAMPLE);
    assert!(!unmappable);
    assert_eq!(shape(&review_of("gbk.txt", &gbk)), expected, "GBK");

    let half: String = EXAMPLE
        .chars()
        .map(|c| match c {
            '，' => ',',
            '；' => ';',
            '：' => ':',
            '（' => '(',
            '）' => ')',
            '。' => '.',
            c => c,
        })
        .collect();
    assert_eq!(shape(&review_of("half.txt", half.as_bytes())), expected, "half-width");

    let wrapped = hard_wrap(EXAMPLE, 34);
    assert_eq!(shape(&review_of("wrapped.txt", wrapped.as_bytes())), expected, "wrapped:\n{wrapped}");
}

/// Breaks every line after `width` chars, as text copied out of a PDF is broken.
fn hard_wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let pieces: Vec<String> = chars.chunks(width).map(|c| c.iter().collect()).collect();
        out.push_str(&pieces.join("\n"));
        out.push('\n');
    }
    out
}

#[test]
fn docx_copy_gives_the_same_structure() {
    let expected = shape(&review_of("example.txt", EXAMPLE.as_bytes()));
    let bytes = docx_of(EXAMPLE);
    let review = review_of("example.docx", &bytes);
    assert_eq!(shape(&review), expected);
}

/// The example as Word would save it: one paragraph per line, the `**…**` headings bold
/// and the `#` title as a heading style.
fn docx_of(text: &str) -> Vec<u8> {
    use docx_rs::{Docx, Paragraph, Run};
    let mut docx = Docx::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let paragraph = if let Some(title) = line.strip_prefix("# ") {
            Paragraph::new().style("Heading1").add_run(Run::new().add_text(title))
        } else if let Some(bold) = line.strip_prefix("**").and_then(|l| l.strip_suffix("**")) {
            Paragraph::new().add_run(Run::new().add_text(bold).bold())
        } else {
            Paragraph::new().add_run(Run::new().add_text(line))
        };
        docx = docx.add_paragraph(paragraph);
    }
    let mut bytes = std::io::Cursor::new(Vec::new());
    docx.build().pack(&mut bytes).expect("docx packs");
    bytes.into_inner()
}

#[test]
fn material_parse_is_deterministic() {
    let source = input::Source::from_text(EXAMPLE).expect("text");
    let a = Material::parse(&source);
    let b = Material::parse(&source);
    assert_eq!(a.sections, b.sections);
}

#[test]
fn review_json_reads_back_into_the_same_review() {
    let review = review_of("material-2021-county.txt", EXAMPLE.as_bytes());
    let json = serde_json::to_string(&review).expect("serializes");
    let back: Review = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, review);
}

#[test]
fn example_problems_are_listed_in_order_with_the_measure_that_answers_them() {
    let review = review_of("material-2021-county.txt", EXAMPLE.as_bytes());
    let listed = review.listed_problems();
    assert_eq!(listed.len(), review.problem_count());
    let order: Vec<(usize, usize)> = listed.iter().map(|p| (p.section, p.index)).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted);
    assert!(listed[0].text.starts_with("理论学习不深入。"));
    assert_eq!(listed[0].heading.as_deref(), Some(review.aspects[0].title.as_str()));
    // Every problem the engine says is answered carries its best measure's text, and no other does.
    for p in &listed {
        let answer = review.answers.iter().find(|a| a.problem.section == p.section && a.problem.index == p.index);
        let best = answer.and_then(|a| a.measures.first()).map(|m| review.measures[*m].text.clone());
        assert_eq!(p.measure, best, "{p:?}");
    }
    assert!(listed.iter().any(|p| p.measure.is_some()), "the example answers some problems");
    assert!(listed.iter().any(|p| p.measure.is_none()), "and leaves some unanswered");
}
