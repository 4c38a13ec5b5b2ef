//! Tests of the export file: every table is in it, a round trip between the backends gives the same file, the
//! audit chain and sealed values survive, and every bad file or target is refused with nothing written.

use std::io::{BufRead, BufReader, Write};

use super::*;
use crate::sealing::{Algorithm, GcmProvider};
use crate::testing::{TestDb, each_backend};
use crate::{Grade, GradeDecision, NewAccount, NewAuditEntry, NewCampaign, NewMember, OrgKind, Role, Standing};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mingjing-export-{}", crate::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[tokio::test]
async fn every_table_of_the_schema_is_exported_or_left_out_on_purpose() {
    each_backend(|store| async move {
        let mut missing = Vec::new();
        for name in schema_tables(&store).await? {
            let listed = TABLES.iter().any(|t| t.name == name) || NOT_EXPORTED.iter().any(|(t, _)| *t == name);
            if !listed {
                missing.push(name);
            }
        }
        assert!(
            missing.is_empty(),
            "tables of the schema neither in export::TABLES nor in NOT_EXPORTED (add a line for each): {missing:?}"
        );
        let tables = schema_tables(&store).await?;
        for table in TABLES {
            assert!(tables.iter().any(|t| t == table.name), "{} is listed but not in the schema", table.name);
        }
        Ok(())
    })
    .await;
}

/// A little of everything the export has to carry: a tree, members, an account, a campaign, a sealed matters
/// report and decision, and a chained audit log.
async fn seed(store: &Store) -> Result<(String, String), StoreError> {
    let county = store.create_org(None, "示范县委", OrgKind::County, 1).await?;
    let branch = store.create_org(Some(&county.id), "第一支部", OrgKind::Branch, 2).await?;
    let member = store
        .add_member(
            &NewMember {
                org_id: &branch.id,
                name: "张三",
                standing: Standing::Full,
                joined_on: Some("2001-07-01"),
                post: None,
                phone: None,
                leading_cadre: true,
            },
            3,
        )
        .await?;
    let secretary = store
        .create_account(
            &NewAccount {
                login: "sec",
                phone: None,
                display_name: "书记",
                role: Role::Secretary,
                org_id: &branch.id,
                member_id: None,
                password_hash: "x",
                must_change_password: false,
            },
            4,
        )
        .await?;
    let campaign = store
        .create_campaign(&NewCampaign { org_id: &county.id, year: 2025, title: "t", notice: "", definition: "" }, 5)
        .await?;
    store.save_matters_report(&campaign.id, &member.id, 0, "{\"spouse\":\"配偶在县医院工作\"}", 6).await?;
    let decision = GradeDecision {
        member_id: member.id.clone(),
        grade: Grade::Competent,
        reason: "日常表现良好".into(),
        decided_by: secretary.id.clone(),
        decided_at: 7,
    };
    store.save_grade_decision(&campaign.id, &decision).await?;
    for at in 10..15 {
        let entry = NewAuditEntry {
            at,
            account_id: Some(&secretary.id),
            action: "view_material",
            target: Some(&member.id),
            source_ip: Some("127.0.0.1"),
            outcome: "ok",
            detail: "引号\"与换行\n",
        };
        store.append_audit(&entry).await?;
    }
    Ok((campaign.id, member.id))
}

fn key() -> Arc<dyn crate::sealing::CryptoProvider> {
    Arc::new(GcmProvider::new(Algorithm::Sm4Gcm, &[9u8; 16]).unwrap())
}

use std::sync::Arc;

