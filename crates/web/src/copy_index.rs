//! Each campaign's copy index, kept in memory and brought up to date from the database
//! before every review: only materials whose version changed (and templates added or
//! removed) are re-indexed, so a submission costs one small query plus its own text,
//! and every server process over one PostgreSQL sees every other process's materials.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use mingjing_review::copy::{CopyOptions, DocKind, Index, MemoryTexts, Querier, SourceDoc};
use mingjing_review::normalize::NormText;
use mingjing_review::{Audience, Campaign as Definition, Corpus, Options, Review, Source, review_against};
use mingjing_storage::{Store, StoreError};
use tokio::sync::RwLock;

/// Prefix of template ids inside an index, so they can never collide with material ids.
const TEMPLATE: &str = "template:";

/// One campaign's index and what it was built from.
#[derive(Debug, Default)]
pub struct CampaignIndex {
    index: Index,
    texts: MemoryTexts,
    /// Document id → the version indexed (templates never change: version 0).
    versions: HashMap<String, i64>,
}

/// What a refresh did, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refresh {
    pub added: usize,
    pub removed: usize,
}

impl CampaignIndex {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Whether the index holds this document at this version.
    pub fn holds(&self, id: &str, version: i64) -> bool {
        self.versions.get(id) == Some(&version)
    }

    fn put(&mut self, id: &str, author: Option<&str>, kind: DocKind, version: i64, body: String) {
        self.drop_doc(id);
        // A body the engine cannot read (empty, binary) is simply not a copy source.
        let Ok(source) = Source::from_text(body) else { return };
        let doc = SourceDoc::new(NormText::new(&source));
        if self.index.add(id, author, kind, &doc.skeleton).is_ok() {
            self.texts.insert(id, Arc::new(doc));
            self.versions.insert(id.to_owned(), version);
        }
    }

    fn drop_doc(&mut self, id: &str) -> bool {
        self.texts.remove(id);
        self.versions.remove(id);
        self.index.remove(id)
    }

    /// Reviews a material against everything in the index but itself.
    pub fn review(&self, source: &Source, definition: &Definition, material_id: &str, author: &str) -> Review {
        let options = CopyOptions::default();
        let corpus = Corpus { index: &self.index, texts: &self.texts, options: &options };
        let me = Querier { id: Some(material_id), author: Some(author) };
        review_against(source, definition, Audience::Member, &Options::default(), &corpus, &me)
    }
}

/// Every campaign's index in this process.
#[derive(Debug, Default, Clone)]
pub struct Indexes {
    campaigns: Arc<Mutex<HashMap<String, Arc<RwLock<CampaignIndex>>>>>,
}

impl Indexes {
    fn entry(&self, campaign_id: &str) -> Arc<RwLock<CampaignIndex>> {
        let mut all = self.campaigns.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(all.entry(campaign_id.to_owned()).or_default())
    }

    /// The campaign's index, brought up to date with the database. `opener_path` is the
    /// materialized path of the organization that opened the campaign: templates of it and
    /// of its ancestors apply.
    pub async fn current(
        &self,
        store: &Store,
        campaign_id: &str,
        opener_path: &str,
    ) -> Result<(Arc<RwLock<CampaignIndex>>, Refresh), StoreError> {
        let entry = self.entry(campaign_id);
        let refresh = {
            let mut index = entry.write().await;
            refresh(store, &mut index, campaign_id, opener_path).await?
        };
        if refresh != Refresh::default() {
            tracing::debug!(
                campaign = campaign_id,
                added = refresh.added,
                removed = refresh.removed,
                "copy index refreshed"
            );
        }
        Ok((entry, refresh))
    }
}

async fn refresh(
    store: &Store,
    index: &mut CampaignIndex,
    campaign_id: &str,
    opener_path: &str,
) -> Result<Refresh, StoreError> {
    let mut done = Refresh::default();
    let live = store.corpus_versions(campaign_id).await?;
    let templates = store.template_ids_for(opener_path).await?;
    let wanted: HashMap<String, i64> = live
        .iter()
        .map(|(id, _, version)| (id.clone(), *version))
        .chain(templates.iter().map(|id| (format!("{TEMPLATE}{id}"), 0)))
        .collect();
    let stale: Vec<String> = index.versions.keys().filter(|id| !wanted.contains_key(*id)).cloned().collect();
    for id in stale {
        index.drop_doc(&id);
        done.removed += 1;
    }
    let missing = live.iter().filter(|(id, _, version)| !index.holds(id, *version)).count();
    if missing > 0 && missing * 2 >= live.len() {
        // Most of the campaign is new to this process (a cold start): one query for all.
        for (material, body) in store.submitted_bodies(campaign_id).await? {
            if !index.holds(&material.id, material.version) {
                index.put(&material.id, Some(&material.member_id), DocKind::Member, material.version, body);
                done.added += 1;
            }
        }
    } else {
        for (id, author, version) in &live {
            if !index.holds(id, *version) {
                let body = store.material_version(id, *version).await?.body;
                index.put(id, Some(author), DocKind::Member, *version, body);
                done.added += 1;
            }
        }
    }
    for id in templates {
        let key = format!("{TEMPLATE}{id}");
        if !index.versions.contains_key(&key) {
            let template = store.reference_document(&id).await?;
            index.put(&key, None, DocKind::Template, 0, template.body);
            done.added += 1;
        }
    }
    Ok(done)
}

/// The template's stored id inside an index source id, if it is one.
pub fn template_id(source: &str) -> Option<&str> {
    source.strip_prefix(TEMPLATE)
}
