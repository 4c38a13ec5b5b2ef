//! `mingjing backup` and `mingjing restore` on real SQLite files: a backup is checked and never overwritten, a
//! restore refuses what is not a backup and leaves the database whole, and PostgreSQL is sent to its own tools.

use crate::helpers::{mingjing, stderr, temp_dir};

#[test]
fn a_backup_is_restored_and_bad_input_is_refused_in_chinese() {
    let dir = temp_dir("backup");
    let db = format!("sqlite://{}", dir.join("live.db").display());
    let out = dir.join("backup.db");
    let out_arg = out.to_str().unwrap();

    let made = mingjing(&["backup", "--db", &db, "--out", out_arg]);
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stderr(&made).contains("完整性检查通过"), "{}", stderr(&made));

    let again = mingjing(&["backup", "--db", &db, "--out", out_arg]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("已存在"), "{}", stderr(&again));

    let garbage = dir.join("garbage.db");
    std::fs::write(&garbage, "这不是数据库").unwrap();
    let refused = mingjing(&["restore", "--db", &db, "--from", garbage.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("不是明镜的 SQLite 备份"), "{}", stderr(&refused));

    let elsewhere = format!("sqlite://{}", dir.join("restored.db").display());
    let restored = mingjing(&["restore", "--db", &elsewhere, "--from", out_arg]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert!(dir.join("restored.db").is_file());

    let postgres = mingjing(&["restore", "--db", "postgres://127.0.0.1/none", "--from", out_arg]);
    assert_eq!(postgres.status.code(), Some(2));
    assert!(stderr(&postgres).contains("pg_restore"), "{}", stderr(&postgres));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn audit_verify_passes_a_whole_chain_and_names_a_tampered_entry() {
    let dir = temp_dir("audit-verify");
    let path = dir.join("audit.db");
    let db = format!("sqlite://{}", path.display());
    // A backup writes no audit entry; seed two by the store's own API through a tiny runtime.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = mingjing_storage::Store::connect(&db).await.unwrap();
        for action in ["login", "logout"] {
            let entry = mingjing_storage::NewAuditEntry {
                at: 1,
                account_id: None,
                action,
                target: None,
                source_ip: None,
                outcome: "ok",
                detail: "",
            };
            store.append_audit(&entry).await.unwrap();
        }
        store.close().await;
    });
    let whole = mingjing(&["audit", "verify", "--db", &db]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    assert!(stderr(&whole).contains("共 2 条") && stderr(&whole).contains("哈希链完整"), "{}", stderr(&whole));

    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
        sqlx::query("UPDATE audit_log SET action = 'nothing' WHERE seq = 1").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    });
    let broken = mingjing(&["audit", "verify", "--db", &db]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(stderr(&broken).contains("第 1 条的内容与其哈希不符"), "{}", stderr(&broken));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_creates_the_administrators_once_with_passwords_shown_once() {
    let dir = temp_dir("init");
    let db = format!("sqlite://{}", dir.join("county.db").display());
    let missing = mingjing(&["init", "--county", " ", "--db", &db]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("--county"), "{}", stderr(&missing));

    let made = mingjing(&["init", "--county", "青山县委", "--db", &db]);
    assert!(made.status.success(), "{}", stderr(&made));
    let printed = stderr(&made);
    let password = printed
        .lines()
        .find(|l| l.trim_start().starts_with("sysadmin"))
        .and_then(|l| l.split_whitespace().last())
        .expect("the system admin's password")
        .to_owned();
    assert!(printed.contains("auditor") && printed.contains("首次登录时必须修改"), "{printed}");
    assert!(printed.contains("secadmin") && printed.contains("安全管理员"), "三员: {printed}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = mingjing_storage::Store::connect(&db).await.unwrap();
        let admin = store.account_by_login("sysadmin").await.unwrap().expect("created");
        assert!(admin.must_change_password, "an initial password is changed at the first sign-in");
        assert!(mingjing_web::verify_password(&admin.password_hash, &password).unwrap(), "the printed one works");
        assert_eq!(store.account_count().await.unwrap(), 3);
        let security = store.account_by_login("secadmin").await.unwrap().expect("created");
        assert_eq!(security.role, mingjing_storage::Role::SecurityAdmin);
        assert!(security.must_change_password);
        assert_ne!(security.password_hash, admin.password_hash, "each has its own password");
        store.close().await;
    });

    let again = mingjing(&["init", "--county", "青山县委", "--db", &db]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("已有账号"), "{}", stderr(&again));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn audit_prune_deletes_past_retention_and_verify_still_passes() {
    let dir = temp_dir("audit-prune");
    let db = format!("sqlite://{}", dir.join("audit.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = mingjing_storage::Store::connect(&db).await.unwrap();
        // Two entries from 1970, far past any retention, and one from now.
        let now = mingjing_web::Clock::now_ms(&mingjing_web::SystemClock);
        for (at, action) in [(1, "login"), (2, "logout"), (now, "login")] {
            let entry = mingjing_storage::NewAuditEntry {
                at,
                account_id: None,
                action,
                target: None,
                source_ip: None,
                outcome: "ok",
                detail: "",
            };
            store.append_audit(&entry).await.unwrap();
        }
        store.close().await;
    });
    let config = dir.join("short.toml");
    std::fs::write(&config, "audit_retention_days = 90\n").unwrap();
    let refused = mingjing(&["audit", "prune", "--db", &db, "--config", config.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("不能少于 180 天"), "{}", stderr(&refused));

    let pruned = mingjing(&["audit", "prune", "--db", &db]);
    assert!(pruned.status.success(), "{}", stderr(&pruned));
    assert!(stderr(&pruned).contains("审计记录 2 条（至第 2 条）"), "{}", stderr(&pruned));
    let again = mingjing(&["audit", "prune", "--db", &db]);
    assert!(stderr(&again).contains("没有超过保留期（730 天）"), "{}", stderr(&again));
    let verified = mingjing(&["audit", "verify", "--db", &db]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(
        stderr(&verified).contains("共 2 条（第 3 至 4 条）（第 2 条及以前已按保留期清理），哈希链完整"),
        "{}",
        stderr(&verified)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_three_administrators_are_managed_on_the_console_and_each_step_is_audited() {
    let dir = temp_dir("admin");
    let db = format!("sqlite://{}", dir.join("county.db").display());
    let early =
        mingjing(&["admin", "create", "--role", "auditor", "--login", "shenji2", "--name", "审计二", "--db", &db]);
    assert_eq!(early.status.code(), Some(2));
    assert!(stderr(&early).contains("mingjing init"), "{}", stderr(&early));
    assert!(mingjing(&["init", "--county", "青山县委", "--db", &db]).status.success());

    let made = mingjing(&[
        "admin",
        "create",
        "--role",
        "security_admin",
        "--login",
        "anquan2",
        "--name",
        "张安全",
        "--db",
        &db,
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let password = last_line(&stderr(&made));
    assert!(stderr(&made).contains("安全管理员") && stderr(&made).contains("青山县委"), "{}", stderr(&made));
    for (args, says) in [
        (vec!["create", "--role", "secretary", "--login", "shuji9", "--name", "书记"], "不是三员之一"),
        (vec!["create", "--role", "auditor", "--login", "anquan2", "--name", "重名"], "已被使用"),
        (vec!["create", "--role", "auditor", "--login", "有 空格", "--name", "坏名"], "账号名应为"),
        (vec!["reset-password", "nobody"], "没有账号"),
    ] {
        let mut full = vec!["admin"];
        full.extend(args);
        full.extend(["--db", &db]);
        let refused = mingjing(&full);
        assert_eq!(refused.status.code(), Some(2), "{full:?}");
        assert!(stderr(&refused).contains(says), "{full:?}: {}", stderr(&refused));
    }
    let reset = mingjing(&["admin", "reset-password", "sysadmin", "--db", &db]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    let fresh = last_line(&stderr(&reset));
    // The console writes the audit log with the configured hash, as the server does.
    let sm3 = dir.join("sm3.toml");
    std::fs::write(&sm3, "audit_hash = \"sm3\"\n").unwrap();
    let disabled = mingjing(&["admin", "disable", "auditor", "--db", &db, "--config", sm3.to_str().unwrap()]);
    assert!(disabled.status.success(), "{}", stderr(&disabled));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = mingjing_storage::Store::connect(&db).await.unwrap();
        let security = store.account_by_login("anquan2").await.unwrap().expect("created");
        assert_eq!(security.role, mingjing_storage::Role::SecurityAdmin);
        assert!(security.must_change_password);
        assert!(mingjing_web::verify_password(&security.password_hash, &password).unwrap(), "the printed one works");
        let admin = store.account_by_login("sysadmin").await.unwrap().expect("there");
        assert!(mingjing_web::verify_password(&admin.password_hash, &fresh).unwrap() && admin.must_change_password);
        assert!(store.account_by_login("auditor").await.unwrap().expect("there").disabled);
        assert!(store.account_by_login("shuji9").await.unwrap().is_none());
        let created = store.audit_entries(Some("account.create"), 10).await.unwrap();
        assert_eq!(created.len(), 1);
        assert!(created[0].detail.contains("服务器控制台") && created[0].account_id.is_none(), "{created:?}");
        assert_eq!(store.audit_entries(Some("account.disable"), 10).await.unwrap().len(), 1);
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
        let algs: Vec<(String, String)> =
            sqlx::query_as("SELECT action, hash_alg FROM audit_log ORDER BY seq").fetch_all(&mut conn).await.unwrap();
        assert!(algs.iter().any(|(a, h)| a == "account.disable" && h == "sm3"), "{algs:?}");
        assert!(algs.iter().any(|(a, h)| a == "account.create" && h == "sha256"), "{algs:?}");
        assert!(store.verify_audit().await.unwrap().problems.is_empty(), "one chain in both hashes");
        store.close().await;
    });
    assert!(mingjing(&["admin", "enable", "auditor", "--db", &db]).status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The initial password `mingjing admin` prints on its own last line.
fn last_line(printed: &str) -> String {
    printed.lines().last().unwrap_or_default().trim().to_owned()
}
