//! The streaming generator: yields templates, then each member's previous-year
//! document (if any) and current document, one at a time with its truth. It keeps only
//! what later documents may copy from — the templates, the last `Config::window` member
//! documents, and the pending previous-year document — so memory stays bounded at any
//! corpus size.

use std::collections::VecDeque;

use crate::compose::{self, Kept, Layout, Place, Planned, Pools, Slot, Spec};
use crate::config::{Config, ConfigError, notice_title};
use crate::edit;
use crate::grammar::Grammar;
use crate::lexicon::{self, entities};
use crate::model::{Corpus, DocKind, Document, Generated, SourceKind};
use crate::rng::{Rng, Stream, Zipf};

/// Most injections of one kind in one document.
const MAX_PER_KIND: usize = 4;
/// Shortest copied passage: a copy shorter than this is not a copy anyone could prove.
const MIN_COPY_CHARS: usize = 20;

/// Generates a whole corpus in memory. For large corpora iterate a [`Generator`].
pub fn generate(config: &Config) -> Result<Corpus, ConfigError> {
    let mut corpus = Corpus::default();
    for g in Generator::new(config.clone())? {
        corpus.documents.push(g.document);
        corpus.truth.extend(g.truth);
    }
    Ok(corpus)
}

/// The stock sentences boilerplate injections draw from; `Injection::pool` indexes it.
pub fn boilerplate_pool() -> &'static [&'static str] {
    lexicon::BOILERPLATE
}

/// Yields the corpus one document at a time, in the order of [`Corpus::documents`].
#[derive(Debug)]
pub struct Generator {
    config: Config,
    pools: Pools,
    zipf: Zipf,
    /// `config.mandated` with the notice of the year before, for previous-year documents.
    previous_mandated: Vec<String>,
    templates: Vec<Kept>,
    ring: VecDeque<Kept>,
    next_template: usize,
    next_member: usize,
    /// The current member's previous-year document, yielded and waiting to be copied.
    pending: Option<Kept>,
}

/// Who writes a member document; drawn from the author's own stream so the previous-year
/// and current documents agree.
#[derive(Debug)]
struct Author {
    id: String,
    unit: String,
    has_previous: bool,
    repeats_previous: bool,
}

