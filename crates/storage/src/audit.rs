//! The audit log: who did what, when, from where, with what outcome. The application only ever appends to it, and
//! every entry is a link of a hash chain — its place (`seq`), the previous entry's hash and its own hash over both —
//! so that an entry edited, inserted or deleted behind the application's back shows up in [`Store::verify_audit`].

use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, new_id};

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry<'a> {
    pub at: i64,
    pub account_id: Option<&'a str>,
    /// `login`, `login_failed`, `view_material`, `submit_material`, `export` …
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub source_ip: Option<&'a str>,
    /// `ok` or `denied` or `failed`.
    pub outcome: &'a str,
    pub detail: &'a str,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: String,
    pub at: i64,
    pub account_id: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub source_ip: Option<String>,
    pub outcome: String,
    pub detail: String,
}

/// The hash function of the chain. Each entry names its own, so a log whose setting changed still verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuditHash {
    #[default]
    Sha256,
    /// GB/T 32905-2016, for deployments whose 商用密码 assessment asks for it.
    Sm3,
}

impl AuditHash {
    pub fn code(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sm3 => "sm3",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Some(Self::Sha256),
            "sm3" => Some(Self::Sm3),
            _ => None,
        }
    }

    fn digest(self, bytes: &[u8]) -> String {
        match self {
            Self::Sha256 => hex(&Sha256::digest(bytes)),
            Self::Sm3 => hex(&sm3::Sm3::digest(bytes)),
        }
    }
}

/// The `prev_hash` of the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The end of a prune entry's detail, naming the last entry deleted and its hash; verify looks for it.
fn cut_anchor(cut: &AuditCut) -> String {
    format!("第 {} 条的哈希 {}", cut.through_seq, cut.through_hash)
}

fn prune_detail(via: &str, first: i64, cut: &AuditCut) -> String {
    format!(
        "{via}按保留期删除早于 {} 的第 {first} 至 {} 条，共 {} 条；{}",
        cut.cutoff,
        cut.through_seq,
        cut.deleted,
        cut_anchor(cut)
    )
}

/// One entry as the chain sees it: every stored field, in a fixed order.
struct Link<'a> {
    seq: i64,
    id: &'a str,
    at: i64,
    account_id: Option<&'a str>,
    action: &'a str,
    target: Option<&'a str>,
    source_ip: Option<&'a str>,
    outcome: &'a str,
    detail: &'a str,
}

impl Link<'_> {
    /// `alg(prev_hash ‖ fields)`, each field length-prefixed (and an absent one marked apart from an empty one), so
    /// that no two different entries serialise alike.
    fn hash(&self, alg: AuditHash, prev_hash: &str) -> String {
        let mut bytes = Vec::with_capacity(256 + self.detail.len());
        bytes.extend_from_slice(prev_hash.as_bytes());
        let mut field = |value: Option<&str>| match value {
            None => bytes.push(b'N'),
            Some(text) => {
                bytes.extend_from_slice(format!("S{}:", text.len()).as_bytes());
                bytes.extend_from_slice(text.as_bytes());
            }
        };
        field(Some(&self.seq.to_string()));
        field(Some(self.id));
        field(Some(&self.at.to_string()));
        field(self.account_id);
        field(Some(self.action));
        field(self.target);
        field(self.source_ip);
        field(Some(self.outcome));
        field(Some(self.detail));
        alg.digest(&bytes)
    }
}

/// What walking the chain found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditChainReport {
    /// Entries walked.
    pub entries: i64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// The last entry deleted by the latest retention cut, when the log was ever pruned.
    pub cut_through: Option<i64>,
    /// Everything wrong, in chain order (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<ChainProblem>,
}

/// Problems listed before the walk stops counting them.
pub const MAX_PROBLEMS: usize = 100;

