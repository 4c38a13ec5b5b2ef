//! The generator's promises: determinism, exact ground truth, configured rates, Zipf-like
//! boilerplate, bounded copy window, and materials the review engine can read.

use std::collections::HashMap;

use mingjing_corpus::{
    Config, ConfigError, Corpus, DocKind, Edit, EditWeights, Generated, Generator, Injection, Rates, SourceKind,
    boilerplate_pool, generate, notice_title,
};

fn aspects() -> Vec<String> {
    ["政治信仰", "党员意识", "理论学习", "能力本领", "作用发挥", "纪律作风"].map(String::from).to_vec()
}

fn config(n: usize, seed: u64) -> Config {
    let mut config = Config::new(n, seed, aspects());
    config.template_count = 12;
    config
}

fn chars(text: &str) -> Vec<char> {
    text.chars().collect()
}

fn slice(text: &[char], start: usize, end: usize) -> String {
    text[start..end].iter().collect()
}

#[test]
fn the_same_seed_gives_the_same_corpus_and_another_seed_another() {
    let a = generate(&config(40, 7)).expect("valid");
    let b = generate(&config(40, 7)).expect("valid");
    assert_eq!(a, b);
    let c = generate(&config(40, 8)).expect("valid");
    assert_ne!(a.documents[20].text, c.documents[20].text);
    assert_ne!(a.truth, c.truth);
}

#[test]
fn streaming_yields_what_generate_collects() {
    let config = config(30, 3);
    let corpus = generate(&config).expect("valid");
    let streamed: Vec<Generated> = Generator::new(config).expect("valid").collect();
    let documents: Vec<_> = streamed.iter().map(|g| g.document.clone()).collect();
    let truth: Vec<_> = streamed.iter().flat_map(|g| g.truth.clone()).collect();
    assert_eq!(documents, corpus.documents);
    assert_eq!(truth, corpus.truth);
    for g in &streamed {
        assert!(g.truth.iter().all(|t| t.doc == g.document.id));
        assert!(g.truth.windows(2).all(|w| (w[0].start, w[0].end) <= (w[1].start, w[1].end)), "truth in text order");
    }
}

/// Checks every truth row of a corpus against the texts.
fn check_truth(corpus: &Corpus, config: &Config) {
    let index: HashMap<&str, usize> = corpus.documents.iter().enumerate().map(|(i, d)| (d.id.as_str(), i)).collect();
    let texts: Vec<Vec<char>> = corpus.documents.iter().map(|d| chars(&d.text)).collect();
    let pool = boilerplate_pool();
    let mut copies_by_doc: HashMap<&str, Vec<&Injection>> = HashMap::new();
    for t in &corpus.truth {
        let &d = index.get(t.doc.as_str()).expect("truth names a generated document");
        let doc = &corpus.documents[d];
        let text = &texts[d];
        assert!(t.start < t.end && t.end <= text.len(), "{t:?} outside {} chars", text.len());
        let span = slice(text, t.start, t.end);
        match t.kind {
            SourceKind::Member | SourceKind::Template | SourceKind::PreviousYear => {
                let source_id = t.source.as_deref().expect("a copy names its source");
                let &s = index.get(source_id).expect("source generated");
                assert!(s < d, "source {source_id} comes after {}", doc.id);
                let source = &corpus.documents[s];
                let expected = match t.kind {
                    SourceKind::Member => DocKind::Member,
                    SourceKind::Template => DocKind::Template,
                    _ => DocKind::PreviousYear,
                };
                assert_eq!(source.kind, expected);
                if t.kind == SourceKind::PreviousYear {
                    assert_eq!(source.author, doc.author);
                }
                assert!(t.source_start < t.source_end && t.source_end <= texts[s].len());
                let original = slice(&texts[s], t.source_start, t.source_end);
                assert!(original.chars().count() >= 20, "copies are at least 20 chars: {original}");
                if t.edit == Edit::Verbatim {
                    assert_eq!(span, original, "{t:?}");
                } else {
                    assert_ne!(span, original, "{t:?} claims an edit that changed nothing");
                }
                copies_by_doc.entry(t.doc.as_str()).or_default().push(t);
            }
            SourceKind::Boilerplate => {
                let i = t.pool.expect("boilerplate names its sentence");
                let sentence = pool[i];
                assert!(t.source.is_none());
                assert_eq!((t.source_start, t.source_end), (0, sentence.chars().count()));
                if t.edit == Edit::Verbatim {
                    assert_eq!(span, sentence);
                } else {
                    assert_ne!(span, sentence);
                }
                copies_by_doc.entry(t.doc.as_str()).or_default().push(t);
            }
            SourceKind::Mandated => {
                let i = t.pool.expect("mandated names its phrase");
                let phrase = &config.mandated[i];
                let last_year = notice_title(config.year - 1);
                let expected = if doc.kind == DocKind::PreviousYear && *phrase == notice_title(config.year) {
                    &last_year
                } else {
                    phrase
                };
                assert_eq!(&span, expected);
                assert_eq!(t.edit, Edit::Verbatim);
            }
            SourceKind::Heading => {
                assert!(!span.contains('\n'), "{span:?}");
                assert!(t.source.is_none());
            }
        }
    }
    // Copies and stock sentences never overlap one another.
    for (doc, mut spans) in copies_by_doc {
        spans.sort_by_key(|t| t.start);
        for w in spans.windows(2) {
            assert!(w[0].end <= w[1].start, "overlapping injections in {doc}: {:?} {:?}", w[0], w[1]);
        }
    }
    // Every mandated phrase occurrence is reported.
    for (d, doc) in corpus.documents.iter().enumerate() {
        let reported = corpus.truth.iter().filter(|t| t.doc == doc.id && t.kind == SourceKind::Mandated).count();
        let mut present = 0;
        for phrase in &config.mandated {
            let phrase = if doc.kind == DocKind::PreviousYear && *phrase == notice_title(config.year) {
                notice_title(config.year - 1)
            } else {
                phrase.clone()
            };
            present += doc.text.matches(phrase.as_str()).count();
        }
        assert_eq!(reported, present, "{}", corpus.documents[d].id);
    }
}

