//! Measures generation speed on one core: `cargo run --release -p mingjing-corpus
//! --example throughput -- [members] [seed]` (default 10,000 members). Streams, so
//! memory stays at the copy window whatever the count.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use mingjing_corpus::{Config, Generator};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let aspects = ["政治信仰", "党员意识", "理论学习", "能力本领", "作用发挥", "纪律作风"].map(String::from).to_vec();
    let generator = match Generator::new(Config::new(n, seed, aspects)) {
        Ok(g) => g,
        Err(e) => {
            println!("bad configuration: {e}");
            return;
        }
    };
    let started = Instant::now();
    let (mut docs, mut chars, mut truth) = (0usize, 0usize, 0usize);
    for g in generator {
        docs += 1;
        chars += g.document.text.chars().count();
        truth += g.truth.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} members → {docs} documents, {:.1} M chars, {truth} truth rows in {secs:.2} s: {:.0} documents/s, {:.1} M chars/s",
        chars as f64 / 1e6,
        docs as f64 / secs,
        chars as f64 / 1e6 / secs
    );
}