/// One break in the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainProblem {
    #[error("第 {seq} 条的内容与其哈希不符（被修改过）")]
    Altered { seq: i64 },
    #[error("第 {seq} 条记录的前一条哈希与第 {previous} 条不符（其间有记录被删除、插入或修改）")]
    Broken { seq: i64, previous: i64 },
    #[error("第 {after} 条之后缺少第 {} 至 {} 条（被删除）", after + 1, next - 1)]
    Missing { after: i64, next: i64 },
    #[error("第 {seq} 条使用了未知的哈希算法“{alg}”")]
    UnknownHash { seq: i64, alg: String },
    #[error("有 {0} 条记录不在哈希链上（被直接写入数据库）")]
    Unchained(i64),
    #[error("按保留期清理至第 {through} 条的记录在日志中找不到对应的清理条目（清理记录被伪造，或日志被截断）")]
    CutUnrecorded { through: i64 },
}

/// A retention cut: the entries up to `through_seq` were deleted; the first entry kept links to `through_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCut {
    pub id: String,
    pub at: i64,
    /// Who pruned; `None` for the server's daily run.
    pub account_id: Option<String>,
    pub through_seq: i64,
    pub through_hash: String,
    pub deleted: i64,
    /// Entries older than this (Unix ms) were due for deletion.
    pub cutoff: i64,
}

/// The action of the chain entry that records a cut.
pub const PRUNE_ACTION: &str = "audit.prune";

macro_rules! columns {
    () => {
        "id, at, account_id, action, target, source_ip, outcome, detail"
    };
}

fn entry(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        account_id: row.try_get("account_id")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        source_ip: row.try_get("source_ip")?,
        outcome: row.try_get("outcome")?,
        detail: row.try_get("detail")?,
    })
}

impl<'a> Link<'a> {
    fn of(seq: i64, e: &'a AuditEntry) -> Self {
        Link {
            seq,
            id: &e.id,
            at: e.at,
            account_id: e.account_id.as_deref(),
            action: &e.action,
            target: e.target.as_deref(),
            source_ip: e.source_ip.as_deref(),
            outcome: &e.outcome,
            detail: &e.detail,
        }
    }
}

impl Store {
    pub async fn append_audit(&self, entry: &NewAuditEntry<'_>) -> Result<(), StoreError> {
        let _turn = self.small_write_turn().await;
        let stored = AuditEntry {
            id: new_id(),
            at: entry.at,
            account_id: entry.account_id.map(str::to_owned),
            action: entry.action.to_owned(),
            target: entry.target.map(str::to_owned),
            source_ip: entry.source_ip.map(str::to_owned),
            outcome: entry.outcome.to_owned(),
            detail: entry.detail.to_owned(),
        };
        self.chained(|| self.append_link(&stored)).await
    }