#[test]
fn every_injection_is_exact_and_verbatim_copies_equal_their_source() {
    let config = config(300, 11);
    let corpus = generate(&config).expect("valid");
    check_truth(&corpus, &config);
    let kinds: Vec<SourceKind> = corpus.truth.iter().map(|t| t.kind).collect();
    for kind in [SourceKind::Member, SourceKind::Template, SourceKind::PreviousYear, SourceKind::Boilerplate] {
        assert!(kinds.contains(&kind), "no {kind:?} in 300 documents");
    }
}

#[test]
fn verbatim_only_copies_are_all_exact() {
    let mut config = config(120, 5);
    config.edits = EditWeights::verbatim_only();
    config.rates.member_copy = 0.8;
    let corpus = generate(&config).expect("valid");
    check_truth(&corpus, &config);
    assert!(corpus.truth.iter().all(|t| t.edit == Edit::Verbatim));
}

#[test]
fn every_edit_kind_is_used() {
    let mut config = config(400, 13);
    config.rates.member_copy = 0.9;
    config.rates.template_copy = 0.9;
    let corpus = generate(&config).expect("valid");
    check_truth(&corpus, &config);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for t in corpus.truth.iter().filter(|t| t.kind != SourceKind::Heading && t.kind != SourceKind::Mandated) {
        let key = match t.edit {
            Edit::CharEdits(n) => {
                assert!((1..=3).contains(&n));
                "CharEdits".to_owned()
            }
            other => format!("{other:?}"),
        };
        *seen.entry(key).or_default() += 1;
    }
    for kind in
        ["Verbatim", "Width", "Punctuation", "Traditional", "CharEdits", "Synonym", "Reorder", "Noise", "LineBreaks"]
    {
        assert!(seen.get(kind).copied().unwrap_or(0) >= 5, "{kind}: {seen:?}");
    }
}

#[test]
fn rates_come_out_as_configured() {
    let config = config(1500, 17);
    let corpus = generate(&config).expect("valid");
    let members: Vec<&str> =
        corpus.documents.iter().filter(|d| d.kind == DocKind::Member).map(|d| d.id.as_str()).collect();
    let share = |kind: SourceKind| {
        let with: std::collections::HashSet<&str> =
            corpus.truth.iter().filter(|t| t.kind == kind).map(|t| t.doc.as_str()).collect();
        members.iter().filter(|m| with.contains(*m)).count() as f64 / members.len() as f64
    };
    let near = |got: f64, want: f64| (got - want).abs() < 0.05;
    assert!(near(share(SourceKind::Member), 0.30), "member copies {}", share(SourceKind::Member));
    assert!(near(share(SourceKind::Template), 0.20), "template copies {}", share(SourceKind::Template));
    assert!(near(share(SourceKind::Boilerplate), 0.60), "boilerplate {}", share(SourceKind::Boilerplate));
    let previous = corpus.documents.iter().filter(|d| d.kind == DocKind::PreviousYear).count() as f64;
    assert!(near(previous / members.len() as f64, 0.15), "previous-year share {}", previous / members.len() as f64);
    let templates = corpus.documents.iter().filter(|d| d.kind == DocKind::Template).count();
    assert_eq!(templates, 12);
    assert!(corpus.documents.iter().filter(|d| d.kind == DocKind::Template).all(|d| d.author.is_none()));
}

#[test]
fn boilerplate_follows_a_zipf_like_law() {
    let mut config = config(1500, 19);
    config.rates = Rates { boilerplate: 1.0, ..Rates::none() };
    let corpus = generate(&config).expect("valid");
    let mut docs_per_sentence = vec![std::collections::HashSet::new(); boilerplate_pool().len()];
    for t in corpus.truth.iter().filter(|t| t.kind == SourceKind::Boilerplate) {
        docs_per_sentence[t.pool.expect("pooled")].insert(t.doc.as_str());
    }
    let mut counts: Vec<usize> = docs_per_sentence.iter().map(|s| s.len()).collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top = counts[0];
    let median = counts[counts.len() / 2];
    let docs = corpus.documents.len();
    assert!(top as f64 > 0.15 * docs as f64, "the favourite is in {top} of {docs} documents");
    assert!(top > 10 * median.max(1), "top {top}, median {median}");
}

