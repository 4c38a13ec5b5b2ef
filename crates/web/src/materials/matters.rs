//! The 有关事项报告 of a leading cadre as a form following the 2017 《领导干部报告个人有关
//! 事项规定》: family and travel items, then income, housing and investments. It is
//! sensitive personal data: only its author, the secretary of their branch line and a
//! superior admin above them read it, and every read by anyone else is audited.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::{campaign_in_reach, definition, files_matters_report, reviews, writer};
use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// One item of the report: its key, the question, and what a "yes" must describe.
struct Item {
    key: &'static str,
    question: &'static str,
    detail: &'static str,
}

/// The items, in the order of the 2017 rules (family and travel first, then assets).
const ITEMS: &[Item] = &[
    Item { key: "marriage", question: "本人婚姻情况有无变化", detail: "变化情况和时间" },
    Item {
        key: "passports", question: "本人持有因私出入境证件情况", detail: "证件种类、号码、保管情况"
    },
    Item {
        key: "travel", question: "本人因私出国（境）情况", detail: "时间、前往国家或地区、事由"
    },
    Item {
        key: "hk_macao_taiwan", question: "本人持有往来港澳、台湾通行证及因私往来情况", detail: "证件与往来情况"
    },
    Item {
        key: "foreign_marriage", question: "子女与外国人、无国籍人通婚情况", detail: "子女姓名、配偶国籍、时间"
    },
    Item {
        key: "hk_marriage", question: "子女与港澳、台湾居民通婚情况", detail: "子女姓名、配偶身份、时间"
    },
    Item {
        key: "abroad",
        question: "配偶、子女移居国（境）外或虽未移居但连续在国（境）外工作、生活一年以上的情况",
        detail: "人员、国家或地区、时间",
    },
    Item {
        key: "family_jobs",
        question: "配偶、子女及其配偶从业情况（含受聘担任私营企业高级职务、在外资企业或中外合资企业等担任高级职务）",
        detail: "人员、单位、职务",
    },
    Item {
        key: "prosecuted", question: "配偶、子女及其配偶被司法机关追究刑事责任的情况", detail: "人员、时间、案由"
    },
    Item { key: "income", question: "本人工资及各类奖金、津贴、补贴等", detail: "来源与金额" },
    Item {
        key: "side_income", question: "本人从事讲学、写作、咨询、审稿、书画等劳务所得", detail: "来源与金额"
    },
    Item {
        key: "housing",
        question: "本人、配偶、共同生活的子女为所有权人或者共有人的房产情况",
        detail: "地址、面积、来源",
    },
    Item {
        key: "investments",
        question: "本人、配偶、共同生活的子女投资或者以其他方式持有股票、基金、投资型保险等情况",
        detail: "品种、数额",
    },
    Item {
        key: "businesses",
        question: "配偶、共同生活的子女投资非上市公司、企业，注册个体工商户、个人独资企业或者合伙企业的情况",
        detail: "名称、出资额、比例",
    },
    Item {
        key: "overseas_assets",
        question: "本人、配偶、共同生活的子女在国（境）外的存款和投资情况",
        detail: "国家或地区、数额",
    },
];

/// The stored answers: per item, whether there is something to report and what.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Answers {
    /// Item key → (has something to report, description).
    pub items: std::collections::BTreeMap<String, (bool, String)>,
}

impl Answers {
    /// The short statement that goes into the material's （N）有关事项报告 block.
    pub fn statement(&self) -> String {
        let reported: Vec<String> = ITEMS
            .iter()
            .filter_map(|item| match self.items.get(item.key) {
                Some((true, what)) => Some(format!("{}：{}", item.question, what.trim())),
                _ => None,
            })
            .collect();
        if reported.is_empty() {
            "经认真对照《领导干部报告个人有关事项规定》，本人婚姻、出入境、家庭成员从业、收入、房产、投资等事项均无应报告的变化情况。".to_owned()
        } else {
            format!(
                "经认真对照《领导干部报告个人有关事项规定》，现将有关事项报告如下：{}。其余事项均无应报告的情况。",
                reported.join("；")
            )
        }
    }
}

struct ItemView {
    key: &'static str,
    question: &'static str,
    detail: &'static str,
    yes: bool,
    text: String,
}