    /// Runs a chain write again when another writer took the same place in the chain first (two server processes
    /// on one PostgreSQL database), or the database asked for a retry.
    async fn chained<T, F, Fut>(&self, mut write: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        const ATTEMPTS: u32 = 20;
        let mut attempt = 0;
        loop {
            match write().await {
                Err(e) if (e.is_retryable() || matches!(e, StoreError::Duplicate(_))) && attempt + 1 < ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(1 << attempt.min(6))).await;
                }
                outcome => return outcome,
            }
        }
    }

    async fn append_link(&self, e: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        self.insert_link(&mut tx, e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends `e` at the head of the chain inside `tx`.
    async fn insert_link(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>, e: &AuditEntry) -> Result<(), StoreError> {
        let alg = self.audit_hash();
        let (last, prev_hash) = chain_head(tx).await?;
        let seq = last + 1;
        let hash = Link::of(seq, e).hash(alg, &prev_hash);
        sqlx::query(
            "INSERT INTO audit_log (id, at, account_id, action, target, source_ip, outcome, detail, \
             seq, prev_hash, hash, hash_alg) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&e.id)
        .bind(e.at)
        .bind(&e.account_id)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.source_ip)
        .bind(&e.outcome)
        .bind(&e.detail)
        .bind(seq)
        .bind(&prev_hash)
        .bind(&hash)
        .bind(alg.code())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Deletes the entries older than `cutoff` (Unix ms) — the longest run from the start of the chain, so that no
    /// newer entry goes with them — and records the cut twice: in `audit_cuts`, which [`Store::verify_audit`] reads
    /// to check the first entry kept, and as an `audit.prune` entry on the chain itself, which nobody can remove or
    /// change without breaking the chain. All in one transaction. `None` when nothing was old enough.
    /// `via` says what ran it (the server's daily run, the command), `by` who, when a person did.
    pub async fn prune_audit(
        &self,
        cutoff: i64,
        now: i64,
        via: &str,
        by: Option<&str>,
        source_ip: Option<&str>,
    ) -> Result<Option<AuditCut>, StoreError> {
        let _turn = self.small_write_turn().await;
        self.chained(|| self.prune_once(cutoff, now, via, by, source_ip)).await
    }

    async fn prune_once(
        &self,
        cutoff: i64,
        now: i64,
        via: &str,
        by: Option<&str>,
        source_ip: Option<&str>,
    ) -> Result<Option<AuditCut>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let first: Option<i64> =
            sqlx::query_scalar("SELECT MIN(seq) FROM audit_log WHERE seq IS NOT NULL").fetch_one(&mut *tx).await?;
        let Some(first) = first else { return Ok(None) };
        let first_young: Option<i64> =
            sqlx::query_scalar("SELECT MIN(seq) FROM audit_log WHERE seq IS NOT NULL AND at >= $1")
                .bind(cutoff)
                .fetch_one(&mut *tx)
                .await?;
        let through = match first_young {
            Some(young) => young - 1,
            None => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM audit_log WHERE seq IS NOT NULL")
                .fetch_one(&mut *tx)
                .await?
                .unwrap_or(0),
        };
        if through < first {
            return Ok(None);
        }
        let through_hash: String =
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1").bind(through).fetch_one(&mut *tx).await?;
        let deleted = sqlx::query("DELETE FROM audit_log WHERE seq IS NOT NULL AND seq <= $1")
            .bind(through)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let cut = AuditCut {
            id: new_id(),
            at: now,
            account_id: by.map(str::to_owned),
            through_seq: through,
            through_hash,
            deleted: i64::try_from(deleted).unwrap_or(i64::MAX),
            cutoff,
        };
        sqlx::query(
            "INSERT INTO audit_cuts (id, at, account_id, through_seq, through_hash, deleted, cutoff) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&cut.id)
        .bind(cut.at)
        .bind(&cut.account_id)
        .bind(cut.through_seq)
        .bind(&cut.through_hash)
        .bind(cut.deleted)
        .bind(cut.cutoff)
        .execute(&mut *tx)
        .await?;
        let record = AuditEntry {
            id: new_id(),
            at: now,
            account_id: cut.account_id.clone(),
            action: PRUNE_ACTION.to_owned(),
            target: Some(format!("audit_cut:{}", cut.id)),
            source_ip: source_ip.map(str::to_owned),
            outcome: "ok".to_owned(),
            detail: prune_detail(via, first, &cut),
        };
        self.insert_link(&mut tx, &record).await?;
        tx.commit().await?;
        Ok(Some(cut))
    }

    /// The latest retention cut, if the log was ever pruned.
    pub async fn latest_audit_cut(&self) -> Result<Option<AuditCut>, StoreError> {
        let row = sqlx::query(
            "SELECT id, at, account_id, through_seq, through_hash, deleted, cutoff FROM audit_cuts \
             ORDER BY through_seq DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(AuditCut {
            id: row.try_get("id")?,
            at: row.try_get("at")?,
            account_id: row.try_get("account_id")?,
            through_seq: row.try_get("through_seq")?,
            through_hash: row.try_get("through_hash")?,
            deleted: row.try_get("deleted")?,
            cutoff: row.try_get("cutoff")?,
        }))
    }

    /// Whether the chain holds the `audit.prune` entry that records `cut`.
    async fn cut_recorded(&self, cut: &AuditCut) -> Result<bool, StoreError> {
        let details: Vec<String> = sqlx::query_scalar(
            "SELECT detail FROM audit_log WHERE action = $1 AND target = $2 AND seq IS NOT NULL AND seq > $3",
        )
        .bind(PRUNE_ACTION)
        .bind(format!("audit_cut:{}", cut.id))
        .bind(cut.through_seq)
        .fetch_all(self.pool())
        .await?;
        Ok(details.iter().any(|d| d.ends_with(&cut_anchor(cut))))
    }

    /// Puts entries written before the chain existed onto it, oldest first. Runs at start; a no-op once done.
    pub(crate) async fn chain_legacy_audit(&self) -> Result<(), StoreError> {
        let _turn = self.small_write_turn().await;
        self.chained(|| self.chain_legacy_once()).await
    }

    async fn chain_legacy_once(&self) -> Result<(), StoreError> {
        let alg = self.audit_hash();
        let mut tx = self.pool().begin().await?;
        let rows = sqlx::query(concat!("SELECT ", columns!(), " FROM audit_log WHERE seq IS NULL ORDER BY at, id"))
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let (mut seq, mut prev_hash) = chain_head(&mut tx).await?;
        for row in &rows {
            let e = entry(row)?;
            seq += 1;
            let hash = Link::of(seq, &e).hash(alg, &prev_hash);
            sqlx::query("UPDATE audit_log SET seq = $2, prev_hash = $3, hash = $4, hash_alg = $5 WHERE id = $1")
                .bind(&e.id)
                .bind(seq)
                .bind(&prev_hash)
                .bind(&hash)
                .bind(alg.code())
                .execute(&mut *tx)
                .await?;
            prev_hash = hash;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Walks the whole chain in order, a page at a time, and reports every break.
    pub async fn verify_audit(&self) -> Result<AuditChainReport, StoreError> {
        const PAGE: i64 = 5_000;
        let mut report = AuditChainReport::default();
        let cut = self.latest_audit_cut().await?;
        report.cut_through = cut.as_ref().map(|c| c.through_seq);
        // The first entry kept links to the last one the latest cut deleted, or to the genesis value.
        let (start_after, start_hash) = cut.as_ref().map_or((0, GENESIS), |c| (c.through_seq, c.through_hash.as_str()));
        let mut last: Option<(i64, String)> = None;
        loop {
            let after = last.as_ref().map_or(i64::MIN, |(seq, _)| *seq);
            let rows = sqlx::query(concat!(
                "SELECT ",
                columns!(),
                ", seq, prev_hash, hash, hash_alg FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
            ))
            .bind(after)
            .bind(PAGE)
            .fetch_all(self.pool())
            .await?;
            for row in &rows {
                let seq: i64 = row.try_get("seq")?;
                let prev_hash: String = row.try_get("prev_hash")?;
                let hash: String = row.try_get("hash")?;
                let alg_code: String = row.try_get("hash_alg")?;
                report.entries += 1;
                report.first_seq.get_or_insert(seq);
                report.last_seq = Some(seq);
                let mut problem = |p: ChainProblem| {
                    if report.problems.len() < MAX_PROBLEMS {
                        report.problems.push(p);
                    }
                };
                match &last {
                    Some((previous, _)) if seq != previous + 1 => {
                        problem(ChainProblem::Missing { after: *previous, next: seq })
                    }
                    Some((previous, previous_hash)) if *previous_hash != prev_hash => {
                        problem(ChainProblem::Broken { seq, previous: *previous })
                    }
                    // The oldest entry kept: right after the latest retention cut (or first of all), linked to it.
                    None if seq != start_after + 1 => problem(ChainProblem::Missing { after: start_after, next: seq }),
                    None if prev_hash != start_hash => problem(ChainProblem::Broken { seq, previous: start_after }),
                    _ => {}
                }
                match AuditHash::from_code(&alg_code) {
                    Some(alg) => {
                        let e = entry(row)?;
                        if Link::of(seq, &e).hash(alg, &prev_hash) != hash {
                            problem(ChainProblem::Altered { seq });
                        }
                    }
                    None => problem(ChainProblem::UnknownHash { seq, alg: alg_code }),
                }
                last = Some((seq, hash));
            }
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        if let Some(cut) = &cut
            && !self.cut_recorded(cut).await?
            && report.problems.len() < MAX_PROBLEMS
        {
            report.problems.push(ChainProblem::CutUnrecorded { through: cut.through_seq });
        }
        let unchained: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE seq IS NULL").fetch_one(self.pool()).await?;
        if unchained > 0 && report.problems.len() < MAX_PROBLEMS {
            report.problems.push(ChainProblem::Unchained(unchained));
        }
        Ok(report)
    }

    /// The newest entries first, optionally of one action.
    pub async fn audit_entries(&self, action: Option<&str>, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM audit_log WHERE ($1 IS NULL OR action = $1) ORDER BY at DESC, id DESC LIMIT $2"
        ))
        .bind(action)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry).collect()
    }
}