#[test]
fn copies_come_from_within_the_window() {
    let mut config = config(200, 23);
    config.window = 8;
    config.rates.member_copy = 1.0;
    let corpus = generate(&config).expect("valid");
    let order: HashMap<&str, usize> = corpus
        .documents
        .iter()
        .filter(|d| d.kind == DocKind::Member)
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut copies = 0;
    for t in corpus.truth.iter().filter(|t| t.kind == SourceKind::Member) {
        let copier = order[t.doc.as_str()];
        let source = order[t.source.as_deref().expect("named")];
        assert!(source < copier && copier - source <= 8, "{copier} copies {source}");
        copies += 1;
    }
    assert!(copies > 150);
}

#[test]
fn documents_have_the_length_of_real_materials() {
    let corpus = generate(&config(100, 29)).expect("valid");
    for doc in &corpus.documents {
        let len = doc.text.chars().count();
        assert!((2_000..=7_000).contains(&len), "{} has {len} chars", doc.id);
    }
    let mut four = Config::new(50, 31, ["政治", "纪律", "作风", "群众"].map(String::from).to_vec());
    four.template_count = 0;
    for doc in generate(&four).expect("valid").documents {
        let len = doc.text.chars().count();
        assert!((1_500..=6_000).contains(&len), "{} has {len} chars", doc.id);
    }
}

#[test]
fn corpora_round_trip_through_json_lines() {
    let corpus = generate(&config(10, 37)).expect("valid");
    for doc in &corpus.documents {
        let line = serde_json::to_string(doc).expect("serializes");
        assert_eq!(&serde_json::from_str::<mingjing_corpus::Document>(&line).expect("parses"), doc);
    }
    for t in &corpus.truth {
        let line = serde_json::to_string(t).expect("serializes");
        assert!(!line.contains('\n'));
        assert_eq!(&serde_json::from_str::<Injection>(&line).expect("parses"), t);
    }
    let edit = serde_json::to_string(&Edit::CharEdits(2)).expect("serializes");
    assert_eq!(edit, r#"{"char_edits":2}"#);
    assert_eq!(serde_json::to_string(&SourceKind::PreviousYear).expect("serializes"), r#""previous_year""#);
}

#[test]
fn bad_configs_are_refused() {
    assert_eq!(Generator::new(Config::new(1, 1, Vec::new())).err(), Some(ConfigError::NoAspects));
    let mut c = config(1, 1);
    c.rates.member_copy = 1.5;
    assert!(matches!(Generator::new(c).err(), Some(ConfigError::Probability { .. })));
    let mut c = config(1, 1);
    c.edits = EditWeights { verbatim: 0.0, ..EditWeights::verbatim_only() };
    assert_eq!(Generator::new(c).err(), Some(ConfigError::EditWeights));
    let mut c = config(1, 1);
    c.window = 0;
    assert_eq!(Generator::new(c).err(), Some(ConfigError::Window));
    let mut c = config(1, 1);
    c.aspects.push("两行\n标题".to_owned());
    assert!(matches!(Generator::new(c).err(), Some(ConfigError::BadAspect(_))));
    assert!(generate(&Config::new(0, 1, aspects())).is_ok());
}

#[test]
fn the_year_moves_the_notice() {
    let config = Config::new(3, 1, aspects()).with_year(2025);
    assert!(config.mandated.contains(&notice_title(2025)));
    assert!(!config.mandated.contains(&notice_title(2024)));
    let corpus = generate(&config).expect("valid");
    assert!(corpus.documents.iter().filter(|d| d.kind == DocKind::Member).all(|d| d.text.contains("2025")));
}

#[test]
fn every_document_parses_with_one_section_per_aspect() {
    use mingjing_review::input::Source;
    use mingjing_review::structure::Material;

    for aspects in [
        aspects(),
        ["政治纪律", "组织纪律", "廉洁纪律", "群众纪律", "工作纪律", "生活纪律"].map(String::from).to_vec(),
        ["学习贯彻党的创新理论情况", "党性修养提高情况", "联系服务群众情况", "发挥先锋模范作用情况"]
            .map(String::from)
            .to_vec(),
    ] {
        let count = aspects.len();
        let mut config = Config::new(60, 41, aspects);
        config.template_count = 5;
        for g in Generator::new(config).expect("valid") {
            let doc = &g.document;
            let source = Source::from_text(doc.text.clone()).expect("readable");
            let material = Material::parse(&source);
            assert_eq!(material.sections.len(), count, "{}:\n{}", doc.id, doc.text);
            assert!(material.causes.items.len() >= 3, "{} causes", doc.id);
            assert!(material.measures.items.len() >= 3, "{} measures", doc.id);
            for section in &material.sections {
                assert!((2..=5).contains(&section.items.len()), "{}: {} items", doc.id, section.items.len());
            }
        }
    }
}