impl Generator {
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let pools = Pools::resolve(Grammar::get(), &config.aspects);
        let this_notice = notice_title(config.year);
        let last_notice = notice_title(config.year.saturating_sub(1));
        let previous_mandated =
            config.mandated.iter().map(|m| if *m == this_notice { last_notice.clone() } else { m.clone() }).collect();
        Ok(Self {
            zipf: Zipf::new(lexicon::BOILERPLATE.len()),
            pools,
            previous_mandated,
            templates: Vec::with_capacity(config.template_count),
            ring: VecDeque::with_capacity(config.window.min(4096)),
            next_template: 0,
            next_member: 0,
            pending: None,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn author(&self, index: usize) -> Author {
        let mut rng = Rng::new(self.config.seed, Stream::Author, index as u64);
        let unit = entities::unit(&mut rng);
        let has_previous = rng.chance(self.config.previous_year_share);
        let repeats_previous = rng.chance(self.config.rates.previous_year_copy);
        Author { id: format!("author-{index:06}"), unit, has_previous, repeats_previous }
    }

    fn template(&mut self, index: usize) -> Generated {
        let mut rng = Rng::new(self.config.seed, Stream::Template, index as u64);
        let id = format!("template-{index:04}");
        let unit = entities::unit(&mut rng);
        let year = self.config.year;
        let written = self.write(&id, &unit, year, &mut rng, Copies::default(), false);
        self.templates.push(Kept { id: id.clone(), text: written.text.clone(), units: written.units });
        Generated {
            document: Document { id, author: None, kind: DocKind::Template, year, text: written.text },
            truth: written.truth,
        }
    }

    fn previous(&mut self, index: usize, author: &Author) -> Generated {
        let mut rng = Rng::new(self.config.seed, Stream::Previous, index as u64);
        let id = format!("prev-{index:06}");
        let year = self.config.year.saturating_sub(1);
        let written = self.write(&id, &author.unit, year, &mut rng, Copies::default(), true);
        self.pending = Some(Kept { id: id.clone(), text: written.text.clone(), units: written.units });
        Generated {
            document: Document {
                id,
                author: Some(author.id.clone()),
                kind: DocKind::PreviousYear,
                year,
                text: written.text,
            },
            truth: written.truth,
        }
    }

    fn member(&mut self, index: usize, author: &Author) -> Generated {
        let mut rng = Rng::new(self.config.seed, Stream::Member, index as u64);
        let id = format!("member-{index:06}");
        let year = self.config.year;
        let rates = &self.config.rates;
        let copies = Copies {
            member: if !self.ring.is_empty() && rng.chance(rates.member_copy) {
                rng.count(rates.repeat, MAX_PER_KIND)
            } else {
                0
            },
            template: if !self.templates.is_empty() && rng.chance(rates.template_copy) {
                rng.count(rates.repeat, MAX_PER_KIND)
            } else {
                0
            },
            previous: if self.pending.is_some() && author.repeats_previous {
                rng.count(rates.repeat, MAX_PER_KIND)
            } else {
                0
            },
        };
        let written = self.write(&id, &author.unit, year, &mut rng, copies, false);
        let kept = Kept { id: id.clone(), text: written.text.clone(), units: written.units };
        if self.ring.len() >= self.config.window {
            self.ring.pop_front();
        }
        self.ring.push_back(kept);
        self.pending = None;
        Generated {
            document: Document { id, author: Some(author.id.clone()), kind: DocKind::Member, year, text: written.text },
            truth: written.truth,
        }
    }

    /// Draws the layout, plans the injections and writes the document.
    fn write(
        &self,
        id: &str,
        unit: &str,
        year: u16,
        rng: &mut Rng,
        copies: Copies,
        previous_year: bool,
    ) -> compose::Written {
        let config = &self.config;
        let layout = Layout::draw(rng, config.aspects.len(), config.title_share, config.matters_report_share);
        let projects: Vec<String> = (0..rng.range(3, 5)).map(|_| entities::project(rng)).collect();
        let mut planner = Planner { layout: &layout, planned: Vec::new(), rng, config };
        for _ in 0..copies.previous {
            if let Some(source) = &self.pending {
                planner.copy(source, SourceKind::PreviousYear, 0.6, true);
            }
        }
        for _ in 0..copies.template {
            let at = planner.rng.below(self.templates.len());
            if let Some(source) = self.templates.get(at) {
                planner.copy(source, SourceKind::Template, 0.2, false);
            }
        }
        for _ in 0..copies.member {
            let at = planner.rng.below(self.ring.len());
            if let Some(source) = self.ring.get(at) {
                planner.copy(source, SourceKind::Member, 0.25, false);
            }
        }
        if planner.rng.chance(config.rates.boilerplate) {
            let count = planner.rng.count(config.rates.repeat, MAX_PER_KIND);
            planner.boilerplate(count, &self.zipf);
        }
        let planned = std::mem::take(&mut planner.planned);
        let mandated = if previous_year { &self.previous_mandated } else { &config.mandated };
        let spec = Spec {
            id,
            year,
            unit,
            projects: &projects,
            aspects: &config.aspects,
            mandated,
            layout: &layout,
            planned: &planned,
        };
        compose::write(&spec, &self.pools, rng)
    }
}

/// How many copies of each kind a document takes.
#[derive(Debug, Default, Clone, Copy)]
struct Copies {
    member: usize,
    template: usize,
    previous: usize,
}

struct Planner<'a> {
    layout: &'a Layout,
    planned: Vec<Planned>,
    rng: &'a mut Rng,
    config: &'a Config,
}

impl Planner<'_> {
    /// Plans one copy out of `source`: a whole problem item with probability `whole`,
    /// else a run of 1–4 sentences of one item. `problems_only` keeps to the problems
    /// part (last year's problems are what gets repeated).
    fn copy(&mut self, source: &Kept, kind: SourceKind, whole: f64, problems_only: bool) {
        let Some((range, place, is_whole)) = self.pick_run(source, whole, problems_only) else { return };
        let Some(first) = source.units.get(range.start) else { return };
        let Some(last) = source.units.get(range.end - 1) else { return };
        let Some(text) = source.text.get(first.bytes.start..last.bytes.end) else { return };
        let slot = match place {
            Place::Opening => Slot::Opening,
            Place::Problem(s) => {
                let section = s.min(self.layout.items.len().saturating_sub(1));
                let items = self.layout.items.get(section).copied().unwrap_or(1);
                let free: Vec<usize> = (0..items)
                    .filter(|&i| !self.planned.iter().any(|p| p.whole && p.slot == Slot::Problem { section, item: i }))
                    .collect();
                let item = match (is_whole, self.rng.pick(&free)) {
                    (true, Some(&i)) => i,
                    _ => self.rng.below(items),
                };
                Slot::Problem { section, item }
            }
            Place::Cause => Slot::Cause(self.rng.below(self.layout.causes)),
            Place::Measure => Slot::Measure(self.rng.below(self.layout.measures)),
        };
        let whole = is_whole && !self.planned.iter().any(|p| p.whole && p.slot == slot);
        let (edit, text) = edit::edit(text, &self.config.edits, self.rng);
        self.planned.push(Planned {
            slot,
            whole,
            text,
            kind,
            source: Some(source.id.clone()),
            source_chars: first.chars.start..last.chars.end,
            edit,
            pool: None,
        });
    }

