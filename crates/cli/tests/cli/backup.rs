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