#[tokio::test]
async fn sqlite_to_postgres_and_back_gives_the_same_file_and_keeps_chain_and_sealed_values() {
    let source_db = TestDb::sqlite();
    let source = source_db.store().await.with_data_key(key());
    let (campaign, member) = seed(&source).await.unwrap();
    let first = temp("first.mjx");
    let exported = source.export_to(&first, 100).await.unwrap();
    assert_eq!(counts(&exported)["audit_log"], 5);
    assert_eq!(counts(&exported)["organizations"], 2);
    assert!(matches!(source.export_to(&first, 101).await, Err(ExportError::Exists(_))), "never overwrites");

    let pg_db = TestDb::postgres().await;
    let pg = pg_db.store().await.with_data_key(key());
    let imported = pg.import_from(&first).await.unwrap();
    assert_eq!(imported, exported);
    let chain = pg.verify_audit().await.unwrap();
    assert_eq!(chain.entries, 5);
    assert!(chain.problems.is_empty(), "{:?}", chain.problems);
    let report = pg.matters_report(&campaign, &member).await.unwrap().expect("carried over");
    assert!(report.answers.contains("配偶在县医院工作"), "readable with the same key");
    assert!(matches!(
        pg_db.store().await.matters_report(&campaign, &member).await,
        Err(StoreError::Sealed(crate::sealing::SealError::NoKey))
    ));

    let second = temp("second.mjx");
    let again = pg.export_to(&second, 200).await.unwrap();
    assert_eq!(again.sha256, exported.sha256);
    let (h1, rows1, t1) = read_lines(&first).unwrap();
    let (h2, rows2, t2) = read_lines(&second).unwrap();
    assert_eq!((h1, t1), (h2, t2));
    assert!(rows1 == rows2, "the two files' rows differ");
    assert!(!rows1.iter().any(|r| r.contains("配偶在县医院工作") || r.contains("日常表现良好")), "ciphertext only");

    let back_db = TestDb::sqlite();
    let back = back_db.store().await;
    back.import_from(&second).await.unwrap();
    assert!(back.verify_audit().await.unwrap().problems.is_empty());
    let third = temp("third.mjx");
    assert_eq!(back.export_to(&third, 300).await.unwrap().sha256, exported.sha256);

    for (store, db) in [(source, source_db), (pg, pg_db), (back, back_db)] {
        store.close().await;
        db.remove().await;
    }
}

/// Rewrites an export file line by line.
fn rewrite(from: &Path, to: &Path, edit: impl Fn(usize, String) -> Option<String>) {
    let lines: Vec<String> =
        BufReader::new(GzDecoder::new(std::fs::File::open(from).unwrap())).lines().map(Result::unwrap).collect();
    let mut gz = GzEncoder::new(std::fs::File::create(to).unwrap(), Compression::default());
    for (i, line) in lines.into_iter().enumerate() {
        if let Some(line) = edit(i, line) {
            writeln!(gz, "{line}").unwrap();
        }
    }
    gz.finish().unwrap();
}

async fn row_count(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM organizations").fetch_one(store.pool()).await.unwrap()
}

#[tokio::test]
async fn bad_files_and_full_databases_are_refused_and_nothing_is_written() {
    let source_db = TestDb::sqlite();
    let source = source_db.store().await;
    seed(&source).await.unwrap();
    let good = temp("good.mjx");
    source.export_to(&good, 1).await.unwrap();
    let dir = good.parent().unwrap().to_owned();

    let variant = |name: &str, edit: &dyn Fn(usize, String) -> Option<String>| {
        let path = dir.join(name);
        rewrite(&good, &path, edit);
        path
    };
    let other_version =
        variant("v2.mjx", &|i, l| Some(if i == 0 { l.replace("\"version\":1", "\"version\":2") } else { l }));
    let newer = variant("newer.mjx", &|i, l| {
        Some(if i == 0 { l.replace(&format!("\"schema\":{}", Store::schema_version()), "\"schema\":9999") } else { l })
    });
    let tampered = variant("tampered.mjx", &|_, l| Some(l.replace("第一支部", "第二支部")));
    let truncated = variant("truncated.mjx", &|_, l| (!l.starts_with("{\"end\"")).then_some(l));
    let garbage = dir.join("garbage.mjx");
    std::fs::write(&garbage, "这不是导出文件").unwrap();

    each_backend(|store| {
        let (good, other_version, newer, tampered, truncated, garbage) =
            (good.clone(), other_version.clone(), newer.clone(), tampered.clone(), truncated.clone(), garbage.clone());
        async move {
            let refused = |e: Result<ExportSummary, ExportError>| e.expect_err("refused").to_string();
            assert!(refused(store.import_from(&other_version).await).contains("格式版本是 2"));
            assert!(refused(store.import_from(&newer).await).contains("更新的版本"));
            assert!(matches!(store.import_from(&tampered).await, Err(ExportError::Checksum)));
            assert!(refused(store.import_from(&truncated).await).contains("缺少结尾行"));
            assert!(matches!(store.import_from(&garbage).await, Err(ExportError::NotAnExport(_))));
            assert_eq!(row_count(&store).await, 0, "a refused file writes nothing");

            store.import_from(&good).await.map_err(|e| StoreError::State(e.to_string()))?;
            assert_eq!(row_count(&store).await, 2);
            let full = refused(store.import_from(&good).await);
            assert!(full.contains("不是空的") && full.contains("organizations"), "{full}");
            Ok(())
        }
    })
    .await;
    source.close().await;
    source_db.remove().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
