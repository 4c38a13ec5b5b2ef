//! Documents written independently must not share long runs of text by accident, or
//! copy detection measured on the corpus would count the generator's own repetitions as
//! copies. Checks runs of 13 and of 20 characters (punctuation and whitespace left out)
//! across 300 member documents plus templates and previous-year documents, with every
//! injection switched off; headings and mandated phrases are legitimately shared and
//! left out.
//!
//! Measured at seed 2024: about 0.6% of distinct 13-character runs recur in another
//! document — short stock turns such as "开展谈心谈话算下来只有" that the frames share —
//! and under 0.01% of 20-character runs. Injected copies are at least 20 characters, so
//! a detector evaluated on spans of 20 or more sees essentially no accidental matches.
//! The bounds below are regression guards with some margin over those figures.
//! `OVERLAP_SHOW=1 cargo test --release --test overlap -- --nocapture` prints the
//! most-shared runs, a marked-up document and the rate per part.
#![allow(clippy::print_stdout)]

use std::collections::{HashMap, HashSet};

use mingjing_corpus::{Config, Corpus, Rates, SourceKind, generate};

const K: usize = 13;
/// Longer runs, the length of the shortest injected copy.
const LONG: usize = 20;

fn aspects() -> Vec<String> {
    ["政治信仰", "党员意识", "理论学习", "能力本领", "作用发挥", "纪律作风"].map(String::from).to_vec()
}

fn fnv(chars: &[char]) -> u64 {
    chars.iter().fold(0xcbf2_9ce4_8422_2325, |h, c| (h ^ u64::from(*c)).wrapping_mul(0x0100_0000_01b3))
}

/// The runs of content characters of each document outside the exempt spans.
fn segments(corpus: &Corpus) -> Vec<Vec<Vec<char>>> {
    corpus
        .documents
        .iter()
        .map(|doc| {
            let chars: Vec<char> = doc.text.chars().collect();
            let mut exempt = vec![false; chars.len()];
            for t in corpus.truth.iter().filter(|t| t.doc == doc.id) {
                assert!(matches!(t.kind, SourceKind::Heading | SourceKind::Mandated), "injection with rates 0: {t:?}");
                exempt[t.start..t.end].iter_mut().for_each(|e| *e = true);
            }
            let mut segs = vec![Vec::new()];
            for (c, ex) in chars.iter().zip(&exempt) {
                if *ex {
                    if segs.last().is_some_and(|s| !s.is_empty()) {
                        segs.push(Vec::new());
                    }
                } else if c.is_alphanumeric() {
                    if let Some(s) = segs.last_mut() {
                        s.push(*c);
                    }
                }
            }
            segs
        })
        .collect()
}

#[test]
fn independent_documents_share_no_13_char_run() {
    let mut config = Config::new(300, 2024, aspects());
    config.rates = Rates::none();
    let corpus = generate(&config).expect("valid config");
    let segs = segments(&corpus);

    // gram hash → (first document, shared by another document)
    let mut seen: HashMap<u64, (usize, bool)> = HashMap::new();
    let mut total = 0usize;
    for (d, doc_segs) in segs.iter().enumerate() {
        let mut own: HashSet<u64> = HashSet::new();
        for seg in doc_segs {
            for w in seg.windows(K) {
                own.insert(fnv(w));
            }
        }
        total += own.len();
        for h in own {
            seen.entry(h).and_modify(|(first, shared)| *shared |= *first != d).or_insert((d, false));
        }
    }
    let shared: HashSet<u64> = seen.iter().filter(|(_, (_, s))| *s).map(|(h, _)| *h).collect();
    let mut docs_with_shared = HashSet::new();
    let mut examples: HashMap<String, usize> = HashMap::new();
    let mut same_author = 0;
    let authors: Vec<Option<&str>> = corpus.documents.iter().map(|d| d.author.as_deref()).collect();
    let mut holders: HashMap<u64, Vec<usize>> = HashMap::new();
    for (d, doc_segs) in segs.iter().enumerate() {
        for seg in doc_segs {
            for w in seg.windows(K) {
                let h = fnv(w);
                if shared.contains(&h) {
                    docs_with_shared.insert(d);
                    *examples.entry(w.iter().collect()).or_default() += 1;
                    let list = holders.entry(h).or_default();
                    if !list.contains(&d) {
                        list.push(d);
                    }
                }
            }
        }
    }
    for list in holders.values() {
        if list.len() == 2 && authors[list[0]].is_some() && authors[list[0]] == authors[list[1]] {
            same_author += 1;
        }
    }
    let mut top: Vec<(String, usize)> = examples.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let docs = corpus.documents.len();
    println!(
        "{docs} documents, {total} distinct {K}-grams, {} shared between documents ({:.4}%), {} of them only by one author's two years; {} documents ({:.1}%) share at least one",
        shared.len(),
        100.0 * shared.len() as f64 / total.max(1) as f64,
        same_author,
        docs_with_shared.len(),
        100.0 * docs_with_shared.len() as f64 / docs as f64,
    );
    let long = shared_share(&segs, LONG);
    println!("{LONG}-character runs shared: {:.4}% of distinct {LONG}-grams", 100.0 * long);
    for (gram, n) in top.iter().take(40) {
        println!("  {n:4} × {gram}");
    }
    if std::env::var_os("OVERLAP_SHOW").is_some() {
        show(&corpus, &shared);
        regions(&corpus, &shared);
    }
    let rate = shared.len() as f64 / total as f64;
    assert!(rate < 0.01, "{:.3}% of 13-character runs shared", 100.0 * rate);
    assert!(long < 0.0005, "{:.4}% of {LONG}-character runs shared", 100.0 * long);
}