    /// A run of contiguous own sentences of one group (unit indices), its place, and
    /// whether it is a whole problem item.
    fn pick_run(
        &mut self,
        source: &Kept,
        whole: f64,
        problems_only: bool,
    ) -> Option<(std::ops::Range<usize>, Place, bool)> {
        let units = &source.units;
        let contiguous = |i: usize| matches!((units.get(i), units.get(i + 1)), (Some(a), Some(b)) if a.group == b.group && a.bytes.end == b.bytes.start);
        if self.rng.chance(whole) {
            // Whole problem items: groups whose every sentence is own and contiguous.
            let mut items = Vec::new();
            let mut start = 0;
            while start < units.len() {
                let mut end = start + 1;
                while end < units.len() && units[end].group == units[start].group {
                    end += 1;
                }
                let complete = (start..end - 1).all(contiguous);
                if complete && end - start >= 2 && matches!(units[start].place, Place::Problem(_)) {
                    items.push(start..end);
                }
                start = end;
            }
            if let Some(range) = self.rng.pick(&items).cloned() {
                let place = units.get(range.start).map_or(Place::Opening, |u| u.place);
                return Some((range, place, true));
            }
        }
        let candidates: Vec<usize> =
            (0..units.len()).filter(|&i| !problems_only || matches!(units[i].place, Place::Problem(_))).collect();
        for _ in 0..8 {
            let &start = self.rng.pick(&candidates)?;
            let want = match self.rng.below(20) {
                0..=9 => 1,
                10..=14 => 2,
                15..=17 => 3,
                _ => 4,
            };
            let mut end = start + 1;
            let chars = |end: usize| units[start].chars.start.abs_diff(units[end - 1].chars.end);
            while contiguous(end - 1) && (end - start < want || chars(end) < MIN_COPY_CHARS) && end - start < 4 {
                end += 1;
            }
            if chars(end) >= MIN_COPY_CHARS {
                let place = units[start].place;
                return Some((start..end, place, false));
            }
        }
        None
    }

    /// Plans `count` distinct stock sentences.
    /// Ranks follow Zipf's law with s = 1.1 (see `rng::Zipf`): a few stock sentences
    /// are in a large share of documents, as the real favourites are.
    fn boilerplate(&mut self, count: usize, zipf: &Zipf) {
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..count * 4 {
            if chosen.len() == count {
                break;
            }
            let i = zipf.sample(self.rng);
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        for index in chosen {
            let Some(sentence) = lexicon::BOILERPLATE.get(index) else { continue };
            let slot = match self.rng.below(20) {
                0..=2 => Slot::Opening,
                3..=11 => {
                    let section = self.rng.below(self.layout.items.len());
                    let item = self.rng.below(self.layout.items.get(section).copied().unwrap_or(1));
                    Slot::Problem { section, item }
                }
                12..=15 => Slot::Cause(self.rng.below(self.layout.causes)),
                _ => Slot::Measure(self.rng.below(self.layout.measures)),
            };
            let (edit, text) = edit::edit(sentence, &self.config.edits, self.rng);
            self.planned.push(Planned {
                slot,
                whole: false,
                text,
                kind: SourceKind::Boilerplate,
                source: None,
                source_chars: 0..sentence.chars().count(),
                edit,
                pool: Some(index),
            });
        }
    }
}

impl Iterator for Generator {
    type Item = Generated;

    fn next(&mut self) -> Option<Generated> {
        if self.next_template < self.config.template_count {
            let index = self.next_template;
            self.next_template += 1;
            return Some(self.template(index));
        }
        if self.next_member >= self.config.n {
            return None;
        }
        let index = self.next_member;
        let author = self.author(index);
        if author.has_previous && self.pending.is_none() {
            return Some(self.previous(index, &author));
        }
        self.next_member += 1;
        Some(self.member(index, &author))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let templates = self.config.template_count - self.next_template.min(self.config.template_count);
        let members = self.config.n - self.next_member.min(self.config.n);
        let pending = usize::from(self.pending.is_some());
        let most = members.saturating_mul(2).saturating_sub(pending).saturating_add(templates);
        (templates.saturating_add(members), Some(most))
    }
}
