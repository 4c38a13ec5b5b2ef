//! `mingjing admin`: the three administrators' accounts (三员), managed from the server's console because the web
//! lets no administrator create, change or reset another (the system admin would otherwise hold the security and
//! audit admins' powers). Whoever runs this has the server itself; every action goes to the audit log as the
//! console's.

use std::path::PathBuf;
use std::process::ExitCode;

use mingjing_storage::{NewAccount, NewAuditEntry, Role, Store, StoreError};
use mingjing_web::{Clock, SystemClock};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 创建系统、安全或审计管理员账号（随机初始密码，只显示一次，首次登录须修改）
    Create(CreateArgs),
    /// 重置任一账号的密码（随机初始密码，只显示一次）并使其已登录的会话失效，用于管理员忘记密码
    ResetPassword(AccountArgs),
    /// 停用一个账号，并使其已登录的会话失效
    Disable(AccountArgs),
    /// 重新启用一个已停用的账号
    Enable(AccountArgs),
}

#[derive(Debug, clap::Args)]
pub struct Database {
    /// 数据库（默认取配置文件、环境变量 MINGJING_DATABASE_URL 或 sqlite://mingjing.db）
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// 配置文件（TOML）
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// 角色：system_admin（系统管理员）、security_admin（安全管理员）或 auditor（审计管理员）
    #[arg(long, value_name = "ROLE")]
    role: String,
    /// 账号名（2 到 32 位字母、数字、下划线、点或短横线）
    #[arg(long, value_name = "LOGIN")]
    login: String,
    /// 姓名
    #[arg(long, value_name = "NAME")]
    name: String,
    #[command(flatten)]
    database: Database,
}

#[derive(Debug, clap::Args)]
pub struct AccountArgs {
    /// 账号名或手机号
    #[arg(value_name = "LOGIN")]
    login: String,
    #[command(flatten)]
    database: Database,
}

pub fn run(command: &Command) -> ExitCode {
    match command {
        Command::Create(args) => super::block_on(create(args)),
        Command::ResetPassword(args) => super::block_on(reset_password(args)),
        Command::Disable(args) => super::block_on(set_disabled(args, true)),
        Command::Enable(args) => super::block_on(set_disabled(args, false)),
    }
}

fn db_error(e: StoreError) -> String {
    format!("数据库操作失败：{e}")
}

async fn open(database: &Database) -> Result<Store, String> {
    super::connect(database.db.as_deref(), database.config.as_deref()).await
}

/// The administrator's role named on the command line.
fn administrator_role(code: &str) -> Result<Role, String> {
    match Role::from_code(code.trim()) {
        Some(role) if role.is_administrator() => Ok(role),
        _ => Err(format!(
            "角色“{code}”不是三员之一：请用 system_admin、security_admin 或 auditor。\
             其他账号由系统管理员在网页上创建。"
        )),
    }
}

fn check_login(login: &str) -> Result<(), String> {
    let ok = (2..=32).contains(&login.len())
        && login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok { Ok(()) } else { Err("账号名应为 2 到 32 位字母、数字、下划线、点或短横线".into()) }
}

/// A fresh initial password and its hash.
async fn new_password() -> Result<(String, String), String> {
    let password = mingjing_web::accounts::initial_password().map_err(|e| e.to_string())?;
    let hash = tokio::task::spawn_blocking({
        let password = password.clone();
        move || mingjing_web::hash_password(&password)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    Ok((password, hash))
}

async fn audit(store: &Store, action: &str, account_id: &str, detail: &str) -> Result<(), String> {
    let (target, detail) = (format!("account:{account_id}"), format!("服务器控制台（mingjing admin）：{detail}"));
    let entry = NewAuditEntry {
        at: SystemClock.now_ms(),
        account_id: None,
        action,
        target: Some(&target),
        source_ip: None,
        outcome: "ok",
        detail: &detail,
    };
    store.append_audit(&entry).await.map_err(db_error)
}

async fn create(args: &CreateArgs) -> Result<(), String> {
    let role = administrator_role(&args.role)?;
    let login = args.login.trim();
    check_login(login)?;
    let name = args.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err("请用 --name 给出姓名（最多 50 个字）".into());
    }
    let store = open(&args.database).await?;
    let outcome: Result<(String, String), String> = async {
        let root = store.top_orgs().await.map_err(db_error)?.into_iter().next();
        let root = root.ok_or("数据库还没有初始化，请先运行 mingjing init")?;
        let (account, password) =
            add_administrator(&store, &root.id, (login, name, role), SystemClock.now_ms()).await?;
        audit(&store, "account.create", &account.id, &format!("{login}，{}", role.label())).await?;
        Ok((root.name, password))
    }
    .await;
    store.close().await;
    let (org, password) = outcome?;
    eprintln!("已在“{org}”创建{}账号 {login}。初始密码只显示这一次，首次登录时必须修改：", role.label());
    eprintln!("  {password}");
    Ok(())
}

/// Creates an administrator's account in `org_id` with a fresh initial password, to be changed at the first
/// sign-in; returns the account and the password to show once.
pub(crate) async fn add_administrator(
    store: &Store,
    org_id: &str,
    (login, name, role): (&str, &str, Role),
    now: i64,
) -> Result<(mingjing_storage::Account, String), String> {
    let (password, hash) = new_password().await?;
    let new = NewAccount {
        login,
        phone: None,
        display_name: name,
        role,
        org_id,
        member_id: None,
        password_hash: &hash,
        must_change_password: true,
    };
    match store.create_account(&new, now).await {
        Ok(account) => Ok((account, password)),
        Err(StoreError::Duplicate(_)) => Err(format!("账号名“{login}”已被使用")),
        Err(e) => Err(db_error(e)),
    }
}

async fn reset_password(args: &AccountArgs) -> Result<(), String> {
    let store = open(&args.database).await?;
    let outcome: Result<(String, String), String> = async {
        let account = find(&store, &args.login).await?;
        let (password, hash) = new_password().await?;
        store.set_password(&account.id, &hash, true, SystemClock.now_ms()).await.map_err(db_error)?;
        store.revoke_sessions_of(&account.id).await.map_err(db_error)?;
        audit(&store, "account.reset_password", &account.id, &account.login).await?;
        Ok((account.login, password))
    }
    .await;
    store.close().await;
    let (login, password) = outcome?;
    eprintln!("已重置 {login} 的密码，其已登录的会话已失效。新的初始密码只显示这一次，登录后必须修改：");
    eprintln!("  {password}");
    Ok(())
}

async fn set_disabled(args: &AccountArgs, disabled: bool) -> Result<(), String> {
    let store = open(&args.database).await?;
    let outcome: Result<String, String> = async {
        let account = find(&store, &args.login).await?;
        store.set_disabled(&account.id, disabled).await.map_err(db_error)?;
        let action = if disabled { "account.disable" } else { "account.enable" };
        audit(&store, action, &account.id, &account.login).await?;
        Ok(account.login)
    }
    .await;
    store.close().await;
    let login = outcome?;
    eprintln!("已{}账号 {login}。", if disabled { "停用" } else { "启用" });
    Ok(())
}

async fn find(store: &Store, login: &str) -> Result<mingjing_storage::Account, String> {
    store.account_by_login(login.trim()).await.map_err(db_error)?.ok_or_else(|| format!("没有账号“{}”", login.trim()))
}
