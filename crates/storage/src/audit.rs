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
}

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
    async fn chained<F, Fut>(&self, mut write: F) -> Result<(), StoreError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), StoreError>>,
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
        let alg = self.audit_hash();
        let mut tx = self.pool().begin().await?;
        let head = sqlx::query("SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let (seq, prev_hash) = match head {
            Some(row) => (row.try_get::<i64, _>("seq")? + 1, row.try_get::<String, _>("hash")?),
            None => (1, GENESIS.to_owned()),
        };
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
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
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
        let head = sqlx::query("SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let (mut seq, mut prev_hash) = match head {
            Some(row) => (row.try_get::<i64, _>("seq")?, row.try_get::<String, _>("hash")?),
            None => (0, GENESIS.to_owned()),
        };
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
                    // The oldest entry kept: its link to an entry removed by retention cannot be checked, but a
                    // chain that starts at 1 must start from the genesis value.
                    None if seq == 1 && prev_hash != GENESIS => problem(ChainProblem::Broken { seq, previous: 0 }),
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
