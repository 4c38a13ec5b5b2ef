//! The review as a Chinese report for a terminal, coloured when stdout is one.

use std::io::{self, Write};

use mingjing_review::Review;
use mingjing_review::report::ProblemPosition;
use owo_colors::{OwoColorize, Stream};

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn numeral(n: usize) -> String {
    match n {
        1..=10 => NUMERALS[n - 1].to_owned(),
        11..=19 => format!("十{}", NUMERALS[n - 11]),
        _ => n.to_string(),
    }
}

fn ok(text: &str) -> String {
    text.if_supports_color(Stream::Stdout, |t| t.green()).to_string()
}

fn warn(text: &str) -> String {
    text.if_supports_color(Stream::Stdout, |t| t.yellow()).to_string()
}

fn bad(text: &str) -> String {
    text.if_supports_color(Stream::Stdout, |t| t.red()).to_string()
}

fn heading(text: &str) -> String {
    text.if_supports_color(Stream::Stdout, |t| t.bold()).to_string()
}

/// Shortens a passage for one line of a terminal.
fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.chars().filter(|c| !c.is_control()).collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// How a reviewer would name a problem: （二）3 for the third problem of the second
/// section.
fn problem_label(p: &ProblemPosition) -> String {
    format!("（{}）{}", numeral(p.section + 1), p.index + 1)
}

fn problem_text<'a>(review: &'a Review, p: &ProblemPosition) -> &'a str {
    let in_aspect = p.aspect.and_then(|a| review.aspects.get(a)).and_then(|a| a.problems.get(p.index));
    let in_unmatched =
        || review.unmatched_sections.iter().find(|s| s.section == p.section).and_then(|s| s.problems.get(p.index));
    in_aspect.or_else(in_unmatched).map_or("", |t| t.text.as_str())
}

pub fn write(out: &mut impl Write, file: &str, review: &Review) -> io::Result<()> {
    writeln!(out, "{}", heading(&format!("审查报告：{file}（{} 字）", review.chars)))?;
    if let Some(title) = &review.title {
        writeln!(out, "标题：{}", title.text.trim_matches(|c: char| c == '#' || c.is_whitespace()))?;
    }
    coverage(out, review)?;
    parts(out, review)?;
    repetitions(out, review)?;
    answers(out, review)?;
    share(out, review)?;
    vague(out, review)?;
    copies(out, review)?;
    writeln!(out)
}

fn coverage(out: &mut impl Write, review: &Review) -> io::Result<()> {
    let covered = review.aspects.iter().filter(|a| a.covered).count();
    let total = review.aspects.len();
    let summary = format!("{covered}/{total}");
    let summary = if covered == total { ok(&summary) } else { bad(&summary) };
    writeln!(out, "\n{} 覆盖 {summary}", heading("一、检视方面"))?;
    for aspect in &review.aspects {
        let label = format!("（{}）{}", numeral(aspect.index + 1), excerpt(&aspect.title, 30));
        if aspect.covered {
            writeln!(out, "  {} {label}：问题 {} 条", ok("✓"), aspect.problems.len())?;
        } else {
            writeln!(out, "  {} {label}：{}", bad("✗"), bad("未见对应的查摆内容"))?;
        }
    }
    for section in &review.unmatched_sections {
        let title = section.title.as_deref().unwrap_or("（无标题）");
        writeln!(
            out,
            "  {} 第{}部分“{}”未对应任何规定的检视方面（问题 {} 条）",
            warn("?"),
            numeral(section.section + 1),
            excerpt(title, 30),
            section.problems.len()
        )?;
    }
    Ok(())
}

fn parts(out: &mut impl Write, review: &Review) -> io::Result<()> {
    writeln!(out, "\n{}", heading("二、材料结构"))?;
    let matters = match review.matters_report {
        Some(span) => ok(&format!("有（第 {}–{} 字）", span.start + 1, span.end)),
        None => warn("未见（如通知要求报告个人有关事项，请补充）"),
    };
    writeln!(out, "  有关事项报告：{matters}")?;
    let count = |n: usize| if n == 0 { bad("0") } else { n.to_string() };
    writeln!(
        out,
        "  查摆问题 {} 条；原因剖析 {} 条；整改措施 {} 条",
        count(review.problem_count()),
        count(review.causes.len()),
        count(review.measures.len())
    )
}

