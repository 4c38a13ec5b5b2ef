//! Tests of the configuration layers and of the database URL's redaction.

use super::*;

/// Writes `text` to a file of its own under the temp dir; the name carries the test's name so parallel tests differ.
fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mingjing-web-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn defaults_apply_when_nothing_is_given() {
    let loaded = Config::load_from(None, env(&[]), &ConfigLayer::default()).unwrap();
    let config = loaded.config;
    assert_eq!(config.bind, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(config.session_idle_timeout, Duration::from_secs(1800));
    assert_eq!(config.session_absolute_timeout, Duration::from_secs(12 * 3600));
    assert_eq!(config.body_limit, 8 * 1024 * 1024);
    assert!(!config.behind_tls);
    assert!(loaded.warnings.is_empty());
}

#[test]
fn each_layer_overrides_the_one_below() {
    let path = file(
        "layers",
        r#"
        bind = "0.0.0.0:9000"
        session_idle_minutes = 10
        session_absolute_hours = 8
        log_format = "json"
        allowed_origins = ["HTTPS://Dj.Example.cn/"]
        "#,
    );
    let vars = env(&[
        ("MINGJING_BIND", "0.0.0.0:9100"),
        ("MINGJING_SESSION_IDLE_MINUTES", "20"),
        ("MINGJING_BEHIND_TLS", "true"),
        ("OTHER_BIND", "0.0.0.0:1"),
    ]);
    let overrides = ConfigLayer { bind: Some("127.0.0.1:9200".parse().unwrap()), ..ConfigLayer::default() };
    let config = Config::load_from(Some(&path), vars, &overrides).unwrap().config;
    assert_eq!(config.bind, "127.0.0.1:9200".parse().unwrap(), "flags beat the environment");
    assert_eq!(config.session_idle_timeout, Duration::from_secs(20 * 60), "the environment beats the file");
    assert!(config.behind_tls, "the environment beats the defaults");
    assert_eq!(config.session_absolute_timeout, Duration::from_secs(8 * 3600), "the file beats the defaults");
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.allowed_origins, ["https://dj.example.cn"]);
    assert_eq!(config.request_timeout, Duration::from_secs(30), "untouched keys keep their defaults");
}

#[test]
fn every_known_key_is_read_from_a_file_without_warnings() {
    let path = file(
        "all-keys",
        r#"
        bind = "127.0.0.1:1"
        database_url = "postgres://u:p@db/mingjing"
        session_idle_minutes = 5
        session_absolute_hours = 1
        behind_tls = true
        log_format = "json"
        max_body_mib = 2
        request_timeout_secs = 7
        compression = false
        allowed_origins = ["https://a.example"]
        backup_dir = "/var/backups/mingjing"
        backup_every_hours = 6
        backup_keep = 30
        audit_hash = "sm3"
        password_profile = "asvs"
        metrics_token = "scrape-secret"
        metrics_loopback = false
        data_key_file = "/etc/mingjing/data.key"
        data_key_algorithm = "sm4-gcm"
        totp_required = true
        audit_retention_days = 400
        "#,
    );
    let loaded = Config::load_from(Some(&path), env(&[]), &ConfigLayer::default()).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let config = loaded.config;
    assert_eq!(config.database_url.expose_secret(), "postgres://u:p@db/mingjing");
    assert_eq!(config.body_limit, 2 * 1024 * 1024);
    assert_eq!(config.request_timeout, Duration::from_secs(7));
    assert_eq!(config.password_policy, PasswordPolicy::Asvs);
    assert!(!config.compression);
    assert_eq!(config.backup_dir.as_deref(), Some(Path::new("/var/backups/mingjing")));
    assert_eq!((config.backup_every, config.backup_keep), (Duration::from_secs(6 * 3600), 30));
    assert_eq!(config.audit_hash, AuditHash::Sm3);
    assert_eq!(config.metrics_token.as_ref().map(MetricsToken::expose_secret), Some("scrape-secret"));
    assert!(!config.metrics_loopback);
    assert_eq!(config.data_key_file.as_deref(), Some(Path::new("/etc/mingjing/data.key")));
    assert_eq!(config.data_key_algorithm, Algorithm::Sm4Gcm);
    assert!(config.totp_required);
    assert_eq!(config.audit_retention, Duration::from_secs(400 * 86_400));
}

