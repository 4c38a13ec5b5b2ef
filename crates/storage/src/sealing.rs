//! Encryption at rest of the most sensitive columns (the 有关事项报告 and the committee's grade decisions) with a key
//! kept outside the database. One small interface, [`CryptoProvider`], seals and opens; AES-256-GCM and SM4-GCM
//! (GB/T 32907 in GCM mode, as RFC 8998 specifies it) implement it, and a certified cryptographic module can take
//! their place without touching the storage code.
//!
//! A sealed value is text: `mjenc:v1:<algorithm>:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`, so a value written
//! under another key or algorithm is recognized (and named) rather than decrypted into garbage. The associated data
//! binds each value to its table, row and column: a ciphertext copied into another row does not open.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aes_gcm::aead::Aead;
use aes_gcm::aead::Payload;
use aes_gcm::aes::cipher::consts::U12;
use aes_gcm::{Aes256Gcm, AesGcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use sm4::Sm4;
use sqlx::Row;

use crate::{Store, StoreError};

/// What every sealed value starts with: the format's name and version.
pub const SEALED_PREFIX: &str = "mjenc:v1:";

/// GCM's nonce: 96 random bits per value.
const NONCE_LEN: usize = 12;

/// Why a value cannot be sealed or opened, or a key cannot be used; the messages are for the operator, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("数据已加密保存，但没有配置数据密钥（配置项 data_key_file）")]
    NoKey,
    #[error(
        "数据是用另一把密钥加密的（密钥编号 {found}，当前密钥编号 {current}）：请配置原来的密钥，或用 mingjing key reencrypt 转换"
    )]
    OtherKey { found: String, current: String },
    #[error(
        "数据是用 {found} 加密的，当前配置的是 {current}：请配置原来的算法和密钥，或用 mingjing key reencrypt 转换"
    )]
    OtherAlgorithm { found: String, current: String },
    #[error("解密失败：密钥不对，或密文被改动、被移到了别的记录")]
    Tampered,
    #[error("加密数据格式有误：{0}")]
    Malformed(String),
    #[error("“{0}”不是已知的加密算法（可选 aes-256-gcm 或 sm4-gcm）")]
    UnknownAlgorithm(String),
    #[error("密钥长度不对：{algorithm} 需要 {expected} 字节，密钥文件里是 {found} 字节")]
    KeyLength { algorithm: &'static str, expected: usize, found: usize },
    #[error("无法读取密钥文件 {path}：{message}")]
    KeyFile { path: PathBuf, message: String },
    #[error("系统随机数不可用：{0}")]
    Random(String),
}

/// The algorithms the built-in providers offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    #[default]
    Aes256Gcm,
    /// SM4 in GCM mode (RFC 8998), for deployments whose 商用密码 assessment asks for it.
    Sm4Gcm,
}

impl Algorithm {
    /// The name in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes256Gcm => "aes-256-gcm",
            Self::Sm4Gcm => "sm4-gcm",
        }
    }

    /// The code in stored values.
    fn code(self) -> &'static str {
        match self {
            Self::Aes256Gcm => "aes256gcm",
            Self::Sm4Gcm => "sm4gcm",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "aes-256-gcm" | "aes256gcm" | "aes" => Some(Self::Aes256Gcm),
            "sm4-gcm" | "sm4gcm" | "sm4" => Some(Self::Sm4Gcm),
            _ => None,
        }
    }

    /// The key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes256Gcm => 32,
            Self::Sm4Gcm => 16,
        }
    }
}

/// Seals and opens values with one key. Implementations must use a fresh nonce for every seal and authenticate
/// `aad`; the output of `seal` is whatever `open` needs besides the key (nonce, ciphertext, tag).
pub trait CryptoProvider: Send + Sync + fmt::Debug {
    /// The algorithm code written into stored values (e.g. `aes256gcm`, `sm4gcm`).
    fn algorithm(&self) -> &str;
    /// A short, non-secret name of the key, written into stored values.
    fn key_id(&self) -> &str;
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError>;
    fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError>;
}

/// The built-in provider: one GCM cipher over AES-256 or SM4.
pub struct GcmProvider {
    algorithm: Algorithm,
    key_id: String,
    cipher: Cipher,
}

