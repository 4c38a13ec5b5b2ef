//! `mingjing export` / `import` and `mingjing key` as an operator runs them: the demo county, with ballots, a locked
//! meeting record, opinions, sealed matters reports and decisions and a chained audit log, moves from SQLite to a
//! fresh PostgreSQL database and back; both exports have the same content, the chain verifies, the sealed values
//! open with the same key, and a full database, a stray file or a missing key are refused in Chinese.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions, which clippy's test exemption misses

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use mingjing_storage::sealing::{Algorithm, load_key_file};
use mingjing_storage::testing::TestDb;
use mingjing_storage::{
    BallotMethod, Channel, Criticism, Grade, GradeDecision, MeetingAttendance, MeetingContent, NewAuditEntry, NewRound,
    Presence, Store,
};

use crate::helpers::{mingjing, stderr, temp_dir};

const MATTERS: &str = "{\"spouse_job\":\"配偶在县人民医院任护士长\"}";
const REASON: &str = "长期不参加组织生活，经教育仍不改正";

/// Runs `mingjing serve --demo` until it listens (the demo county is then in the database), and stops it.
fn seed_demo(db: &str, config: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mingjing"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--db", db, "--config", config])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mingjing serve --demo");
    let stderr = child.stderr.take().expect("stderr");
    let started = BufReader::new(stderr).lines().map_while(Result::ok).any(|line| line.contains("明镜已启动"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(started, "the demo server started");
}

/// What the demo lacks: a ballot on phones and one on paper, a locked meeting record with a note, opinions and a
/// summary, a matters report, a decision with its reason, and audit entries.
async fn add_the_rest(store: &Store) {
    let admin = store.account_by_login("admin").await.unwrap().expect("the demo's admin");
    let county = store.org(&admin.org_id).await.unwrap();
    let campaign = store.campaigns_opened_under(&county).await.unwrap().remove(0);
    let branch = store.subtree(&county).await.unwrap().into_iter().find(|o| o.name == "县档案馆党支部").unwrap();
    let members: Vec<String> = store.members_under(&branch.path).await.unwrap().into_iter().map(|m| m.id).collect();
    let by = store.account_by_login("sysadmin").await.unwrap().unwrap().id;
    let now = 1_767_000_000_000;

    let voters: Vec<(String, Channel)> = members.iter().map(|m| (m.clone(), Channel::Phone)).collect();
    let graded = members[..3].to_vec();
    let online = NewRound {
        campaign_id: &campaign.id,
        org_id: &branch.id,
        method: BallotMethod::Online,
        code_salt: "salt",
        holder: "h1",
        eligible: members.len() as i64,
        opened_by: &by,
        voters: &voters,
        graded: &graded,
        code_hashes: &["ab12".to_owned(), "cd34".to_owned()],
    };
    let round = store.open_round(&online, now).await.unwrap();
    assert!(store.mark_voted(&round.id, &members[0], "h1").await.unwrap());
    let choices: Vec<(String, Grade)> = graded.iter().map(|m| (m.clone(), Grade::Competent)).collect();
    store.close_round(&round.id, "h1", 1, &choices, now + 1).await.unwrap();
    let paper = NewRound { method: BallotMethod::Paper, voters: &[], code_hashes: &[], ..online };
    let paper = store.open_round(&paper, now + 2).await.unwrap();
    let tallies: Vec<(String, [i64; 4])> = graded.iter().map(|m| (m.clone(), [1, 5, 0, 0])).collect();
    store.close_paper_round(&paper.id, 6, &tallies, now + 3).await.unwrap();

    let content = MeetingContent {
        date: "2026-01-15".into(),
        time: "09:00".into(),
        place: "三楼会议室".into(),
        agenda: vec!["通报上年度整改情况".into(), "相互批评".into()],
        observer_name: "赵组织".into(),
        observer_post: "县直机关工委委员".into(),
        rectification_report: "上年度整改事项三项，均已完成。".into(),
        minutes: "会议由书记主持。".into(),
        attendance: members
            .iter()
            .enumerate()
            .map(|(i, m)| MeetingAttendance {
                member_id: m.clone(),
                presence: if i == 1 { Presence::Absent { reason: "外出培训".into() } } else { Presence::Present },
            })
            .collect(),
        criticisms: vec![Criticism {
            from_member_id: members[0].clone(),
            to_member_id: members[2].clone(),
            text: "理论学习不够主动。".into(),
        }],
    };
    let meeting = store.save_meeting(&campaign.id, &branch.id, 0, &content, &by, now + 4).await.unwrap();
    store.lock_meeting(&campaign.id, &branch.id, meeting.version, &by, now + 5).await.unwrap();
    store
        .add_meeting_note(&campaign.id, &branch.id, &by, "系统管理员", "更正：会议地点为二楼。", now + 6)
        .await
        .unwrap();

    let channel = store.open_opinion_channel(&campaign.id, &branch.id, "token-archives", now).await.unwrap();
    for body in ["希望多下基层", "服务态度好", "办事效率有待提高"] {
        store.add_opinion(&channel.id, Some(&members[2]), body, "2026-01-10").await.unwrap();
    }
    store.save_opinion_summary(&campaign.id, &members[2], 0, "群众希望提高办事效率。", now).await.unwrap();

    store.save_matters_report(&campaign.id, &members[0], 0, MATTERS, now).await.unwrap();
    let decision = GradeDecision {
        member_id: members[1].clone(),
        grade: Grade::Incompetent,
        reason: REASON.into(),
        decided_by: by.clone(),
        decided_at: now + 7,
    };
    store.save_grade_decision(&campaign.id, &decision).await.unwrap();
    for action in ["login", "view_material", "export"] {
        let entry = NewAuditEntry {
            at: now + 8,
            account_id: Some(&by),
            action,
            target: None,
            source_ip: Some("127.0.0.1"),
            outcome: "ok",
            detail: "",
        };
        store.append_audit(&entry).await.unwrap();
    }
}

/// The sealed values read back through the store with the key.
async fn sealed_values(store: &Store) -> (String, Vec<(Grade, String)>) {
    let admin = store.account_by_login("admin").await.unwrap().unwrap();
    let county = store.org(&admin.org_id).await.unwrap();
    let campaign = store.campaigns_opened_under(&county).await.unwrap().remove(0);
    let branch = store.subtree(&county).await.unwrap().into_iter().find(|o| o.name == "县档案馆党支部").unwrap();
    let members = store.members_under(&branch.path).await.unwrap();
    let report = store.matters_report(&campaign.id, &members[0].id).await.unwrap().expect("a report");
    let decisions = store.grade_decisions_in(&campaign.id, &branch.id).await.unwrap();
    (report.answers, decisions.into_iter().map(|d| (d.grade, d.reason)).collect())
}

#[test]
fn the_demo_county_moves_from_sqlite_to_postgres_and_back_with_identical_content() {
    let dir = temp_dir("dataio");
    let key_path = dir.join("data.key");
    let made = mingjing(&["key", "generate", "--algorithm", "sm4-gcm", "--out", key_path.to_str().unwrap()]);
    assert!(made.status.success(), "{}", stderr(&made));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let again = mingjing(&["key", "generate", "--out", key_path.to_str().unwrap()]);
    assert!(!again.status.success() && stderr(&again).contains("不会覆盖"), "{}", stderr(&again));
    let config = dir.join("mingjing.toml");
    std::fs::write(&config, format!("data_key_file = \"{}\"\ndata_key_algorithm = \"sm4-gcm\"\n", key_path.display()))
        .unwrap();
    let config = config.to_str().unwrap();

    let source = format!("sqlite://{}", dir.join("source.db").display());
    seed_demo(&source, config);
    let key = load_key_file(&key_path, Algorithm::Sm4Gcm).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let expected = runtime.block_on(async {
        let store = Store::connect(&source).await.unwrap().with_data_key(key.clone());
        add_the_rest(&store).await;
        let values = sealed_values(&store).await;
        store.close().await;
        values
    });
    assert_eq!(expected.0, MATTERS);
    assert!(expected.1.contains(&(Grade::Incompetent, REASON.to_owned())));

    let first = dir.join("first.mingjing.gz");
    let exported = mingjing(&["export", "--db", &source, "--out", first.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let raw = std::fs::read(&first).unwrap();
    let (_, rows, _) = mingjing_storage::export::read_lines(&first).unwrap();
    assert!(rows.len() > 1000, "the whole demo county: {} rows", rows.len());
    let text = rows.join("\n");
    assert!(!text.contains("配偶在县人民医院") && !text.contains("经教育仍不改正"), "sealed values travel sealed");
    assert!(text.contains("mjenc:v1:sm4gcm:"));
    assert!(raw.len() < text.len() / 2, "compressed");

    let pg = runtime.block_on(TestDb::postgres());
    let imported = mingjing(&["import", first.to_str().unwrap(), "--db", &pg.url]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(stderr(&imported).contains("哈希链完整"), "{}", stderr(&imported));
    let verify = mingjing(&["audit", "verify", "--db", &pg.url]);
    assert!(verify.status.success(), "{}", stderr(&verify));

    let full = mingjing(&["import", first.to_str().unwrap(), "--db", &pg.url]);
    assert_eq!(full.status.code(), Some(2));
    assert!(stderr(&full).contains("不是空的"), "{}", stderr(&full));

    let second = dir.join("second.mingjing.gz");
    let exported = mingjing(&["export", "--db", &pg.url, "--out", second.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let (h1, rows1, t1) = mingjing_storage::export::read_lines(&first).unwrap();
    let (h2, rows2, t2) = mingjing_storage::export::read_lines(&second).unwrap();
    assert_eq!(h1, h2, "headers without exported_at");
    assert_eq!(rows1.len(), rows2.len());
    if let Some(i) = (0..rows1.len()).find(|&i| rows1[i] != rows2[i]) {
        panic!("row {i} differs:\n{}\n{}", rows1[i], rows2[i]);
    }
    assert_eq!(t1, t2, "trailers: counts and SHA-256");

    let values = runtime.block_on(async {
        let store = Store::connect(&pg.url).await.unwrap().with_data_key(key.clone());
        let values = sealed_values(&store).await;
        store.close().await;
        values
    });
    assert_eq!(values, expected, "readable with the same key after the move");

    let back = format!("sqlite://{}", dir.join("back.db").display());
    let imported = mingjing(&["import", second.to_str().unwrap(), "--db", &back]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let third = dir.join("third.mingjing.gz");
    assert!(mingjing(&["export", "--db", &back, "--out", third.to_str().unwrap()]).status.success());
    assert_eq!(mingjing_storage::export::read_lines(&third).unwrap().1, rows1, "and back to SQLite");

    let stray = dir.join("stray.txt");
    std::fs::write(&stray, "不是导出文件").unwrap();
    let fresh = format!("sqlite://{}", dir.join("fresh.db").display());
    let refused = mingjing(&["import", stray.to_str().unwrap(), "--db", &fresh]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("不是明镜的导出文件"), "{}", stderr(&refused));

    runtime.block_on(pg.remove());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reencrypt_seals_plaintext_rows_and_a_retired_key_s_rows() {
    let dir = temp_dir("reencrypt");
    let db = format!("sqlite://{}", dir.join("county.db").display());
    let old_key = dir.join("old.key");
    let new_key = dir.join("new.key");
    for path in [&old_key, &new_key] {
        assert!(mingjing(&["key", "generate", "--out", path.to_str().unwrap()]).status.success());
    }
    let config = dir.join("mingjing.toml");
    std::fs::write(&config, format!("data_key_file = \"{}\"\n", new_key.display())).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (campaign, members) = runtime.block_on(async {
        use mingjing_storage::{NewCampaign, NewMember, OrgKind, Standing};
        let store = Store::connect(&db).await.unwrap();
        let county = store.create_org(None, "县委", OrgKind::County, 1).await.unwrap();
        let campaign = store
            .create_campaign(&NewCampaign { org_id: &county.id, year: 2025, title: "t", notice: "", definition: "" }, 1)
            .await
            .unwrap();
        let mut members = Vec::new();
        for name in ["甲", "乙"] {
            let new = NewMember {
                org_id: &county.id,
                name,
                standing: Standing::Full,
                joined_on: None,
                post: None,
                phone: None,
                leading_cadre: true,
            };
            members.push(store.add_member(&new, 1).await.unwrap().id);
        }
        // One report from before encryption, one sealed under the key being retired.
        store.save_matters_report(&campaign.id, &members[0], 0, "明文报告", 2).await.unwrap();
        let old = store.clone().with_data_key(load_key_file(&old_key, Algorithm::Aes256Gcm).unwrap());
        old.save_matters_report(&campaign.id, &members[1], 0, "旧密钥报告", 2).await.unwrap();
        store.close().await;
        (campaign.id, members)
    });

    let without_old = mingjing(&["key", "reencrypt", "--db", &db, "--config", config.to_str().unwrap()]);
    assert_eq!(without_old.status.code(), Some(2), "a value under an unknown key stops it");
    assert!(stderr(&without_old).contains("另一把密钥"), "{}", stderr(&without_old));
    let done = mingjing(&[
        "key",
        "reencrypt",
        "--db",
        &db,
        "--config",
        config.to_str().unwrap(),
        "--old-key",
        old_key.to_str().unwrap(),
    ]);
    assert!(done.status.success(), "{}", stderr(&done));
    // The run that stopped had already sealed the plaintext report (each row is its own write).
    assert!(stderr(&done).contains("已加密 1 项，1 项原已用当前密钥加密"), "{}", stderr(&done));
    let again = mingjing(&["key", "reencrypt", "--db", &db, "--config", config.to_str().unwrap()]);
    assert!(stderr(&again).contains("已加密 0 项，2 项原已用当前密钥加密"), "{}", stderr(&again));

    runtime.block_on(async {
        let store = Store::connect(&db).await.unwrap();
        let raw: Vec<String> = {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
            let raw = sqlx::query_scalar("SELECT answers FROM matters_reports").fetch_all(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            raw
        };
        assert!(raw.iter().all(|v| v.starts_with("mjenc:v1:aes256gcm:")), "{raw:?}");
        let keyed = store.clone().with_data_key(load_key_file(&new_key, Algorithm::Aes256Gcm).unwrap());
        assert_eq!(keyed.matters_report(&campaign, &members[0]).await.unwrap().unwrap().answers, "明文报告");
        assert_eq!(keyed.matters_report(&campaign, &members[1]).await.unwrap().unwrap().answers, "旧密钥报告");
        let wrong = store.clone().with_data_key(load_key_file(&old_key, Algorithm::Aes256Gcm).unwrap());
        let message = wrong.matters_report(&campaign, &members[0]).await.unwrap_err().to_string();
        assert!(message.contains("另一把密钥"), "a wrong key is named, never garbage: {message}");
        store.close().await;
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
