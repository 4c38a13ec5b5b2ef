//! Server configuration, layered: defaults → TOML file → `MINGJING_*` environment → explicit overrides (the flags).
//!
//! Hand-layered with `toml` and the process environment rather than figment: there are a dozen flat keys, `toml` is
//! already a workspace dependency, and warning about unknown keys (figment drops them silently) needs the raw
//! table anyway. Every layer is the same [`ConfigLayer`], so the CLI fills one from its flags.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use mingjing_storage::AuditHash;
use mingjing_storage::sealing::Algorithm;

use crate::auth::PasswordPolicy;

const ENV_PREFIX: &str = "MINGJING_";
const MIB: u64 = 1024 * 1024;
/// The longest idle session a 等保 2.0 assessment accepts.
const MAX_IDLE: Duration = Duration::from_secs(30 * 60);
const DAY: Duration = Duration::from_secs(86_400);

/// The shortest audit retention allowed: the 网络安全法 (art. 21) wants network logs kept at least six months.
pub const MIN_AUDIT_RETENTION_DAYS: u64 = 180;
/// The default audit retention: two annual cycles. A 不合格 grade is followed by up to a year of 限期改正 and then a
/// decision reviewed above, and rectification runs into the next year's meeting, so who did what in one cycle is
/// still asked about well into the one after it.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u64 = 730;

/// The keys a configuration file may hold; an environment variable is `MINGJING_` + the key in capitals.
pub const KNOWN_KEYS: [&str; 21] = [
    "bind",
    "database_url",
    "session_idle_minutes",
    "session_absolute_hours",
    "behind_tls",
    "log_format",
    "max_body_mib",
    "request_timeout_secs",
    "compression",
    "allowed_origins",
    "backup_dir",
    "backup_every_hours",
    "backup_keep",
    "audit_hash",
    "password_profile",
    "metrics_token",
    "metrics_loopback",
    "data_key_file",
    "data_key_algorithm",
    "totp_required",
    "audit_retention_days",
];

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For a person reading a terminal.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("“{other}”不是 text 或 json")),
        }
    }
}

/// A database URL. It may carry a password, so `Debug` and `Display` print it with the password masked;
/// only [`DatabaseUrl::expose_secret`] gives the real text, for the one place that connects.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The URL with the password in the user part and any `password=` query parameter replaced by `***`.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl").field(&self.redacted()).finish()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn redact(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut out = String::with_capacity(url.len());
    // The last '@' before the query ends the user part even when a password holds an unencoded '@' or '/';
    // masking too much of an odd SQLite path is harmless, leaking part of a password is not.
    let scheme_end = before_query.find("://").map_or(0, |i| i + 3);
    match before_query[scheme_end..].rfind('@') {
        Some(at) => {
            let userinfo = &before_query[scheme_end..scheme_end + at];
            out.push_str(&before_query[..scheme_end]);
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&before_query[scheme_end + at..]);
        }
        None => out.push_str(before_query),
    }
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.to_ascii_lowercase().contains("password") => format!("{key}=***"),
                _ => param.to_owned(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    out
}

/// The bearer token a metrics scraper on another host sends. `Debug` masks it, so a logged configuration does not
/// give it away.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct MetricsToken(String);

impl MetricsToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