#[test]
fn the_data_key_is_configured_by_file_or_environment_and_a_bad_algorithm_is_refused() {
    let defaults = Config::load_from(None, env(&[]), &ConfigLayer::default()).unwrap().config;
    assert_eq!((defaults.data_key_file, defaults.data_key_algorithm), (None, Algorithm::Aes256Gcm));
    let vars = env(&[("MINGJING_DATA_KEY_FILE", "/run/keys/data.key"), ("MINGJING_DATA_KEY_ALGORITHM", "SM4-GCM")]);
    let config = Config::load_from(None, vars, &ConfigLayer::default()).unwrap().config;
    assert_eq!(config.data_key_file.as_deref(), Some(Path::new("/run/keys/data.key")));
    assert_eq!(config.data_key_algorithm, Algorithm::Sm4Gcm);
    let bad = Config::load_from(None, env(&[("MINGJING_DATA_KEY_ALGORITHM", "des")]), &ConfigLayer::default());
    let message = bad.unwrap_err().to_string();
    assert!(message.contains("data_key_algorithm") && message.contains("sm4-gcm"), "{message}");
}

#[test]
fn the_metrics_token_comes_from_the_environment_and_never_reaches_debug() {
    let vars = env(&[("MINGJING_METRICS_TOKEN", "scrape-secret"), ("MINGJING_METRICS_LOOPBACK", "off")]);
    let config = Config::load_from(None, vars, &ConfigLayer::default()).unwrap().config;
    assert_eq!(config.metrics_token.as_ref().map(MetricsToken::expose_secret), Some("scrape-secret"));
    assert!(!config.metrics_loopback);
    assert!(!format!("{config:?}").contains("scrape-secret"));
    let defaults = Config::load_from(None, env(&[]), &ConfigLayer::default()).unwrap().config;
    assert!(defaults.metrics_token.is_none() && defaults.metrics_loopback, "loopback only by default");
    let blank = Config::load_from(None, env(&[("MINGJING_METRICS_TOKEN", "  ")]), &ConfigLayer::default());
    assert!(blank.unwrap().config.metrics_token.is_none(), "a blank token is no token");
}

#[test]
fn unknown_keys_in_the_file_are_warnings_not_errors() {
    let path = file("unknown", "bind = \"127.0.0.1:1\"\nbnid = 3\n[extra]\nx = 1\n");
    let loaded = Config::load_from(Some(&path), env(&[]), &ConfigLayer::default()).unwrap();
    assert_eq!(loaded.config.bind, "127.0.0.1:1".parse().unwrap());
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    assert!(loaded.warnings.iter().any(|w| w.contains("bnid")));
}

#[test]
fn a_wrong_type_in_the_file_is_an_error_naming_the_file() {
    let path = file("wrong-type", "session_idle_minutes = \"ten\"\n");
    let err = Config::load_from(Some(&path), env(&[]), &ConfigLayer::default()).unwrap_err();
    assert!(matches!(err, ConfigError::File { .. }), "{err:?}");
    assert!(err.to_string().contains("wrong-type.toml"), "{err}");
}

#[test]
fn a_named_file_that_is_missing_is_an_error() {
    let missing = std::env::temp_dir().join("mingjing-web-no-such-config.toml");
    let err = Config::load_from(Some(&missing), env(&[]), &ConfigLayer::default()).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }), "{err:?}");
}

#[test]
fn a_bad_environment_value_names_the_variable() {
    let err = Config::load_from(None, env(&[("MINGJING_BEHIND_TLS", "maybe")]), &ConfigLayer::default()).unwrap_err();
    assert!(err.to_string().contains("MINGJING_BEHIND_TLS"), "{err}");
    let err = Config::load_from(None, env(&[("MINGJING_BIND", "localhost")]), &ConfigLayer::default()).unwrap_err();
    assert!(matches!(err, ConfigError::Env { .. }), "{err:?}");
}

#[test]
fn environment_lists_are_comma_separated() {
    let vars = env(&[("MINGJING_ALLOWED_ORIGINS", "https://a.example, http://b.example:8080/ ,")]);
    let config = Config::load_from(None, vars, &ConfigLayer::default()).unwrap().config;
    assert_eq!(config.allowed_origins, ["https://a.example", "http://b.example:8080"]);
}

#[test]
fn impossible_values_are_refused() {
    let short = ConfigLayer { session_idle_minutes: Some(30), session_absolute_hours: Some(0), ..Default::default() };
    let err = Config::load_from(None, env(&[]), &short).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { key: "session_absolute_hours", .. }), "{err:?}");
    let origin = ConfigLayer { allowed_origins: Some(vec!["dj.example.cn".into()]), ..Default::default() };
    assert!(Config::load_from(None, env(&[]), &origin).is_err());
    let body = ConfigLayer { max_body_mib: Some(0), ..Default::default() };
    assert!(Config::load_from(None, env(&[]), &body).is_err());
    let keep = env(&[("MINGJING_BACKUP_KEEP", "0")]);
    let err = Config::load_from(None, keep, &ConfigLayer::default()).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { key: "backup_keep", .. }), "{err:?}");
    let err = Config::load_from(None, env(&[("MINGJING_AUDIT_HASH", "md5")]), &ConfigLayer::default()).unwrap_err();
    assert!(err.to_string().contains("不是 sha256 或 sm3"), "{err}");
}