#[derive(Template)]
#[template(path = "materials/matters.html")]
struct MattersPage {
    campaign_id: String,
    campaign_title: String,
    member_name: String,
    items: Vec<ItemView>,
    statement: String,
    version: i64,
    editable: bool,
    saved: bool,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct MattersQuery {
    /// Whose report a reviewer opens (a member id); absent for one's own.
    #[serde(default)]
    member: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

/// GET /campaigns/{id}/matters: one's own form, or (for a reviewer) a member's answers.
pub(super) async fn matters_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<MattersQuery>,
) -> Result<Response, AppError> {
    let (campaign, member, editable) = match query.member.as_deref() {
        Some(member_id) if user.account.member_id.as_deref() != Some(member_id) => {
            let (campaign, _) = campaign_in_reach(&state, &user, &id).await?;
            let member = state.store.member(member_id).await.map_err(|_| AppError::NotFound)?;
            let org = state.store.org(&member.org_id).await?;
            if !reviews(&user, &member, &org) {
                user.audit(&state, "view_matters", Some(member_id), "denied", "").await?;
                return Err(AppError::NotFound);
            }
            user.audit(&state, "view_matters", Some(member_id), "ok", &campaign.id).await?;
            (campaign, member, false)
        }
        _ => {
            let (campaign, _, member) = writer(&state, &user, &id).await?;
            (campaign, member, true)
        }
    };
    files_matters_report(&definition(&campaign.definition)?, &member)
        .map_err(|why| AppError::BadRequest(why.into()))?;
    let stored = state.store.matters_report(&campaign.id, &member.id).await?;
    let answers: Answers = stored.as_ref().and_then(|s| serde_json::from_str(&s.answers).ok()).unwrap_or_default();
    let items = ITEMS
        .iter()
        .map(|item| {
            let (yes, text) = answers.items.get(item.key).cloned().unwrap_or_default();
            ItemView { key: item.key, question: item.question, detail: item.detail, yes, text }
        })
        .collect();
    let page = MattersPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        member_name: member.name.clone(),
        items,
        statement: answers.statement(),
        version: stored.map_or(0, |s| s.version),
        editable,
        saved: query.saved.is_some(),
        csrf: user.csrf.as_str().to_owned(),
    };
    render(&htmx, "有关事项报告", Some(&user.view()), &page)
}

/// POST /campaigns/{id}/matters: saves one's own answers, guarded by the version shown.
pub(super) async fn save_matters(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    require_csrf(&user, field("csrf"))?;
    let (campaign, _, member) = writer(&state, &user, &id).await?;
    files_matters_report(&definition(&campaign.definition)?, &member)
        .map_err(|why| AppError::BadRequest(why.into()))?;
    let mut answers = Answers::default();
    for item in ITEMS {
        let yes = field(&format!("{}_yes", item.key)) == "1";
        let text = field(&format!("{}_text", item.key)).trim();
        if text.chars().count() > 500 {
            return Err(AppError::BadRequest(format!("“{}”的说明请控制在 500 字以内", item.question)));
        }
        if yes && text.is_empty() {
            return Err(AppError::BadRequest(format!("“{}”选了“有”，请写明{}", item.question, item.detail)));
        }
        answers.items.insert(item.key.to_owned(), (yes, text.to_owned()));
    }
    let json = serde_json::to_string(&answers).map_err(|e| AppError::Internal(e.into()))?;
    let seen: i64 = field("version").trim().parse().unwrap_or(0);
    state.store.save_matters_report(&campaign.id, &member.id, seen, &json, state.clock.now_ms()).await?;
    user.audit(&state, "save_matters", Some(&campaign.id), "ok", "").await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/matters?saved=1")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_names_what_is_reported_and_nothing_else() {
        let mut answers = Answers::default();
        assert!(answers.statement().contains("均无应报告"));
        answers.items.insert("housing".into(), (true, "新购住房一套，120平方米".into()));
        answers.items.insert("travel".into(), (false, String::new()));
        let statement = answers.statement();
        assert!(statement.contains("新购住房一套"), "{statement}");
        assert!(!statement.contains("因私出国"), "{statement}");
        assert_eq!(ITEMS.iter().map(|i| i.key).collect::<std::collections::HashSet<_>>().len(), ITEMS.len());
    }
}
