//! The `mingjing` binary: parses the command line and hands each subcommand to its module.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// 明镜：组织生活会和民主评议党员工作系统，含对照检查材料审查引擎。
#[derive(Debug, Parser)]
#[command(name = "mingjing", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 初始化一个新数据库：本级党组织和系统管理员、审计管理员（随机初始密码，只显示一次）
    Init(commands::init::Args),
    /// 启动网页系统（默认使用内嵌的 SQLite 数据库）
    Serve(commands::serve::Args),
    /// 审查对照检查材料：结构、检视方面覆盖、内部重复、问题与措施对应、篇幅和具体程度
    Review(commands::review::Args),
    /// 参考材料索引
    #[command(subcommand)]
    Index(commands::index::Command),
    /// 审计日志
    #[command(subcommand)]
    Audit(commands::audit::Command),
    /// 三员（系统、安全、审计管理员）账号：在服务器上创建、重置密码、停用或启用
    #[command(subcommand)]
    Admin(commands::admin::Command),
    /// 在线备份 SQLite 数据库（服务运行时也可以）
    Backup(commands::backup::BackupArgs),
    /// 从备份恢复 SQLite 数据库（须先停止服务）
    Restore(commands::backup::RestoreArgs),
    /// 导出全部数据到一个文件（格式见 docs/export-format.md），用于迁移到 PostgreSQL 或另一台服务器
    Export(commands::dataio::ExportArgs),
    /// 把导出文件导入一个新建的空数据库
    Import(commands::dataio::ImportArgs),
    /// 数据密钥：生成密钥文件，或用当前密钥重新加密
    #[command(subcommand)]
    Key(commands::key::Command),
    /// 生成带真值的合成语料（用于测量复制检测的准确率和性能）
    GenCorpus(commands::gen_corpus::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Init(args) => commands::init::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Review(args) => commands::review::run(&args),
        Command::Index(command) => commands::index::run(&command),
        Command::GenCorpus(args) => commands::gen_corpus::run(&args),
        Command::Audit(command) => commands::audit::run(&command),
        Command::Admin(command) => commands::admin::run(&command),
        Command::Backup(args) => commands::backup::backup(&args),
        Command::Restore(args) => commands::backup::restore(&args),
        Command::Export(args) => commands::dataio::export(&args),
        Command::Import(args) => commands::dataio::import(&args),
        Command::Key(command) => commands::key::run(&command),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        super::Cli::command().debug_assert();
    }
}