#[test]
fn database_passwords_never_reach_debug_or_display() {
    let url = DatabaseUrl::new("postgres://mingjing:s3cr%40t@db.internal:5432/mingjing?sslmode=require");
    assert_eq!(url.to_string(), "postgres://mingjing:***@db.internal:5432/mingjing?sslmode=require");
    assert!(!format!("{url:?}").contains("s3cr"));
    let config = Config { database_url: url.clone(), ..Config::default() };
    assert!(!format!("{config:?}").contains("s3cr"));
    let layer = ConfigLayer { database_url: Some(url), ..ConfigLayer::default() };
    assert!(!format!("{layer:?}").contains("s3cr"));
}

#[test]
fn redaction_covers_odd_passwords_and_query_parameters() {
    let cases = [
        ("postgres://u:p@ss/w@rd@host/db", "postgres://u:***@host/db"),
        (
            "postgres://host/db?user=u&password=hunter2&sslmode=require",
            "postgres://host/db?user=u&password=***&sslmode=require",
        ),
        ("postgres://host/db?sslpassword=x", "postgres://host/db?sslpassword=***"),
        ("postgres://justuser@host/db", "postgres://justuser@host/db"),
        ("sqlite://mingjing.db?mode=rwc", "sqlite://mingjing.db?mode=rwc"),
        ("sqlite:///var/lib/mingjing/data.db", "sqlite:///var/lib/mingjing/data.db"),
    ];
    for (raw, shown) in cases {
        assert_eq!(DatabaseUrl::new(raw).redacted(), shown);
    }
    assert_eq!(DatabaseUrl::new("postgres://u:p@h/d").expose_secret(), "postgres://u:p@h/d");
}

#[test]
fn idle_sessions_end_within_thirty_minutes() {
    let thirty = ConfigLayer { session_idle_minutes: Some(30), ..Default::default() };
    let config = Config::load_from(None, env(&[]), &thirty).unwrap().config;
    assert_eq!(config.session_idle_timeout, Duration::from_secs(1800));
    let err =
        Config::load_from(None, env(&[("MINGJING_SESSION_IDLE_MINUTES", "31")]), &ConfigLayer::default()).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { key: "session_idle_minutes", .. }), "{err:?}");
    assert!(err.to_string().contains("不能超过 30 分钟") && err.to_string().contains("等保"), "{err}");
}

#[test]
fn the_password_profile_is_chosen_by_file_or_environment() {
    assert_eq!(Config::default().password_policy, PasswordPolicy::Dengbao);
    let path = file("password-profile", "password_profile = \"asvs\"\n");
    let loaded = Config::load_from(Some(&path), env(&[]), &ConfigLayer::default()).unwrap();
    assert_eq!(loaded.config.password_policy, PasswordPolicy::Asvs);
    assert!(loaded.warnings.is_empty(), "password_profile is a known key: {:?}", loaded.warnings);
    let vars = env(&[("MINGJING_PASSWORD_PROFILE", "dengbao")]);
    let config = Config::load_from(Some(&path), vars, &ConfigLayer::default()).unwrap().config;
    assert_eq!(config.password_policy, PasswordPolicy::Dengbao, "the environment beats the file");
    let err =
        Config::load_from(None, env(&[("MINGJING_PASSWORD_PROFILE", "nist")]), &ConfigLayer::default()).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { key: "password_profile", .. }), "{err:?}");
    assert!(err.to_string().contains("“nist”不是 dengbao（等保 2.0）或 asvs（OWASP ASVS）"), "{err}");
}

#[test]
fn audit_retention_defaults_to_two_years_and_is_never_under_180_days() {
    let config = Config::default();
    assert_eq!(config.audit_retention, Duration::from_secs(730 * 86_400));
    assert!(!config.totp_required, "the second factor is opt-in");
    let at_minimum = ConfigLayer { audit_retention_days: Some(180), ..Default::default() };
    let config = Config::load_from(None, env(&[]), &at_minimum).unwrap().config;
    assert_eq!(config.audit_retention, Duration::from_secs(180 * 86_400));
    for short in ["179", "0"] {
        let err = Config::load_from(None, env(&[("MINGJING_AUDIT_RETENTION_DAYS", short)]), &ConfigLayer::default())
            .unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { key: "audit_retention_days", .. }), "{err:?}");
        assert!(err.to_string().contains("不能少于 180 天") && err.to_string().contains("网络安全法"), "{err}");
    }
    let vars = env(&[("MINGJING_TOTP_REQUIRED", "yes")]);
    assert!(Config::load_from(None, vars, &ConfigLayer::default()).unwrap().config.totp_required);
}