enum Cipher {
    Aes(Box<Aes256Gcm>),
    Sm4(Box<AesGcm<Sm4, U12>>),
}

impl fmt::Debug for GcmProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("GcmProvider").field("algorithm", &self.algorithm).field("key_id", &self.key_id).finish()
    }
}

impl GcmProvider {
    pub fn new(algorithm: Algorithm, key: &[u8]) -> Result<Self, SealError> {
        if key.len() != algorithm.key_len() {
            return Err(SealError::KeyLength {
                algorithm: algorithm.name(),
                expected: algorithm.key_len(),
                found: key.len(),
            });
        }
        let bad_key =
            |_| SealError::KeyLength { algorithm: algorithm.name(), expected: algorithm.key_len(), found: key.len() };
        let cipher = match algorithm {
            Algorithm::Aes256Gcm => Cipher::Aes(Box::new(Aes256Gcm::new_from_slice(key).map_err(bad_key)?)),
            Algorithm::Sm4Gcm => Cipher::Sm4(Box::new(AesGcm::<Sm4, U12>::new_from_slice(key).map_err(bad_key)?)),
        };
        Ok(Self { algorithm, key_id: key_id(algorithm, key), cipher })
    }

    /// GCM with a given nonce: the random one in [`CryptoProvider::seal`], a published one in the tests.
    fn seal_with(&self, nonce: &[u8; NONCE_LEN], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let nonce = Nonce::<U12>::from(*nonce);
        let payload = Payload { msg: plaintext, aad };
        match &self.cipher {
            Cipher::Aes(c) => c.encrypt(&nonce, payload),
            Cipher::Sm4(c) => c.encrypt(&nonce, payload),
        }
        .map_err(|_| SealError::Malformed("明文过长".into()))
    }
}

impl CryptoProvider for GcmProvider {
    fn algorithm(&self) -> &str {
        self.algorithm.code()
    }

    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SealError::Random(e.to_string()))?;
        let mut out = nonce.to_vec();
        out.extend(self.seal_with(&nonce, plaintext, aad)?);
        Ok(out)
    }

    fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed("密文过短".into()));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::<U12>::try_from(nonce).map_err(|_| SealError::Malformed("随机数长度".into()))?;
        let payload = Payload { msg: body, aad };
        match &self.cipher {
            Cipher::Aes(c) => c.decrypt(&nonce, payload),
            Cipher::Sm4(c) => c.decrypt(&nonce, payload),
        }
        .map_err(|_| SealError::Tampered)
    }
}

/// The key's public name: the first 8 hex digits of SHA-256 over a label, the algorithm and the key. It tells keys
/// apart and reveals nothing usable about the key.
fn key_id(algorithm: Algorithm, key: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"mingjing data key id\0");
    hasher.update(algorithm.code().as_bytes());
    hasher.update(b"\0");
    hasher.update(key);
    hasher.finalize().iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// A fresh random key for `algorithm`, as the hex text a key file holds.
pub fn generate_key_hex(algorithm: Algorithm) -> Result<String, SealError> {
    let mut key = vec![0u8; algorithm.key_len()];
    getrandom::fill(&mut key).map_err(|e| SealError::Random(e.to_string()))?;
    Ok(hex(&key))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

/// Reads a key file (the key as hex digits, blank space ignored) and makes the provider for `algorithm`. On Unix a
/// file that others than its owner may read is refused: the key is only as safe as that file.
pub fn load_key_file(path: &Path, algorithm: Algorithm) -> Result<Arc<dyn CryptoProvider>, SealError> {
    let file_error = |message: String| SealError::KeyFile { path: path.to_owned(), message };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| file_error(e.to_string()))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(file_error(format!(
                "权限是 {:o}，其他用户也能读取；请改为只有服务账号可读（chmod 600）",
                mode & 0o777
            )));
        }
    }
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let key =
        unhex(&digits).ok_or_else(|| file_error("内容应是十六进制的密钥（用 mingjing key generate 生成）".into()))?;
    Ok(Arc::new(GcmProvider::new(algorithm, &key)?))
}

/// The associated data of one stored value: table, row key and column, each ended by a zero byte.
pub fn associated_data(table: &str, row: &[&str], column: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    for part in std::iter::once(table).chain(row.iter().copied()).chain(std::iter::once(column)) {
        aad.extend_from_slice(part.as_bytes());
        aad.push(0);
    }
    aad
}