/// Prints the first member document with the characters inside shared runs in 【】, to
/// find the fragments that need more variety.
fn show(corpus: &Corpus, shared: &HashSet<u64>) {
    for doc in corpus.documents.iter().filter(|d| d.author.is_some()).take(2) {
        let chars: Vec<char> = doc.text.chars().collect();
        let content: Vec<usize> = (0..chars.len()).filter(|&i| chars[i].is_alphanumeric()).collect();
        let mut hit = vec![false; chars.len()];
        for w in content.windows(K) {
            let gram: Vec<char> = w.iter().map(|&i| chars[i]).collect();
            if shared.contains(&fnv(&gram)) {
                for &i in w {
                    hit[i] = true;
                }
            }
        }
        let mut out = String::new();
        let mut open = false;
        for (c, h) in chars.iter().zip(&hit) {
            if *h != open {
                out.push(if *h { '【' } else { '】' });
                open = *h;
            }
            out.push(*c);
        }
        println!("{out}");
    }
}

/// Counts shared runs by the part of the material they start in.
fn regions(corpus: &Corpus, shared: &HashSet<u64>) {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for doc in &corpus.documents {
        let chars: Vec<char> = doc.text.chars().collect();
        let content: Vec<usize> = (0..chars.len()).filter(|&i| chars[i].is_alphanumeric()).collect();
        let text = &doc.text;
        let find = |needle: &str| text.find(needle).map_or(usize::MAX, |b| text[..b].chars().count());
        let causes = find("二、");
        let measures = find("三、");
        let problems = find("一、");
        for w in content.windows(K) {
            let gram: Vec<char> = w.iter().map(|&i| chars[i]).collect();
            let at = w[0];
            let region = if at < problems {
                "opening"
            } else if at < causes {
                "problems"
            } else if at < measures {
                "causes"
            } else {
                "measures"
            };
            let e = counts.entry(region).or_default();
            e.1 += 1;
            if shared.contains(&fnv(&gram)) {
                e.0 += 1;
            }
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort();
    for (region, (hit, all)) in rows {
        println!("{region:9} {hit:6} of {all:8} ({:.3}%)", 100.0 * hit as f64 / all as f64);
    }
}

/// Share of distinct k-grams found in more than one document.
fn shared_share(segs: &[Vec<Vec<char>>], k: usize) -> f64 {
    let mut seen: HashMap<u64, (usize, bool)> = HashMap::new();
    for (d, doc_segs) in segs.iter().enumerate() {
        for seg in doc_segs {
            for w in seg.windows(k) {
                seen.entry(fnv(w)).and_modify(|(first, shared)| *shared |= *first != d).or_insert((d, false));
            }
        }
    }
    seen.values().filter(|(_, s)| *s).count() as f64 / seen.len().max(1) as f64
}