/// The server's settings after every layer is applied.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    pub session_idle_timeout: Duration,
    pub session_absolute_timeout: Duration,
    /// Set when a TLS-terminating proxy is in front: turns on HSTS and `Secure` cookies.
    pub behind_tls: bool,
    pub log_format: LogFormat,
    /// Largest request body in bytes.
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub compression: bool,
    /// Origins besides the request's own host that may send state-changing requests, e.g. `https://dj.example.cn`
    /// when a proxy rewrites the Host header. Lower case, no trailing slash.
    pub allowed_origins: Vec<String>,
    /// Password rules, lockout and rotation: the `password_profile` key, `dengbao` (default) or `asvs`.
    pub password_policy: PasswordPolicy,
    /// Where scheduled backups of an SQLite database go; none when unset.
    pub backup_dir: Option<PathBuf>,
    pub backup_every: Duration,
    /// How many scheduled backups are kept; older ones are deleted.
    pub backup_keep: usize,
    /// The hash function of the audit log's chain: `sha256` (default) or `sm3`.
    pub audit_hash: AuditHash,
    /// A scraper sending `Authorization: Bearer <token>` may read `/metrics` from anywhere; none when unset.
    pub metrics_token: Option<MetricsToken>,
    /// Whether peers on the loopback address may read `/metrics` without the token (default true).
    pub metrics_loopback: bool,
    /// The file holding the key that seals the 有关事项报告 and the committee's decisions; none: they are stored in
    /// plaintext, which only a demo may do (docs/security.md).
    pub data_key_file: Option<PathBuf>,
    /// `aes-256-gcm` (default) or `sm4-gcm`.
    pub data_key_algorithm: Algorithm,
    /// Whether superior admins, secretaries and the three administrators must sign in with a second factor (TOTP).
    pub totp_required: bool,
    /// How long audit entries are kept before the daily pruning deletes them; never under 180 days.
    pub audit_retention: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DatabaseUrl::new("sqlite://mingjing.db"),
            session_idle_timeout: Duration::from_secs(30 * 60),
            session_absolute_timeout: Duration::from_secs(12 * 3600),
            behind_tls: false,
            log_format: LogFormat::Text,
            body_limit: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            compression: true,
            allowed_origins: Vec::new(),
            password_policy: PasswordPolicy::default(),
            backup_dir: None,
            backup_every: Duration::from_secs(24 * 3600),
            backup_keep: 14,
            audit_hash: AuditHash::Sha256,
            metrics_token: None,
            metrics_loopback: true,
            data_key_file: None,
            data_key_algorithm: Algorithm::default(),
            totp_required: false,
            audit_retention: DAY * DEFAULT_AUDIT_RETENTION_DAYS as u32,
        }
    }
}

/// One layer of settings: what a file, the environment or the flags say; `None` leaves the layer below in force.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfigLayer {
    pub bind: Option<SocketAddr>,
    pub database_url: Option<DatabaseUrl>,
    pub session_idle_minutes: Option<u64>,
    pub session_absolute_hours: Option<u64>,
    pub behind_tls: Option<bool>,
    pub log_format: Option<LogFormat>,
    pub max_body_mib: Option<u64>,
    pub request_timeout_secs: Option<u64>,
    pub compression: Option<bool>,
    pub allowed_origins: Option<Vec<String>>,
    pub backup_dir: Option<PathBuf>,
    pub backup_every_hours: Option<u64>,
    pub backup_keep: Option<usize>,
    /// `sha256` or `sm3`; checked when applied.
    pub audit_hash: Option<String>,
    /// `dengbao` or `asvs`; checked when applied.
    pub password_profile: Option<String>,
    pub metrics_token: Option<MetricsToken>,
    pub metrics_loopback: Option<bool>,
    pub data_key_file: Option<PathBuf>,
    /// `aes-256-gcm` or `sm4-gcm`; checked when applied.
    pub data_key_algorithm: Option<String>,
    pub totp_required: Option<bool>,
    pub audit_retention_days: Option<u64>,
}

