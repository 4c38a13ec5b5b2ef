//! `mingjing init`: sets up an empty database for real use — the county's root organization and the three
//! administrators of 三员分立 (the system admin, who then creates every other account, the security admin and the
//! audit admin), each with a random initial password printed once and changed at the first sign-in. A real
//! install therefore has no default credentials; only `serve --demo` has known passwords.

use std::path::PathBuf;
use std::process::ExitCode;

use mingjing_storage::{OrgKind, Role, Store};
use mingjing_web::{Clock, SystemClock};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 本级党组织的名称，如“某某县委”（组织树的根）
    #[arg(long, value_name = "NAME")]
    county: String,
    /// 数据库（默认取配置文件、环境变量 MINGJING_DATABASE_URL 或 sqlite://mingjing.db）
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// 配置文件（TOML）
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// The accounts `init` creates: login, display name, role.
const ADMINS: [(&str, &str, Role); 3] = [
    ("sysadmin", "系统管理员", Role::SystemAdmin),
    ("secadmin", "安全管理员", Role::SecurityAdmin),
    ("auditor", "审计管理员", Role::Auditor),
];

pub fn run(args: &Args) -> ExitCode {
    super::block_on(init(args))
}

async fn init(args: &Args) -> Result<(), String> {
    let county = args.county.trim();
    if county.is_empty() || county.chars().count() > 50 {
        return Err("请用 --county 给出本级党组织的名称（最多 50 个字）".into());
    }
    let store = super::connect(args.db.as_deref(), args.config.as_deref()).await?;
    let outcome = create(&store, county).await;
    store.close().await;
    let passwords = outcome?;
    eprintln!("已初始化“{county}”。以下初始密码只显示这一次，首次登录时必须修改：");
    for ((login, name, _), password) in ADMINS.iter().zip(passwords) {
        eprintln!("  {login:<10} {name:<8} {password}");
    }
    eprintln!("请用 sysadmin 登录，为组织部管理员、支部书记和党员创建账号（或导入花名册）。");
    Ok(())
}

/// Creates the root organization and the administrators; refuses a database that already has accounts.
async fn create(store: &Store, county: &str) -> Result<Vec<String>, String> {
    let db_error = |e: mingjing_storage::StoreError| format!("数据库操作失败：{e}");
    if store.account_count().await.map_err(db_error)? > 0 {
        return Err("数据库中已有账号，无需初始化（忘记密码请由系统管理员重置）".into());
    }
    let now = SystemClock.now_ms();
    let root = store.create_org(None, county, OrgKind::County, now).await.map_err(db_error)?;
    let mut passwords = Vec::new();
    for (login, name, role) in ADMINS {
        let (_, password) = super::admin::add_administrator(store, &root.id, (login, name, role), now).await?;
        passwords.push(password);
    }
    Ok(passwords)
}