fn repetitions(out: &mut impl Write, review: &Review) -> io::Result<()> {
    if review.repetitions.is_empty() {
        return writeln!(out, "\n{} {}", heading("三、内部重复"), ok("未发现"));
    }
    writeln!(out, "\n{} {}", heading("三、内部重复"), warn(&format!("{} 处", review.repetitions.len())))?;
    for repetition in &review.repetitions {
        let places: Vec<String> =
            repetition.occurrences.iter().map(|[start, end]| format!("第 {}–{} 字", start + 1, end)).collect();
        writeln!(out, "  “{}” 出现 {} 次：{}", excerpt(&repetition.text, 40), places.len(), places.join("、"))?;
    }
    Ok(())
}

fn answers(out: &mut impl Write, review: &Review) -> io::Result<()> {
    let unanswered = &review.unanswered_problems;
    let total = review.problem_count();
    let summary = if unanswered.is_empty() {
        ok("每条问题都有对应的整改措施")
    } else {
        bad(&format!("{total} 条问题中有 {} 条未见对应的整改措施", unanswered.len()))
    };
    writeln!(out, "\n{} {summary}", heading("四、问题与措施对应"))?;
    for p in unanswered {
        writeln!(out, "  {} {}", problem_label(p), excerpt(problem_text(review, p), 36))?;
    }
    Ok(())
}

fn share(out: &mut impl Write, review: &Review) -> io::Result<()> {
    let percent = (review.problem_share * 100.0).round();
    let figure = format!("{percent:.0}%");
    let figure = if review.problem_share >= 0.5 { ok(&figure) } else { warn(&figure) };
    writeln!(out, "\n{} 查摆问题和原因剖析占全文 {figure}（一般应不少于约一半）", heading("五、篇幅"))
}

fn vague(out: &mut impl Write, review: &Review) -> io::Result<()> {
    if review.vague_problems.is_empty() {
        return writeln!(out, "\n{} {}", heading("六、具体程度（提示）"), ok("各条问题都有具体内容"));
    }
    let count = warn(&format!("{} 条问题可能泛泛而谈", review.vague_problems.len()));
    writeln!(out, "\n{} {count}", heading("六、具体程度（提示）"))?;
    for v in &review.vague_problems {
        writeln!(
            out,
            "  {} {}：{}",
            problem_label(&v.problem),
            excerpt(problem_text(review, &v.problem), 20),
            v.reason
        )?;
    }
    Ok(())
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn copies(out: &mut impl Write, review: &Review) -> io::Result<()> {
    let Some(copy) = &review.copy else {
        return Ok(());
    };
    let net = percent(copy.net_copy_ratio);
    let net = if copy.net_copy_ratio >= 0.3 {
        bad(&net)
    } else if copy.net_copy_ratio >= 0.1 {
        warn(&net)
    } else {
        ok(&net)
    };
    writeln!(
        out,
        "\n{} 总文字复制比 {}，去除规定表述和套话后 {net}",
        heading("七、复制检测"),
        percent(copy.copy_ratio)
    )?;
    if let Some(top) = &copy.top_source {
        writeln!(out, "  最大来源：{}（占全文 {}）", top.source, percent(top.share))?;
    }
    for c in copy.copies.iter().take(20) {
        let tier = match c.tier {
            mingjing_review::copy::Tier::Exact => "相同".to_owned(),
            mingjing_review::copy::Tier::Near => format!("疑似改写，相似度 {:.0}%", c.similarity * 100.0),
        };
        writeln!(
            out,
            "  第 {}–{} 字 ← {} 第 {}–{} 字（{tier}）",
            c.start + 1,
            c.end,
            c.source,
            c.source_start + 1,
            c.source_end
        )?;
    }
    if copy.copies.len() > 20 {
        writeln!(out, "  ……共 {} 处，完整列表请用 --format json", copy.copies.len())?;
    }
    if !copy.previous_year_copies.is_empty() {
        writeln!(
            out,
            "  {}",
            warn(&format!(
                "与本人往年材料重复 {} 处（占全文 {}）：年年提、年年有？",
                copy.previous_year_copies.len(),
                percent(copy.previous_year_ratio)
            ))
        )?;
    }
    let common = copy.boilerplate.iter().filter(|b| b.documents >= 5).count();
    if common > 0 {
        writeln!(out, "  {common} 句在 5 位以上其他作者的材料中出现（套话）")?;
    }
    Ok(())
}