/// Seals `plaintext` as stored text.
pub fn seal_text(provider: &dyn CryptoProvider, plaintext: &str, aad: &[u8]) -> Result<String, SealError> {
    let sealed = provider.seal(plaintext.as_bytes(), aad)?;
    Ok(format!("{SEALED_PREFIX}{}:{}:{}", provider.algorithm(), provider.key_id(), BASE64.encode(sealed)))
}

/// Whether a stored value is sealed (as opposed to plaintext written before encryption was turned on).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// The algorithm and key id a sealed value names.
pub fn sealed_by(stored: &str) -> Option<(&str, &str)> {
    let mut parts = stored.strip_prefix(SEALED_PREFIX)?.splitn(3, ':');
    Some((parts.next()?, parts.next()?))
}

/// Opens a stored value: plaintext as is, a sealed one with `provider`, which must be the one that sealed it.
pub fn open_text(provider: Option<&dyn CryptoProvider>, stored: String, aad: &[u8]) -> Result<String, SealError> {
    let Some(rest) = stored.strip_prefix(SEALED_PREFIX) else { return Ok(stored) };
    let provider = provider.ok_or(SealError::NoKey)?;
    let mut parts = rest.splitn(3, ':');
    let (Some(algorithm), Some(key), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(SealError::Malformed("缺少算法、密钥编号或密文".into()));
    };
    if algorithm != provider.algorithm() {
        return Err(SealError::OtherAlgorithm {
            found: algorithm.to_owned(),
            current: provider.algorithm().to_owned(),
        });
    }
    if key != provider.key_id() {
        return Err(SealError::OtherKey { found: key.to_owned(), current: provider.key_id().to_owned() });
    }
    let sealed = BASE64.decode(body).map_err(|e| SealError::Malformed(e.to_string()))?;
    let plain = provider.open(&sealed, aad)?;
    String::from_utf8(plain).map_err(|_| SealError::Malformed("明文不是 UTF-8".into()))
}

/// A column stored sealed when a data key is configured: its table, the columns that name its row (the associated
/// data), and the length short values are padded to before sealing, so that a ciphertext's length does not give
/// away which of a few values (a grade) it holds. A NULL stays NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    pub row: &'static [&'static str],
    pub pad_to: usize,
}

/// The 有关事项报告's answers.
pub(crate) const MATTERS_ANSWERS: SealedColumn =
    SealedColumn { table: "matters_reports", column: "answers", row: &["campaign_id", "member_id"], pad_to: 0 };
/// The committee's grade (组织评定), padded to one length for every grade.
pub(crate) const DECISION_GRADE: SealedColumn =
    SealedColumn { table: "grade_decisions", column: "grade", row: &["campaign_id", "member_id"], pad_to: 24 };
/// The committee's reason for the grade.
pub(crate) const DECISION_REASON: SealedColumn =
    SealedColumn { table: "grade_decisions", column: "reason", row: &["campaign_id", "member_id"], pad_to: 0 };
/// An account's TOTP secret: whoever reads the database without the key cannot make its second-factor codes.
pub(crate) const TOTP_SECRET: SealedColumn =
    SealedColumn { table: "accounts", column: "totp_secret", row: &["id"], pad_to: 0 };

/// The secret shown while a second factor is being set up, until its first code confirms it.
pub(crate) const ENROL_SECRET: SealedColumn =
    SealedColumn { table: "login_challenges", column: "enrol_secret", row: &["token_hash"], pad_to: 0 };

/// Every sealed column; `mingjing key reencrypt` walks them.
pub const SEALED_COLUMNS: [SealedColumn; 5] =
    [MATTERS_ANSWERS, DECISION_GRADE, DECISION_REASON, TOTP_SECRET, ENROL_SECRET];

/// What a re-encryption did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReencryptReport {
    /// Values sealed now: plaintext from before encryption, or sealed under the previous key.
    pub sealed: u64,
    /// Values already sealed under the current key.
    pub unchanged: u64,
}

impl Store {
    /// The store sealing the sensitive columns with `key` (see [`SEALED_COLUMNS`]).
    pub fn with_data_key(mut self, key: Arc<dyn CryptoProvider>) -> Self {
        self.data_key = Some(key);
        self
    }