/// The last link of the chain: its newest entry, or, when a retention cut removed every entry, the cut's last
/// deleted link (so the chain goes on from it rather than starting again at 1), or the genesis.
async fn chain_head(conn: &mut sqlx::AnyConnection) -> Result<(i64, String), StoreError> {
    let head = sqlx::query("SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(row) = head {
        return Ok((row.try_get::<i64, _>("seq")?, row.try_get::<String, _>("hash")?));
    }
    let cut = sqlx::query("SELECT through_seq, through_hash FROM audit_cuts ORDER BY through_seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match cut {
        Some(row) => (row.try_get::<i64, _>("through_seq")?, row.try_get::<String, _>("through_hash")?),
        None => (0, GENESIS.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::each_backend;

    #[tokio::test]
    async fn entries_come_back_newest_first_and_filter_by_action() {
        each_backend(|store| async move {
            for (at, action) in [(1, "login"), (2, "login_failed"), (3, "login")] {
                let entry = NewAuditEntry {
                    at,
                    account_id: None,
                    action,
                    target: None,
                    source_ip: Some("127.0.0.1"),
                    outcome: "ok",
                    detail: "",
                };
                store.append_audit(&entry).await?;
            }
            let all = store.audit_entries(None, 10).await?;
            assert_eq!(all.iter().map(|e| e.at).collect::<Vec<_>>(), vec![3, 2, 1]);
            let logins = store.audit_entries(Some("login"), 10).await?;
            assert_eq!(logins.len(), 2);
            Ok(())
        })
        .await;
    }

    async fn log(store: &Store, n: i64) -> Result<(), StoreError> {
        for at in 1..=n {
            let entry = NewAuditEntry {
                at,
                account_id: Some("a1"),
                action: "view_material",
                target: Some("m1"),
                source_ip: None,
                outcome: "ok",
                detail: "",
            };
            store.append_audit(&entry).await?;
        }
        Ok(())
    }

    async fn tamper(store: &Store, sql: &'static str) {
        sqlx::query(sql).execute(store.pool()).await.expect("a direct write, as an insider with the database would");
    }

    #[tokio::test]
    async fn the_chain_verifies_and_shows_every_edit_deletion_and_insertion() {
        each_backend(|store| async move {
            log(&store, 6).await?;
            let clean = store.verify_audit().await?;
            assert_eq!((clean.entries, clean.first_seq, clean.last_seq), (6, Some(1), Some(6)));
            assert!(clean.problems.is_empty(), "{:?}", clean.problems);

            tamper(&store, "UPDATE audit_log SET outcome = 'denied' WHERE seq = 2").await;
            tamper(&store, "DELETE FROM audit_log WHERE seq = 4").await;
            tamper(
                &store,
                "INSERT INTO audit_log (id, at, action, outcome, detail) VALUES ('forged', 9, 'login', 'ok', '')",
            )
            .await;
            let report = store.verify_audit().await?;
            assert_eq!(
                report.problems,
                vec![
                    ChainProblem::Altered { seq: 2 },
                    ChainProblem::Missing { after: 3, next: 5 },
                    ChainProblem::Unchained(1)
                ]
            );
            // Rewriting an entry together with its own hash still breaks the next entry's link.
            tamper(&store, "UPDATE audit_log SET hash = 'f00d' WHERE seq = 5").await;
            let relinked = store.verify_audit().await?;
            assert!(relinked.problems.contains(&ChainProblem::Altered { seq: 5 }));
            assert!(
                relinked.problems.contains(&ChainProblem::Broken { seq: 6, previous: 5 }),
                "{:?}",
                relinked.problems
            );
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn concurrent_appends_form_one_chain_in_either_hash() {
        each_backend(|store| async move {
            let sm3 = store.clone().with_audit_hash(AuditHash::Sm3);
            let mut writers = Vec::new();
            for (i, s) in [store.clone(), sm3.clone(), store.clone(), sm3].into_iter().enumerate() {
                writers.push(tokio::spawn(async move {
                    for at in 0..15 {
                        let entry = NewAuditEntry {
                            at: at * 10 + i as i64,
                            account_id: None,
                            action: "login",
                            target: None,
                            source_ip: Some("127.0.0.1"),
                            outcome: "ok",
                            detail: "并发",
                        };
                        s.append_audit(&entry).await.expect("append");
                    }
                }));
            }
            for w in writers {
                w.await.expect("writer");
            }
            let report = store.verify_audit().await?;
            assert_eq!((report.entries, report.last_seq), (60, Some(60)));
            assert!(report.problems.is_empty(), "{:?}", report.problems);
            let algs: Vec<String> = sqlx::query_scalar("SELECT DISTINCT hash_alg FROM audit_log ORDER BY hash_alg")
                .fetch_all(store.pool())
                .await?;
            assert_eq!(algs, ["sha256", "sm3"]);
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn entries_from_before_the_chain_are_chained_at_start() {
        each_backend(|store| async move {
            tamper(
                &store,
                "INSERT INTO audit_log (id, at, action, outcome, detail) VALUES ('old2', 2, 'login', 'ok', '')",
            )
            .await;
            tamper(
                &store,
                "INSERT INTO audit_log (id, at, action, outcome, detail) VALUES ('old1', 1, 'login', 'ok', '')",
            )
            .await;
            store.chain_legacy_audit().await?;
            log(&store, 1).await?;
            let report = store.verify_audit().await?;
            assert_eq!(report.entries, 3);
            assert!(report.problems.is_empty(), "{:?}", report.problems);
            let first: String =
                sqlx::query_scalar("SELECT id FROM audit_log WHERE seq = 1").fetch_one(store.pool()).await?;
            assert_eq!(first, "old1", "oldest first");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn a_retention_cut_keeps_the_rest_verifiable_and_tampering_after_it_visible() {
        each_backend(|store| async move {
            log(&store, 8).await?;
            assert_eq!(store.prune_audit(1, 100, "测试：", None, None).await?, None, "nothing older than the cutoff");
            // Entries 1..=5 are older than 6: they go, and the cut is recorded as entry 9.
            let cut = store.prune_audit(6, 100, "测试：", Some("sec1"), Some("127.0.0.1")).await?.expect("a cut");
            assert_eq!((cut.through_seq, cut.deleted, cut.cutoff, cut.account_id.as_deref()), (5, 5, 6, Some("sec1")));
            let report = store.verify_audit().await?;
            assert!(report.problems.is_empty(), "{:?}", report.problems);
            assert_eq!((report.entries, report.first_seq, report.last_seq), (4, Some(6), Some(9)));
            assert_eq!(report.cut_through, Some(5));
            let recorded = store.audit_entries(Some(PRUNE_ACTION), 10).await?;
            assert_eq!(recorded.len(), 1);
            assert!(
                recorded[0].detail.contains("第 1 至 5 条，共 5 条") && recorded[0].detail.contains(&cut.through_hash)
            );
            assert_eq!(recorded[0].account_id.as_deref(), Some("sec1"));
            assert_eq!(store.prune_audit(6, 200, "测试：", None, None).await?, None, "a second run finds nothing new");

            // A second cut over everything old, including the first cut's record: still verifiable.
            log(&store, 2).await?;
            let again = store.prune_audit(101, 300, "测试：", None, None).await?.expect("a second cut");
            assert_eq!(again.through_seq, 11);
            log(&store, 2).await?;
            let report = store.verify_audit().await?;
            assert!(report.problems.is_empty(), "{:?}", report.problems);
            assert_eq!((report.first_seq, report.last_seq, report.cut_through), (Some(12), Some(14), Some(11)));

            // Deleting the entries kept from the start is a deletion, not a cut; and the cut's record is gone.
            tamper(&store, "DELETE FROM audit_log WHERE seq = 12").await;
            let report = store.verify_audit().await?;
            assert_eq!(
                report.problems,
                vec![ChainProblem::Missing { after: 11, next: 13 }, ChainProblem::CutUnrecorded { through: 11 }]
            );
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn a_forged_cut_or_a_truncated_start_is_found() {
        each_backend(|store| async move {
            log(&store, 6).await?;
            // No cut: the log must start at entry 1.
            tamper(&store, "DELETE FROM audit_log WHERE seq <= 2").await;
            let report = store.verify_audit().await?;
            assert_eq!(report.problems, vec![ChainProblem::Missing { after: 0, next: 3 }]);
            // A cut row written by hand to cover the deletion is not on the chain.
            tamper(
                &store,
                "INSERT INTO audit_cuts (id, at, account_id, through_seq, through_hash, deleted, cutoff) \
                 SELECT 'forged', 0, NULL, 2, prev_hash, 2, 0 FROM audit_log WHERE seq = 3",
            )
            .await;
            let report = store.verify_audit().await?;
            assert_eq!(report.problems, vec![ChainProblem::CutUnrecorded { through: 2 }]);
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn entries_edited_after_a_cut_are_found() {
        each_backend(|store| async move {
            log(&store, 5).await?;
            store.prune_audit(3, 10, "测试：", None, None).await?.expect("a cut");
            tamper(&store, "UPDATE audit_log SET detail = 'changed' WHERE seq = 4").await;
            tamper(&store, "UPDATE audit_cuts SET through_hash = 'f00d'").await;
            let report = store.verify_audit().await?;
            assert!(report.problems.contains(&ChainProblem::Altered { seq: 4 }), "{:?}", report.problems);
            assert!(report.problems.contains(&ChainProblem::Broken { seq: 3, previous: 2 }), "{:?}", report.problems);
            assert!(report.problems.contains(&ChainProblem::CutUnrecorded { through: 2 }), "{:?}", report.problems);
            Ok(())
        })
        .await;
    }

    #[test]
    fn the_two_hashes_are_the_standard_ones() {
        // Known answers for "abc": FIPS 180-2 and GB/T 32905-2016 appendix A.
        assert_eq!(
            AuditHash::Sha256.digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(AuditHash::Sm3.digest(b"abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
        let link = Link {
            seq: 1,
            id: "i",
            at: 0,
            account_id: None,
            action: "a",
            target: Some(""),
            source_ip: None,
            outcome: "o",
            detail: "",
        };
        let other = Link { target: None, ..Link { seq: 1, id: "i", at: 0, ..link } };
        assert_ne!(
            link.hash(AuditHash::Sha256, GENESIS),
            other.hash(AuditHash::Sha256, GENESIS),
            "absent is not empty"
        );
    }
}