impl ConfigLayer {
    /// Reads a configuration file's text; keys it does not know come back as warnings, not errors, so that a file
    /// written for a newer version still starts an older one.
    pub fn from_toml(text: &str) -> Result<(Self, Vec<String>), String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let warnings = table
            .keys()
            .filter(|key| !KNOWN_KEYS.contains(&key.as_str()))
            .map(|key| format!("配置文件中的“{key}”不是已知的配置项，已忽略"))
            .collect();
        let layer = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| e.to_string())?;
        Ok((layer, warnings))
    }

    /// Reads the `MINGJING_*` variables among `vars`; others are skipped.
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut layer = Self::default();
        for (name, value) in vars {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else { continue };
            let err = |message: String| ConfigError::Env { var: name.clone(), message };
            match key.to_ascii_lowercase().as_str() {
                "bind" => layer.bind = Some(parse(&value).map_err(err)?),
                "database_url" => layer.database_url = Some(DatabaseUrl::new(value)),
                "session_idle_minutes" => layer.session_idle_minutes = Some(parse(&value).map_err(err)?),
                "session_absolute_hours" => layer.session_absolute_hours = Some(parse(&value).map_err(err)?),
                "behind_tls" => layer.behind_tls = Some(parse_bool(&value).map_err(err)?),
                "log_format" => layer.log_format = Some(value.parse().map_err(err)?),
                "max_body_mib" => layer.max_body_mib = Some(parse(&value).map_err(err)?),
                "request_timeout_secs" => layer.request_timeout_secs = Some(parse(&value).map_err(err)?),
                "compression" => layer.compression = Some(parse_bool(&value).map_err(err)?),
                "allowed_origins" => {
                    layer.allowed_origins =
                        Some(value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect());
                }
                "backup_dir" => layer.backup_dir = Some(PathBuf::from(value)),
                "backup_every_hours" => layer.backup_every_hours = Some(parse(&value).map_err(err)?),
                "backup_keep" => layer.backup_keep = Some(parse(&value).map_err(err)?),
                "audit_hash" => layer.audit_hash = Some(value),
                "password_profile" => layer.password_profile = Some(value),
                "metrics_token" => layer.metrics_token = Some(MetricsToken::new(value)),
                "metrics_loopback" => layer.metrics_loopback = Some(parse_bool(&value).map_err(err)?),
                "data_key_file" => layer.data_key_file = Some(PathBuf::from(value)),
                "data_key_algorithm" => layer.data_key_algorithm = Some(value),
                "totp_required" => layer.totp_required = Some(parse_bool(&value).map_err(err)?),
                "audit_retention_days" => layer.audit_retention_days = Some(parse(&value).map_err(err)?),
                // Other MINGJING_ variables (the CLI's own, say) are not ours to judge.
                _ => {}
            }
        }
        Ok(layer)
    }
}

fn parse<T: FromStr>(value: &str) -> Result<T, String>
where
    T::Err: fmt::Display,
{
    value.trim().parse().map_err(|e| format!("“{value}”: {e}"))
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("“{value}”不是 true 或 false")),
    }
}

/// A configuration that cannot be used; the message is for the operator, in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取配置文件 {}：{source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("配置文件 {} 有误：{message}", path.display())]
    File { path: PathBuf, message: String },
    #[error("环境变量 {var} 有误：{message}")]
    Env { var: String, message: String },
    #[error("配置项 {key} 不合理：{message}")]
    Invalid { key: &'static str, message: String },
}

