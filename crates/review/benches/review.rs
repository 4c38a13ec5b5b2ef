//! Parse + every check on one material: the real 2021 example (about 5,700 chars) and a
//! 15 KB material made by lengthening it. `cargo bench -p mingjing-review --bench review`.

use criterion::{Criterion, criterion_group, criterion_main};
use mingjing_review::{Audience, Campaign, Options, input, review};
use std::hint::black_box;

const EXAMPLE: &str = include_str!("../../../examples/material-2021-county.txt");

/// The example with each problem paragraph said again in other words' order, to reach
/// about 15 KB while keeping a real material's shape.
fn long_material() -> String {
    let mut text = String::new();
    for line in EXAMPLE.lines() {
        text.push_str(line);
        text.push('\n');
        if line.starts_with("一是") && line.contains("二是") {
            let mut reversed: Vec<&str> = line.split('。').collect();
            reversed.reverse();
            text.push_str(&reversed.join("。"));
            text.push('\n');
        }
    }
    while text.len() < 15_000 {
        text = text.replacen(
            "二、产生问题的原因分析",
            "二、产生问题的原因分析\n\n一是进一步说明。补充的原因剖析内容，用来加长材料。",
            1,
        );
    }
    text
}

fn bench(c: &mut Criterion) {
    let campaign = Campaign::builtin("2021-county").expect("built-in");
    let options = Options::default();
    // Load the dictionary outside the measurement: a server pays it once at start.
    let warm = input::read("x.txt", EXAMPLE.as_bytes()).expect("example");
    black_box(review(&warm, &campaign, Audience::Member, &options));

    let long = long_material();
    for (name, text) in [("example_5k_chars", EXAMPLE.to_owned()), ("material_15kb", long)] {
        let bytes = text.into_bytes();
        c.bench_function(&format!("review/{name}"), |b| {
            b.iter(|| {
                let source = input::read("m.txt", black_box(&bytes)).expect("readable");
                black_box(review(&source, &campaign, Audience::Member, &options))
            })
        });
    }
}

/// Each stage alone on the example, to see where the time goes.
fn stages(c: &mut Criterion) {
    use mingjing_review::checks::{correspondence, coverage, proportion, repetition, specificity};
    use mingjing_review::normalize::NormText;
    use mingjing_review::structure::Material;
    let campaign = Campaign::builtin("2021-county").expect("built-in");
    let aspects = campaign.aspects_for(Audience::Member);
    let mandated = campaign.mandated_phrases(Audience::Member);
    let source = input::read("x.txt", EXAMPLE.as_bytes()).expect("example");
    let material = Material::parse(&source);
    black_box(correspondence::correspondence(&material, correspondence::DEFAULT_THRESHOLD));
    c.bench_function("stage/read", |b| b.iter(|| input::read("x.txt", black_box(EXAMPLE.as_bytes()))));
    c.bench_function("stage/normalize", |b| b.iter(|| NormText::new(black_box(&source))));
    c.bench_function("stage/parse", |b| b.iter(|| Material::parse(black_box(&source))));
    c.bench_function("stage/coverage", |b| b.iter(|| coverage::coverage(black_box(&material), aspects)));
    c.bench_function("stage/repetition", |b| b.iter(|| repetition::repetitions(black_box(&material), &mandated, 12)));
    c.bench_function("stage/correspondence", |b| {
        b.iter(|| correspondence::correspondence(black_box(&material), correspondence::DEFAULT_THRESHOLD))
    });
    c.bench_function("stage/specificity", |b| b.iter(|| specificity::vague_problems(black_box(&material))));
    c.bench_function("stage/proportion", |b| b.iter(|| proportion::proportions(black_box(&material))));
}

criterion_group!(benches, bench, stages);
criterion_main!(benches);
