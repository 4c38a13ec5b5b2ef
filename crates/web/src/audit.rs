//! The audit log page: the newest entries, for the auditor only, read-only. Reading it is itself recorded, and so is
//! anyone else's attempt to open it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use mingjing_storage::{AuditEntry, Role};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{HtmxRequest, render};

/// How many entries the page shows; filtering and paging come with the auditor's search.
const PAGE_SIZE: i64 = 200;

/// One entry as the auditor reads it.
#[derive(Debug)]
pub struct AuditRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub target: String,
    pub source_ip: String,
    pub outcome: &'static str,
    pub outcome_class: &'static str,
    pub detail: String,
}

#[derive(Debug, Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub limit: i64,
}

pub(crate) async fn audit_log(
    State(state): State<AppState>,
    user: CurrentUser,
    htmx: HtmxRequest,
) -> Result<Response, AppError> {
    if user.role() != Role::Auditor {
        user.audit(&state, "view_audit", None, "denied", "非审计管理员").await?;
        return Err(AppError::Forbidden);
    }
    let entries = state.store.audit_entries(None, PAGE_SIZE).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        let who = match &entry.account_id {
            Some(id) => match names.get(id) {
                Some(name) => name.clone(),
                None => {
                    let name = match state.store.account(id).await {
                        Ok(account) => format!("{}（{}）", account.display_name, account.login),
                        // An entry outlives the account it names.
                        Err(mingjing_storage::StoreError::NotFound) => id.clone(),
                        Err(e) => return Err(e.into()),
                    };
                    names.insert(id.clone(), name.clone());
                    name
                }
            },
            None => "—".to_owned(),
        };
        rows.push(row(entry, who));
    }
    user.audit(&state, "view_audit", None, "ok", "").await?;
    render(&htmx, "审计日志", Some(&user.view()), &AuditPage { rows, limit: PAGE_SIZE })
}

fn row(entry: AuditEntry, who: String) -> AuditRow {
    let (outcome, outcome_class) = match entry.outcome.as_str() {
        "ok" => ("成功", "badge-approved"),
        "denied" => ("拒绝", "badge-returned"),
        _ => ("失败", "badge-returned"),
    };
    AuditRow {
        at: beijing_time(entry.at),
        who,
        action: action_label(&entry.action).map_or(entry.action.clone(), str::to_owned),
        target: entry.target.unwrap_or_default(),
        source_ip: entry.source_ip.unwrap_or_default(),
        outcome,
        outcome_class,
        detail: entry.detail,
    }
}

/// The Chinese name of an action code; codes added later show as they are until named here.
pub fn action_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "login" => "登录",
        "login_failed" => "登录失败",
        "logout" => "退出登录",
        "password_change" => "修改密码",
        "view_audit" => "查看审计日志",
        "access_denied" => "越权访问",
        "view_material" => "查看材料",
        "submit_material" => "提交材料",
        "upload_material" => "上传材料",
        "save_material" => "保存材料草稿",
        "autosave_material" => "自动保存材料草稿",
        "decide_material" => "审核材料",
        "view_matters" => "查看有关事项报告",
        "save_matters" => "填写有关事项报告",
        "template_add" => "上传参考范文",
        "template_remove" => "删除参考范文",
        "export" => "导出",
        "roster.export" => "导出党员花名册",
        "roster.import" => "导入党员花名册",
        "member.add" => "添加党员",
        "member.edit" => "修改党员信息",
        "org.create" => "新建党组织",
        "org.rename" => "党组织更名",
        "org.move" => "调整党组织隶属关系",
        "org.dissolve" => "撤销党组织",
        "account.create" => "新建账号",
        "account.change" => "变更账号角色或组织",
        "account.reset_password" => "重置密码",
        "account.disable" => "停用账号",
        "account.enable" => "启用账号",
        "account.revoke_sessions" => "强制下线",
        "campaign.create" => "部署年度工作",
        "campaign.update" => "修改年度工作",
        "meeting.view" => "查看组织生活会记录",
        "meeting.save" => "保存组织生活会记录",
        "meeting.lock" => "锁定组织生活会记录",
        "meeting.note" => "添加组织生活会记录更正说明",
        "study.save" => "保存学习研讨记录",
        "study.delete" => "删除学习研讨记录",
        "talk.save" => "保存谈心谈话记录",
        "talk.delete" => "删除谈心谈话记录",
        "talk_settings.save" => "修改谈心谈话要求",
        "opinion.open" => "开启意见征集",
        "opinion.close" => "暂停意见征集",
        "opinion.view" => "查看征求的意见",
        "opinion.summary" => "转达意见摘要",
        "opinion.settings" => "修改征求意见设置",
        "appraisal.settings" => "修改民主评议设置",
        "appraisal.self_evaluation" => "填写个人自评",
        "appraisal.mutual_evaluation" => "填写互评意见",
        "appraisal.decision" => "组织评定",
        "appraisal.followup" => "确定不合格党员处置",
        "appraisal.followup_decide" => "审批不合格党员处置",
        "ballot.open" => "开始民主测评",
        "ballot.print_codes" => "查看投票码",
        "ballot.cast" => "手机投票",
        "ballot.cast_code" => "投票码投票",
        "ballot.close" => "结束民主测评",
        "ballot.void" => "作废民主测评",
        "ballot.paper" => "录入纸质票计票结果",
        "rectification.create" => "建立整改事项",
        "rectification.edit" => "修改整改事项",
        "rectification.status" => "更新整改状态",
        "rectification.note" => "记录整改进展",
        "rectification.verify" => "整改验收销号",
        "rectification.publish" => "公开整改台账",
        "rectification.export" => "导出整改台账",
        _ => return None,
    })
}

/// Unix milliseconds as Beijing time (UTC+8, no daylight saving), `YYYY-MM-DD HH:MM:SS`.
pub fn beijing_time(unix_ms: i64) -> String {
    let seconds = unix_ms.div_euclid(1000) + 8 * 3600;
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = mingjing_roster::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", of_day / 3600, of_day % 3600 / 60, of_day % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_beijing_time() {
        assert_eq!(beijing_time(0), "1970-01-01 08:00:00");
        assert_eq!(beijing_time(1_767_196_800_000), "2026-01-01 00:00:00");
        assert_eq!(beijing_time(951_782_400_000 - 8 * 3_600_000), "2000-02-29 00:00:00");
        assert_eq!(beijing_time(-1000), "1970-01-01 07:59:59");
    }

    #[test]
    fn actions_have_chinese_names() {
        assert_eq!(action_label("login_failed"), Some("登录失败"));
        assert_eq!(action_label("something_new"), None);
    }
}
