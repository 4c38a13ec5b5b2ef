//! Copy detection measured on a generated corpus with exact ground truth: precision and
//! recall per edit type, at the char level and per injected passage, and how much
//! mandated wording leaks into the net ratio. Prints its table (`--nocapture`).

#![expect(clippy::print_stdout, reason = "the table is the point of running this test with --nocapture")]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mingjing_corpus::{Config, Edit, Generator, SourceKind};
use mingjing_review::copy::{self, CopyOptions, CopyReport, DocKind, Index, MemoryTexts, Querier, SourceDoc, Tier};
use mingjing_review::input::Source;
use mingjing_review::normalize::NormText;
use mingjing_review::{Campaign, Span};

/// What one edit type scored.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    chars: usize,
    exact: usize,
    any: usize,
    passages: usize,
    passages_found: usize,
}

fn edit_name(edit: Edit) -> &'static str {
    match edit {
        Edit::Verbatim => "verbatim",
        Edit::Width => "width",
        Edit::Punctuation => "punctuation",
        Edit::Traditional => "traditional",
        Edit::CharEdits(_) => "char_edits",
        Edit::Synonym => "synonym",
        Edit::Reorder => "reorder",
        Edit::Noise => "noise",
        Edit::LineBreaks => "line_breaks",
    }
}

fn significant(c: char) -> bool {
    copy::is_significant(mingjing_review::normalize::normalize_char(c).unwrap_or(' '))
}

fn kind(kind: mingjing_corpus::DocKind) -> DocKind {
    match kind {
        mingjing_corpus::DocKind::Member => DocKind::Member,
        mingjing_corpus::DocKind::PreviousYear => DocKind::PreviousYear,
        mingjing_corpus::DocKind::Template => DocKind::Template,
    }
}

struct Evaluation {
    by_edit: BTreeMap<&'static str, Tally>,
    exact_reported: usize,
    exact_true: usize,
    mandated_chars: usize,
    mandated_in_net: usize,
    attributed: usize,
    attributed_right: usize,
}

fn evaluate(n: usize, seed: u64) -> Evaluation {
    let campaign = Campaign::builtin("2022-annual").expect("campaign");
    let aspects = campaign.aspects.member.iter().map(|a| a.title.clone()).collect();
    let config = Config::new(n, seed, aspects);
    let mut mandated = campaign.mandated_phrases(mingjing_review::Audience::Member);
    mandated.extend(config.mandated.iter().cloned());
    let generated: Vec<_> = Generator::new(config).expect("config").collect();
    let mut index = Index::default();
    let mut texts = MemoryTexts::default();
    let mut norms = HashMap::new();
    for g in &generated {
        let doc = &g.document;
        let norm = NormText::new(&Source::from_text(doc.text.as_str()).expect("text"));
        let source = SourceDoc::new(norm.clone());
        index.add(&doc.id, doc.author.as_deref(), kind(doc.kind), &source.skeleton).expect("add");
        texts.insert(&doc.id, Arc::new(source));
        norms.insert(doc.id.clone(), norm);
    }
    index.merge();
    // Detection is symmetric: a passage copied out of a document is shared text in that
    // document too, and reporting it there is right.
    let mut copied_out: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    for t in generated.iter().flat_map(|g| &g.truth) {
        if let Some(source) = &t.source {
            copied_out.entry(source.as_str()).or_default().push((t.source_start, t.source_end));
        }
    }
    let frames = corpus_frames(&generated, &texts);
    let options = CopyOptions::default();
    let mut eval = Evaluation {
        by_edit: BTreeMap::new(),
        exact_reported: 0,
        exact_true: 0,
        mandated_chars: 0,
        mandated_in_net: 0,
        attributed: 0,
        attributed_right: 0,
    };
    for g in generated.iter().filter(|g| g.document.kind == mingjing_corpus::DocKind::Member) {
        let doc = &g.document;
        let norm = &norms[&doc.id];
        let me = Querier { id: Some(&doc.id), author: doc.author.as_deref() };
        let report = copy::check(&index, &texts, norm, &[], &mandated, &me, &options);
        let mut out = copied_out.get(doc.id.as_str()).cloned().unwrap_or_default();
        out.extend(frames.get(doc.id.as_str()).into_iter().flatten());
        score(&mut eval, &doc.text, norm, &g.truth, &out, &report);
    }
    eval
}

/// Runs of 20 significant chars that stand in the documents of three or more authors:
/// text the generator's sentence frames share by construction (openings, lead-ins),
/// which is shared text like any other, as original spans per document. Counted here
/// from the corpus itself, independently of the detector.
fn corpus_frames(
    generated: &[mingjing_corpus::Generated],
    texts: &MemoryTexts,
) -> HashMap<String, Vec<(usize, usize)>> {
    use mingjing_review::copy::SourceTexts;
    const K: usize = 20;
    let docs: Vec<(&str, String, Arc<SourceDoc>)> = generated
        .iter()
        .filter_map(|g| {
            let d = &g.document;
            let author = d.author.clone().unwrap_or_else(|| d.id.clone());
            texts.source(&d.id).map(|s| (d.id.as_str(), author, s))
        })
        .collect();
    let mut authors: HashMap<u64, Vec<&str>> = HashMap::new();
    for (_, author, source) in &docs {
        for h in copy::kgram_hashes(&source.skeleton.chars, K) {
            let list = authors.entry(h).or_default();
            if list.len() < 3 && !list.contains(&author.as_str()) {
                list.push(author);
            }
        }
    }
    let mut frames = HashMap::new();
    for (id, _, source) in &docs {
        let spans: Vec<(usize, usize)> = copy::kgram_hashes(&source.skeleton.chars, K)
            .iter()
            .enumerate()
            .filter(|(_, h)| authors.get(h).is_some_and(|a| a.len() >= 3))
            .map(|(p, _)| {
                let span = source.text.to_original(source.skeleton.to_norm(p..p + K));
                (span.start, span.end)
            })
            .collect();
        frames.insert((*id).to_owned(), spans);
    }
    frames
}