/// A configuration ready to use, with the warnings to show the operator.
#[derive(Debug)]
pub struct LoadedConfig {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads the layers from `file` (when given: a named file that is missing is an error) and this process's
    /// environment, then applies `overrides`.
    pub fn load(file: Option<&Path>, overrides: &ConfigLayer) -> Result<LoadedConfig, ConfigError> {
        let mut vars = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str().filter(|n| n.starts_with(ENV_PREFIX)).map(str::to_owned) else { continue };
            let value = value
                .into_string()
                .map_err(|_| ConfigError::Env { var: name.clone(), message: "不是有效的 UTF-8".into() })?;
            vars.push((name, value));
        }
        Self::load_from(file, vars, overrides)
    }

    /// [`Config::load`] with the environment passed in, so tests need not change the process's.
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &ConfigLayer,
    ) -> Result<LoadedConfig, ConfigError> {
        let mut config = Self::default();
        let mut warnings = Vec::new();
        if let Some(path) = file {
            let text =
                std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
            let (layer, file_warnings) = ConfigLayer::from_toml(&text)
                .map_err(|message| ConfigError::File { path: path.to_owned(), message })?;
            warnings.extend(file_warnings);
            config.apply(&layer)?;
        }
        config.apply(&ConfigLayer::from_env(env)?)?;
        config.apply(overrides)?;
        config.validate()?;
        Ok(LoadedConfig { config, warnings })
    }

    fn apply(&mut self, layer: &ConfigLayer) -> Result<(), ConfigError> {
        if let Some(bind) = layer.bind {
            self.bind = bind;
        }
        if let Some(url) = &layer.database_url {
            self.database_url = url.clone();
        }
        if let Some(minutes) = layer.session_idle_minutes {
            self.session_idle_timeout = Duration::from_secs(minutes.saturating_mul(60));
        }
        if let Some(hours) = layer.session_absolute_hours {
            self.session_absolute_timeout = Duration::from_secs(hours.saturating_mul(3600));
        }
        if let Some(behind_tls) = layer.behind_tls {
            self.behind_tls = behind_tls;
        }
        if let Some(format) = layer.log_format {
            self.log_format = format;
        }
        if let Some(mib) = layer.max_body_mib {
            self.body_limit = usize::try_from(mib.saturating_mul(MIB)).unwrap_or(usize::MAX);
        }
        if let Some(secs) = layer.request_timeout_secs {
            self.request_timeout = Duration::from_secs(secs);
        }
        if let Some(compression) = layer.compression {
            self.compression = compression;
        }
        if let Some(dir) = &layer.backup_dir {
            self.backup_dir = Some(dir.clone()).filter(|d| !d.as_os_str().is_empty());
        }
        if let Some(hours) = layer.backup_every_hours {
            self.backup_every = Duration::from_secs(hours.saturating_mul(3600));
        }
        if let Some(keep) = layer.backup_keep {
            self.backup_keep = keep;
        }
        if let Some(origins) = &layer.allowed_origins {
            self.allowed_origins =
                origins.iter().map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase()).collect();
        }
        if let Some(token) = &layer.metrics_token {
            // An empty token would let anyone sending "Bearer " in; it means "no token".
            self.metrics_token = Some(token.clone()).filter(|t| !t.expose_secret().trim().is_empty());
        }
        if let Some(loopback) = layer.metrics_loopback {
            self.metrics_loopback = loopback;
        }
        if let Some(required) = layer.totp_required {
            self.totp_required = required;
        }
        if let Some(days) = layer.audit_retention_days {
            self.audit_retention = Duration::from_secs(days.saturating_mul(86_400));
        }
        if let Some(code) = &layer.audit_hash {
            self.audit_hash = AuditHash::from_code(code).ok_or_else(|| ConfigError::Invalid {
                key: "audit_hash",
                message: format!("“{code}”不是 sha256 或 sm3"),
            })?;
        }
        if let Some(file) = &layer.data_key_file {
            self.data_key_file = Some(file.clone()).filter(|f| !f.as_os_str().is_empty());
        }
        if let Some(name) = &layer.data_key_algorithm {
            self.data_key_algorithm = Algorithm::from_name(name).ok_or_else(|| ConfigError::Invalid {
                key: "data_key_algorithm",
                message: format!("“{name}”不是 aes-256-gcm 或 sm4-gcm"),
            })?;
        }
        if let Some(code) = &layer.password_profile {
            self.password_policy = PasswordPolicy::from_code(code).ok_or_else(|| ConfigError::Invalid {
                key: "password_profile",
                message: format!("“{code}”不是 dengbao（等保 2.0）或 asvs（OWASP ASVS）"),
            })?;
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| Err(ConfigError::Invalid { key, message: message.to_owned() });
        if self.session_idle_timeout.is_zero() {
            return invalid("session_idle_minutes", "不能为 0");
        }
        if self.session_idle_timeout > MAX_IDLE {
            return invalid("session_idle_minutes", "不能超过 30 分钟（等保 2.0 要求空闲会话及时超时退出）");
        }
        if self.session_absolute_timeout < self.session_idle_timeout {
            return invalid("session_absolute_hours", "不能短于空闲超时");
        }
        if self.body_limit == 0 || self.body_limit as u64 > 1024 * MIB {
            return invalid("max_body_mib", "应在 1 到 1024 之间");
        }
        if self.request_timeout.is_zero() || self.request_timeout > Duration::from_secs(3600) {
            return invalid("request_timeout_secs", "应在 1 到 3600 之间");
        }
        if self.backup_every.is_zero() {
            return invalid("backup_every_hours", "不能为 0");
        }
        if self.backup_keep == 0 {
            return invalid("backup_keep", "至少保留 1 份");
        }
        if self.audit_retention < DAY * MIN_AUDIT_RETENTION_DAYS as u32 {
            return invalid(
                "audit_retention_days",
                "不能少于 180 天（《网络安全法》第二十一条要求网络日志留存不少于六个月）",
            );
        }
        if let Some(bad) = self.allowed_origins.iter().find(|o| !is_origin(o)) {
            return invalid("allowed_origins", &format!("“{bad}”不是 http(s)://主机[:端口] 的形式"));
        }
        Ok(())
    }
}

fn is_origin(origin: &str) -> bool {
    let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    host.is_some_and(|h| !h.is_empty() && !h.contains(['/', '?', '#', '@', ' ']))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