    /// Whether sensitive columns are sealed on write.
    pub fn has_data_key(&self) -> bool {
        self.data_key.is_some()
    }

    /// The text to store for `value` in `column` of the row named by `row`: sealed when a key is configured.
    pub(crate) fn seal(&self, column: &SealedColumn, row: &[&str], value: &str) -> Result<String, StoreError> {
        let Some(key) = self.data_key.as_deref() else { return Ok(value.to_owned()) };
        let padded = format!("{value:<width$}", width = column.pad_to);
        let aad = associated_data(column.table, row, column.column);
        Ok(seal_text(key, &padded, &aad)?)
    }

    /// The value stored as `stored` in `column` of the row named by `row`.
    pub(crate) fn open(&self, column: &SealedColumn, row: &[&str], stored: String) -> Result<String, StoreError> {
        let was_sealed = is_sealed(&stored);
        let aad = associated_data(column.table, row, column.column);
        let mut plain = open_text(self.data_key.as_deref(), stored, &aad)?;
        if was_sealed && column.pad_to > 0 {
            plain.truncate(plain.trim_end_matches(' ').len());
        }
        Ok(plain)
    }

    /// Seals every sensitive value under the current key: plaintext written before encryption was turned on, and
    /// values sealed under `previous` (the key being retired). Each row is rewritten only if it still holds what was
    /// read, so a save made meanwhile is never overwritten.
    pub async fn reencrypt(&self, previous: Option<&dyn CryptoProvider>) -> Result<ReencryptReport, StoreError> {
        let current = self.data_key.clone().ok_or(SealError::NoKey)?;
        let mut report = ReencryptReport::default();
        for column in SEALED_COLUMNS {
            let (table, name, width) = (column.table, column.column, column.row.len());
            let keys = column.row.join(", ");
            let select = sqlx::AssertSqlSafe(format!("SELECT {keys}, {name} FROM {table} WHERE {name} IS NOT NULL"));
            // The row is rewritten only where its keys and the value read still match.
            let matching: Vec<String> =
                column.row.iter().enumerate().map(|(i, key)| format!("{key} = ${}", i + 2)).collect();
            let update =
                format!("UPDATE {table} SET {name} = $1 WHERE {} AND {name} = ${}", matching.join(" AND "), width + 2);
            let rows = sqlx::query(select).fetch_all(self.pool()).await?;
            for row in rows {
                let keys = (0..width).map(|i| row.try_get::<String, _>(i)).collect::<Result<Vec<_>, _>>()?;
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                let stored: String = row.try_get(width)?;
                if sealed_by(&stored) == Some((current.algorithm(), current.key_id())) {
                    report.unchanged += 1;
                    continue;
                }
                let aad = associated_data(table, &keys, name);
                let plain = match sealed_by(&stored) {
                    Some((algorithm, key))
                        if previous.is_some_and(|p| p.algorithm() == algorithm && p.key_id() == key) =>
                    {
                        let mut plain = open_text(previous, stored.clone(), &aad)?;
                        if column.pad_to > 0 {
                            plain.truncate(plain.trim_end_matches(' ').len());
                        }
                        plain
                    }
                    Some(_) => open_text(Some(current.as_ref()), stored.clone(), &aad)?,
                    None => stored.clone(),
                };
                let sealed = self.seal(&column, &keys, &plain)?;
                let mut query = sqlx::query(sqlx::AssertSqlSafe(update.clone())).bind(sealed);
                for key in &keys {
                    query = query.bind(*key);
                }
                let done = query.bind(&stored).execute(self.pool()).await?;
                report.sealed += done.rows_affected();
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::each_backend;

    fn bytes(hex_text: &str) -> Vec<u8> {
        unhex(&hex_text.replace(' ', "")).unwrap()
    }

    #[test]
    fn sm4_gcm_matches_the_rfc_8998_vector() {
        // RFC 8998, appendix A.1.
        let provider = GcmProvider::new(Algorithm::Sm4Gcm, &bytes("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        let nonce: [u8; 12] = bytes("00001234567800000000ABCD").try_into().unwrap();
        let aad = bytes("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let plaintext = bytes(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        );
        let expected = bytes(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D\
             83DE3541E4C2B58177E065A9BF7B62EC",
        );
        assert_eq!(provider.seal_with(&nonce, &plaintext, &aad).unwrap(), expected);
        let mut sealed = nonce.to_vec();
        sealed.extend(&expected);
        assert_eq!(provider.open(&sealed, &aad).unwrap(), plaintext);
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(provider.open(&sealed, &aad), Err(SealError::Tampered));
    }

    #[test]
    fn aes_256_gcm_matches_the_gcm_specification_vector() {
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 14: zero key, zero IV, one zero block.
        let provider = GcmProvider::new(Algorithm::Aes256Gcm, &[0u8; 32]).unwrap();
        let sealed = provider.seal_with(&[0u8; 12], &[0u8; 16], b"").unwrap();
        assert_eq!(sealed, bytes("cea7403d4d606b6e074ec5d3baf39d18 d0d1c8a799996bf0265b98b5d48ab919"));
    }

    #[test]
    fn values_open_only_with_their_key_and_in_their_row() {
        for algorithm in [Algorithm::Aes256Gcm, Algorithm::Sm4Gcm] {
            let key = unhex(&generate_key_hex(algorithm).unwrap()).unwrap();
            let provider = GcmProvider::new(algorithm, &key).unwrap();
            let here = associated_data("matters_reports", &["c1", "m1"], "answers");
            let sealed = seal_text(&provider, "配偶在某公司任职", &here).unwrap();
            assert!(is_sealed(&sealed) && !sealed.contains("配偶"), "{sealed}");
            assert_eq!(sealed_by(&sealed), Some((provider.algorithm(), provider.key_id())));
            assert_eq!(open_text(Some(&provider), sealed.clone(), &here).unwrap(), "配偶在某公司任职");
            assert_ne!(seal_text(&provider, "配偶在某公司任职", &here).unwrap(), sealed, "a fresh nonce each time");

            let elsewhere = associated_data("matters_reports", &["c1", "m2"], "answers");
            assert_eq!(open_text(Some(&provider), sealed.clone(), &elsewhere), Err(SealError::Tampered));
            let other = GcmProvider::new(algorithm, &vec![7u8; algorithm.key_len()]).unwrap();
            assert!(matches!(open_text(Some(&other), sealed.clone(), &here), Err(SealError::OtherKey { .. })));
            assert_eq!(open_text(None, sealed, &here), Err(SealError::NoKey));
            assert_eq!(open_text(None, "明文".into(), &here).unwrap(), "明文", "rows from before encryption");
        }
        let aes = GcmProvider::new(Algorithm::Aes256Gcm, &[1u8; 32]).unwrap();
        let sm4 = GcmProvider::new(Algorithm::Sm4Gcm, &[1u8; 16]).unwrap();
        let sealed = seal_text(&aes, "x", b"").unwrap();
        assert!(matches!(open_text(Some(&sm4), sealed, b""), Err(SealError::OtherAlgorithm { .. })));
        // A key whose id matches but whose bytes differ (a forged prefix) fails authentication, never garbage.
        let forged = seal_text(&aes, "x", b"").unwrap().replace(aes.key_id(), sm4.key_id());
        assert!(open_text(Some(&aes), forged, b"").is_err());
    }

    /// A member, an account and a campaign to hang reports and decisions on.
    async fn setup(store: &Store) -> Result<(String, String, String), StoreError> {
        use crate::{NewAccount, NewCampaign, NewMember, OrgKind, Role, Standing};
        let county = store.create_org(None, "某县", OrgKind::County, 0).await?;
        let member = NewMember {
            org_id: &county.id,
            name: "张三",
            standing: Standing::Full,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: true,
        };
        let member = store.add_member(&member, 0).await?;
        let account = NewAccount {
            login: "sec",
            phone: None,
            display_name: "书记",
            role: Role::Secretary,
            org_id: &county.id,
            member_id: None,
            password_hash: "x",
            must_change_password: false,
        };
        let by = store.create_account(&account, 0).await?;
        let campaign = NewCampaign { org_id: &county.id, year: 2025, title: "t", notice: "", definition: "" };
        let campaign = store.create_campaign(&campaign, 0).await?;
        Ok((campaign.id, member.id, by.id))
    }

    #[tokio::test]
    async fn the_database_holds_no_plaintext_of_a_report_or_a_decision() {
        each_backend(|plain| async move {
            let (campaign, member, by) = setup(&plain).await?;
            let org: String = sqlx::query_scalar("SELECT org_id FROM members").fetch_one(plain.pool()).await?;
            // Written before encryption was turned on: read as it is, sealed on the next save.
            plain.save_matters_report(&campaign, &member, 0, "{\"house\":\"旧房一套\"}", 1).await?;
            let store = plain.clone().with_data_key(Arc::new(GcmProvider::new(Algorithm::Aes256Gcm, &[3u8; 32])?));
            assert_eq!(
                store.matters_report(&campaign, &member).await?.expect("legacy").answers,
                "{\"house\":\"旧房一套\"}"
            );
            store.save_matters_report(&campaign, &member, 1, "{\"spouse\":\"配偶在县医院工作\"}", 2).await?;
            for grade in crate::Grade::ALL {
                let decision = crate::GradeDecision {
                    member_id: member.clone(),
                    grade,
                    reason: "日常表现突出，群众评价高".into(),
                    decided_by: by.clone(),
                    decided_at: 3,
                };
                store.save_grade_decision(&campaign, &decision).await?;
                let raw: (String, String) =
                    sqlx::query_as("SELECT grade, reason FROM grade_decisions").fetch_one(store.pool()).await?;
                assert!(raw.0.starts_with(SEALED_PREFIX) && raw.1.starts_with(SEALED_PREFIX), "{raw:?}");
                assert!(!raw.0.contains(grade.code()) && !raw.1.contains("群众"), "{raw:?}");
                let decided = store.grade_decisions_in(&campaign, &org).await?;
                assert_eq!((decided[0].grade, decided[0].reason.as_str()), (grade, "日常表现突出，群众评价高"));
            }
            let lengths: Vec<i64> = {
                let mut lengths = Vec::new();
                for grade in crate::Grade::ALL {
                    let sealed = store.seal(&DECISION_GRADE, &[&campaign, &member], grade.code())?;
                    lengths.push(sealed.len() as i64);
                }
                lengths
            };
            assert!(
                lengths.windows(2).all(|w| w[0] == w[1]),
                "a grade's ciphertext length does not tell it: {lengths:?}"
            );
            // Every text column of both tables, as an insider with the database would read them.
            let dump: Vec<(String, String)> =
                sqlx::query_as("SELECT campaign_id, answers FROM matters_reports").fetch_all(store.pool()).await?;
            assert!(dump.iter().all(|(_, a)| a.starts_with(SEALED_PREFIX) && !a.contains("配偶")), "{dump:?}");

            // Without the key, or with another one, a clear error, never garbage.
            assert!(matches!(
                plain.matters_report(&campaign, &member).await,
                Err(StoreError::Sealed(SealError::NoKey))
            ));
            let other = plain.clone().with_data_key(Arc::new(GcmProvider::new(Algorithm::Aes256Gcm, &[4u8; 32])?));
            let error = other.grade_decisions_in(&campaign, &org).await.unwrap_err().to_string();
            assert!(error.contains("另一把密钥"), "{error}");
            // A sealed value moved to another row does not open there.
            sqlx::query("UPDATE grade_decisions SET reason = (SELECT answers FROM matters_reports)")
                .execute(store.pool())
                .await?;
            assert!(matches!(
                store.grade_decisions_in(&campaign, &org).await,
                Err(StoreError::Sealed(SealError::Tampered))
            ));
            Ok(())
        })
        .await;
    }

    #[test]
    fn key_files_must_hold_a_key_of_the_right_length_readable_by_the_owner_only() {
        let dir = std::env::temp_dir().join(format!("mingjing-keys-{}", crate::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data.key");
        std::fs::write(&path, format!("{}\n", generate_key_hex(Algorithm::Sm4Gcm).unwrap())).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let open = load_key_file(&path, Algorithm::Sm4Gcm).unwrap_err().to_string();
            assert!(open.contains("chmod 600"), "{open}");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(load_key_file(&path, Algorithm::Sm4Gcm).is_ok());
        assert!(matches!(load_key_file(&path, Algorithm::Aes256Gcm), Err(SealError::KeyLength { expected: 32, .. })));
        std::fs::write(&path, "not hex").unwrap();
        assert!(load_key_file(&path, Algorithm::Sm4Gcm).unwrap_err().to_string().contains("十六进制"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