fn score(
    eval: &mut Evaluation,
    text: &str,
    norm: &NormText,
    truth: &[mingjing_corpus::Injection],
    copied_out: &[(usize, usize)],
    report: &CopyReport,
) {
    let chars: Vec<char> = text.chars().collect();
    let mut exact = vec![false; chars.len()];
    let mut any = vec![false; chars.len()];
    let mut source_at: Vec<Option<&str>> = vec![None; chars.len()];
    for c in &report.copies {
        for i in c.start..c.end {
            any[i] = true;
            exact[i] |= c.tier == Tier::Exact;
            source_at[i] = Some(&c.source);
        }
    }
    let mut previous = vec![false; chars.len()];
    for c in &report.previous_year_copies {
        previous[c.start..c.end].iter_mut().for_each(|p| *p = true);
    }
    let mut shared = vec![false; chars.len()];
    for &(start, end) in copied_out {
        shared[start..end.min(chars.len())].iter_mut().for_each(|s| *s = true);
    }
    for t in truth {
        shared[t.start..t.end].iter_mut().for_each(|s| *s = true);
        let positions = || (t.start..t.end).filter(|&i| significant(chars[i]));
        match t.kind {
            SourceKind::Member | SourceKind::Template | SourceKind::PreviousYear => {
                let found = if t.kind == SourceKind::PreviousYear { &previous } else { &any };
                let tally = eval.by_edit.entry(edit_name(t.edit)).or_default();
                let total = positions().count();
                let hit = positions().filter(|&i| found[i]).count();
                tally.chars += total;
                tally.any += hit;
                tally.exact +=
                    positions().filter(|&i| exact[i] || (t.kind == SourceKind::PreviousYear && found[i])).count();
                tally.passages += 1;
                tally.passages_found += usize::from(hit * 2 >= total);
                if t.kind != SourceKind::PreviousYear {
                    eval.attributed += hit;
                    eval.attributed_right += positions().filter(|&i| source_at[i] == t.source.as_deref()).count();
                }
            }
            SourceKind::Mandated => {
                let (total, _, net) = report.counts_in(norm.from_original(Span::new(t.start, t.end)));
                eval.mandated_chars += total;
                eval.mandated_in_net += net;
            }
            SourceKind::Boilerplate | SourceKind::Heading => {}
        }
    }
    for i in (0..chars.len()).filter(|&i| exact[i] && significant(chars[i])) {
        eval.exact_reported += 1;
        eval.exact_true += usize::from(shared[i]);
    }
    if std::env::var_os("SHOW_FALSE").is_some() {
        for c in report.copies.iter().filter(|c| c.tier == Tier::Exact) {
            let wrong = (c.start..c.end).filter(|&i| !shared[i]).count();
            if wrong > 0 {
                let here: String = chars[c.start..c.end].iter().collect();
                eprintln!("FALSE {wrong}/{} {} <- {}: {}", c.end - c.start, c.start, c.source, here.replace('\n', "⏎"));
            }
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

#[test]
fn precision_and_recall_by_edit_type() {
    let eval = evaluate(600, 20_241_127);
    println!("edit type      passages  chars   exact-recall  any-recall  passages-found");
    for (name, t) in &eval.by_edit {
        println!(
            "{name:<14} {:>8} {:>6}   {:>10.3}  {:>10.3}  {:>14.3}",
            t.passages,
            t.chars,
            ratio(t.exact, t.chars),
            ratio(t.any, t.chars),
            ratio(t.passages_found, t.passages)
        );
    }
    let precision = ratio(eval.exact_true, eval.exact_reported);
    let leak = ratio(eval.mandated_in_net, eval.mandated_chars);
    let attribution = ratio(eval.attributed_right, eval.attributed);
    println!(
        "exact-tier precision {precision:.4}; mandated chars in net ratio {leak:.4}; right source {attribution:.3}"
    );

    assert!(precision >= 0.98, "exact-tier precision {precision}");
    let format_only = ["verbatim", "width", "punctuation", "traditional", "noise", "line_breaks"];
    let sum =
        |names: &[&str], f: fn(&Tally) -> usize| names.iter().filter_map(|n| eval.by_edit.get(n)).map(f).sum::<usize>();
    let exact_recall = ratio(sum(&format_only, |t| t.exact), sum(&format_only, |t| t.chars));
    assert!(exact_recall >= 0.95, "exact-tier recall on verbatim and format-only edits {exact_recall}");
    let edited = ["char_edits", "synonym"];
    let combined = ratio(sum(&edited, |t| t.any), sum(&edited, |t| t.chars));
    assert!(combined >= 0.85, "combined recall on 1–3-char edits and synonyms {combined}");
    assert!(leak <= 0.01, "mandated chars counted in the net ratio: {leak}");
}
