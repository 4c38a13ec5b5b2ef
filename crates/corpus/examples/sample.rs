//! Prints a few generated materials with their ground truth, to read what the generator
//! writes: `cargo run -p mingjing-corpus --example sample -- [count] [seed]`.
#![allow(clippy::print_stdout)]

use mingjing_corpus::{Config, Generator, SourceKind};

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let aspects = ["政治信仰", "党员意识", "理论学习", "能力本领", "作用发挥", "纪律作风"].map(String::from).to_vec();
    let mut config = Config::new(count, seed, aspects);
    config.template_count = 2;
    for generated in Generator::new(config).into_iter().flatten() {
        let doc = &generated.document;
        println!("===== {} ({:?}, {} chars)", doc.id, doc.kind, doc.text.chars().count());
        println!("{}", doc.text);
        let chars: Vec<char> = doc.text.chars().collect();
        for t in generated.truth.iter().filter(|t| !matches!(t.kind, SourceKind::Heading)) {
            let span: String = chars.get(t.start..t.end).map(|c| c.iter().collect()).unwrap_or_default();
            println!("  [{}..{}] {:?} {:?} {:?} {span:?}", t.start, t.end, t.kind, t.edit, t.source);
        }
    }
}
