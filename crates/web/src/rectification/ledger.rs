//! A branch's ledger: the list (with 逾期 and 上年结转 flagged), the form that raises an item
//! from a material's problem, a criticism, an opinion or by hand (a refused form keeps what
//! was typed), the page of sources to raise items from, and publication to the branch.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_review::campaign::is_real_date;
use mingjing_storage::{MaterialStatus, NewRectification, OriginKind, RectificationError};
use serde::Deserialize;

use super::links::{material_problems, opinion_key};
use super::{StatusView, form_token, is_form_token, ledger_path, name_of, names, reads_item, status_view, today};
use crate::auth::{CurrentUser, require_csrf};
use crate::csrf::TokenForm;
use crate::pages::{HtmxRequest, render};
use crate::prep::{Access, Branch, branch, check_text};
use crate::{AppError, AppState};

/// Longest problem and measure, in characters.
const MAX_TEXT: usize = 2000;

pub(super) async fn index(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(campaign_id): Path<String>,
) -> Result<Response, AppError> {
    crate::prep::index(&state, &htmx, &user, &campaign_id, "rectification").await
}

struct Row {
    url: String,
    number: usize,
    subject: String,
    problem: String,
    origin: &'static str,
    measure: String,
    owner: String,
    deadline: String,
    status: StatusView,
    carried: bool,
}

#[derive(Template)]
#[template(path = "rectification/ledger.html")]
struct LedgerPage {
    campaign_id: String,
    campaign_title: String,
    org_name: String,
    path: String,
    csrf: String,
    manages: bool,
    /// A member who sees only their own items (the ledger is not published yet).
    own_only: bool,
    published: Option<String>,
    rows: Vec<Row>,
    overdue: usize,
    verified: usize,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LedgerQuery {
    #[serde(default)]
    published: Option<String>,
}

/// GET …/rectification: the ledger as this reader may see it.
pub(super) async fn show(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Query(query): Query<LedgerQuery>,
) -> Result<Response, AppError> {
    let branch = branch(&state, &user, &campaign_id, &org_id).await?;
    let publication = state.store.rectification_publication(&branch.campaign.id, &branch.org.id).await?;
    let items = state.store.rectification_ledger(&branch.campaign.id, &branch.org.id).await?;
    let today = today(state.clock.now_ms());
    let names = names(&branch.roster);
    let visible: Vec<_> = items.iter().filter(|i| reads_item(&branch, i, publication.is_some())).collect();
    let rows = visible
        .iter()
        .enumerate()
        .map(|(n, item)| Row {
            url: format!("/rectification/{}", item.id),
            number: n + 1,
            subject: name_of(&names, item.member_id.as_deref()),
            problem: item.problem.clone(),
            origin: item.origin_kind.label(),
            measure: item.measure.clone(),
            owner: name_of(&names, Some(&item.owner_member_id)),
            deadline: item.deadline.clone(),
            status: status_view(item, &today),
            carried: item.carried_over,
        })
        .collect::<Vec<_>>();
    let page = LedgerPage {
        campaign_id: branch.campaign.id.clone(),
        campaign_title: branch.campaign.title.clone(),
        org_name: branch.org.name.clone(),
        path: ledger_path(&branch.campaign.id, &branch.org.id),
        csrf: user.csrf.as_str().to_owned(),
        manages: branch.access.records(),
        own_only: matches!(branch.access, Access::Member(_)) && publication.is_none(),
        published: publication.map(|p| crate::audit::beijing_time(p.published_at)),
        overdue: rows.iter().filter(|r| r.status.overdue).count(),
        verified: visible.iter().filter(|i| i.status == mingjing_storage::RectificationStatus::Verified).count(),
        rows,
        notice: query.published.as_ref().map(|_| "整改台账已向本支部全体党员公开。"),
    };
    render(&htmx, "整改台账", Some(&user.view()), &page)
}

/// Where a new item's problem comes from, as named in the form's link and hidden fields.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct OriginQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    material: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    index: String,
    #[serde(default)]
    pos: String,
    #[serde(default)]
    opinion: String,
}

/// An origin found again on the server: the quoted text is never taken from the form.
struct Origin {
    kind: OriginKind,
    reference: String,
    /// The problem as quoted (material, criticism) or as a starting text (opinion).
    problem: String,
    /// Whose problem it is (None: the branch's).
    member_id: Option<String>,
    /// The measure that answers it, where the engine found one.
    measure: String,
    /// The problem is a quotation and cannot be edited.
    fixed: bool,
}

/// Finds the origin a link or form names in this branch's records; a Chinese message when it is gone.
async fn resolve(state: &AppState, branch: &Branch, q: &OriginQuery) -> Result<Result<Origin, String>, AppError> {
    let gone = |what: &str| Ok(Err(format!("{what}，请回到整改台账重新选择")));
    match q.from.as_str() {
        "" | "manual" => Ok(Ok(Origin {
            kind: OriginKind::Manual,
            reference: String::new(),
            problem: String::new(),
            member_id: None,
            measure: String::new(),
            fixed: false,
        })),
        "material" => {
            let Ok(material) = state.store.material(&q.material).await else { return gone("找不到这份材料") };
            let in_branch = branch.roster.iter().any(|m| m.id == material.member_id);
            if !in_branch || material.campaign_id != branch.campaign.id {
                return gone("这份材料不属于本支部本次工作");
            }
            if material.status != MaterialStatus::Approved {
                return gone("只能从审核通过的材料中选取问题");
            }
            let (Ok(section), Ok(index)) = (q.section.parse::<usize>(), q.index.parse::<usize>()) else {
                return gone("所选问题不存在");
            };
            let problems = material_problems(state, &material).await?;
            let Some(p) = problems.into_iter().find(|p| p.section == section && p.index == index) else {
                return gone("所选问题不存在");
            };
            Ok(Ok(Origin {
                kind: OriginKind::Material,
                reference: format!("{}:{}:{section}.{index}", material.id, material.version),
                problem: p.text,
                member_id: Some(material.member_id),
                measure: p.measure.unwrap_or_default(),
                fixed: true,
            }))
        }
        "criticism" => {
            let meeting = state.store.meeting(&branch.campaign.id, &branch.org.id).await?;
            let pos = q.pos.parse::<usize>().ok();
            let Some((meeting, c)) = meeting.as_ref().and_then(|m| Some((m, m.content.criticisms.get(pos?)?.clone())))
            else {
                return gone("会议记录中没有这条批评意见");
            };
            Ok(Ok(Origin {
                kind: OriginKind::Criticism,
                reference: format!("{}#{}", meeting.id, q.pos),
                problem: c.text,
                member_id: Some(c.to_member_id),
                measure: String::new(),
                fixed: true,
            }))
        }
        "opinion" => {
            let Some(channel) = state.store.opinion_channel(&branch.campaign.id, &branch.org.id).await? else {
                return gone("本支部没有征求意见");
            };
            let opinions = state.store.opinions_of_channel(&channel.id).await?;
            let Some(o) = opinions.into_iter().find(|o| opinion_key(o) == q.opinion) else {
                return gone("找不到这条意见");
            };
            Ok(Ok(Origin {
                reference: opinion_key(&o),
                kind: OriginKind::Opinion,
                problem: o.body,
                member_id: o.member_id,
                measure: String::new(),
                fixed: false,
            }))
        }
        _ => gone("来源不正确"),
    }
}

/// What the form holds, as typed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Posted {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    form_token: String,
    #[serde(flatten)]
    origin: OriginQuery,
    #[serde(default)]
    problem: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    deadline: String,
}

#[derive(Template)]
#[template(path = "rectification/new.html")]
struct NewPage {
    campaign_id: String,
    campaign_title: String,
    org_name: String,
    path: String,
    csrf: String,
    form_token: String,
    origin: OriginQuery,
    origin_label: &'static str,
    fixed: bool,
    problem: String,
    subject: String,
    owner: String,
    measure: String,
    deadline: String,
    /// (id, name) of the branch's members.
    people: Vec<(String, String)>,
    errors: Vec<String>,
}

fn new_page(user: &CurrentUser, branch: &Branch, origin: &Origin, q: &OriginQuery, typed: Posted) -> NewPage {
    NewPage {
        campaign_id: branch.campaign.id.clone(),
        campaign_title: branch.campaign.title.clone(),
        org_name: branch.org.name.clone(),
        path: ledger_path(&branch.campaign.id, &branch.org.id),
        csrf: user.csrf.as_str().to_owned(),
        form_token: typed.form_token,
        origin: q.clone(),
        origin_label: origin.kind.label(),
        fixed: origin.fixed,
        problem: if origin.fixed { origin.problem.clone() } else { typed.problem },
        subject: typed.subject,
        owner: typed.owner,
        measure: typed.measure,
        deadline: typed.deadline,
        people: branch.roster.iter().map(|m| (m.id.clone(), m.name.clone())).collect(),
        errors: Vec::new(),
    }
}

/// GET …/rectification/new: the form, prefilled from its origin.
pub(super) async fn new_form(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Query(q): Query<OriginQuery>,
) -> Result<Response, AppError> {
    let branch = branch(&state, &user, &campaign_id, &org_id).await?;
    branch.require_recorder(&state, &user, "整改事项").await?;
    let origin = resolve(&state, &branch, &q).await?.map_err(AppError::BadRequest)?;
    let me = user.account.member_id.clone().filter(|id| branch.roster.iter().any(|m| &m.id == id));
    let typed = Posted {
        form_token: form_token()?,
        problem: origin.problem.clone(),
        subject: origin.member_id.clone().unwrap_or_default(),
        owner: origin.member_id.clone().or(me).unwrap_or_default(),
        measure: origin.measure.clone(),
        ..Posted::default()
    };
    let page = new_page(&user, &branch, &origin, &q, typed);
    render(&htmx, "新建整改事项", Some(&user.view()), &page)
}

/// Checks a deadline: a real day, not before today, within three years.
pub(super) fn check_deadline(text: &str, today: &str) -> Result<String, String> {
    let text = text.trim();
    let real = match text.parse::<toml::value::Datetime>() {
        Ok(toml::value::Datetime { date: Some(date), time: None, offset: None }) => is_real_date(date),
        _ => false,
    };
    if !real {
        return Err("请按“2026-06-30”的格式填写整改时限".to_owned());
    }
    if text < today {
        return Err("整改时限不能早于今天".to_owned());
    }
    let limit = today.get(..4).and_then(|y| y.parse::<i64>().ok()).map(|y| format!("{}{}", y + 3, &today[4..]));
    if limit.is_some_and(|limit| text > limit.as_str()) {
        return Err("整改时限最长三年".to_owned());
    }
    Ok(text.to_owned())
}

/// POST …/rectification: raises the item, once per form.
pub(super) async fn create(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Form(posted): Form<Posted>,
) -> Result<Response, AppError> {
    require_csrf(&user, &posted.csrf)?;
    let branch = branch(&state, &user, &campaign_id, &org_id).await?;
    branch.require_recorder(&state, &user, "整改事项").await?;
    if !is_form_token(&posted.form_token) {
        return Err(AppError::BadRequest("页面已过期，请回到整改台账重新打开".into()));
    }
    let q = posted.origin.clone();
    let origin = resolve(&state, &branch, &q).await?.map_err(AppError::BadRequest)?;
    let now = state.clock.now_ms();
    let mut errors = Vec::new();
    let problem = if origin.fixed {
        origin.problem.clone()
    } else {
        check_text(&posted.problem, "存在的问题", MAX_TEXT, true).unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        })
    };
    let measure = check_text(&posted.measure, "整改措施", MAX_TEXT, true).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    let deadline = check_deadline(&posted.deadline, &today(now)).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    let on_roster = |id: &str| branch.roster.iter().any(|m| m.id == id);
    if !on_roster(&posted.owner) {
        errors.push("请从本支部党员中选择整改责任人".to_owned());
    }
    if !posted.subject.is_empty() && !on_roster(&posted.subject) {
        errors.push("整改对象应为本支部或本支部的党员".to_owned());
    }
    if !errors.is_empty() {
        return again(&htmx, &user, &branch, &origin, &q, posted, errors);
    }
    let new = NewRectification {
        campaign_id: &branch.campaign.id,
        org_id: &branch.org.id,
        member_id: Some(posted.subject.as_str()).filter(|s| !s.is_empty()),
        owner_member_id: &posted.owner,
        origin_kind: origin.kind,
        origin_ref: &origin.reference,
        problem: &problem,
        measure: &measure,
        deadline: &deadline,
        form_token: &posted.form_token,
        by: &user.account.id,
    };
    match state.store.add_rectification(&new, now).await {
        Ok(item) => {
            let detail = format!("来源：{}", item.origin_kind.label());
            user.audit(&state, "rectification.create", Some(&format!("rectification:{}", item.id)), "ok", &detail)
                .await?;
            Ok(Redirect::to(&format!("/rectification/{}?created=1", item.id)).into_response())
        }
        // The same form a second time: the item the first one raised.
        Err(RectificationError::AlreadySubmitted(id)) => {
            Ok(Redirect::to(&format!("/rectification/{id}?again=1")).into_response())
        }
        Err(RectificationError::NotInBranch) => {
            let errors = vec!["所选人员不在本支部党员名册上".to_owned()];
            again(&htmx, &user, &branch, &origin, &q, posted, errors)
        }
        Err(RectificationError::Store(e)) => Err(e.into()),
        Err(other) => Err(AppError::Internal(other.into())),
    }
}

fn again(
    htmx: &HtmxRequest,
    user: &CurrentUser,
    branch: &Branch,
    origin: &Origin,
    q: &OriginQuery,
    posted: Posted,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let mut page = new_page(user, branch, origin, q, posted);
    page.errors = errors;
    let mut response = render(htmx, "新建整改事项", Some(&user.view()), &page)?;
    *response.status_mut() = StatusCode::BAD_REQUEST;
    Ok(response)
}

struct SourceLink {
    url: String,
    who: String,
    text: String,
    measure: Option<String>,
}

struct MaterialSource {
    member: String,
    material_url: String,
    problems: Vec<SourceLink>,
}

#[derive(Template)]
#[template(path = "rectification/sources.html")]
struct SourcesPage {
    campaign_title: String,
    org_name: String,
    path: String,
    materials: Vec<MaterialSource>,
    criticisms: Vec<SourceLink>,
    opinions: Vec<SourceLink>,
}

/// GET …/rectification/sources: everything an item may be raised from, each with its link.
pub(super) async fn sources(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let branch = branch(&state, &user, &campaign_id, &org_id).await?;
    branch.require_recorder(&state, &user, "整改事项").await?;
    let path = ledger_path(&branch.campaign.id, &branch.org.id);
    let names = names(&branch.roster);
    let mut materials = Vec::new();
    for m in state.store.materials_under(&branch.campaign.id, &branch.org.path).await? {
        if m.status != MaterialStatus::Approved {
            continue;
        }
        let problems = material_problems(&state, &m)
            .await?
            .into_iter()
            .map(|p| SourceLink {
                url: format!("{path}/new?from=material&material={}&section={}&index={}", m.id, p.section, p.index),
                who: p.heading.unwrap_or_default(),
                text: p.text,
                measure: p.measure,
            })
            .collect();
        materials.push(MaterialSource {
            member: name_of(&names, Some(&m.member_id)),
            material_url: format!("/materials/{}", m.id),
            problems,
        });
    }
    let meeting = state.store.meeting(&branch.campaign.id, &branch.org.id).await?;
    let criticisms = meeting
        .map(|m| m.content.criticisms)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(pos, c)| SourceLink {
            url: format!("{path}/new?from=criticism&pos={pos}"),
            who: format!("{} → {}", name_of(&names, Some(&c.from_member_id)), name_of(&names, Some(&c.to_member_id))),
            text: c.text,
            measure: None,
        })
        .collect();
    let mut opinions = Vec::new();
    if let Some(channel) = state.store.opinion_channel(&branch.campaign.id, &branch.org.id).await? {
        let mut found = state.store.opinions_of_channel(&channel.id).await?;
        // The keys are random: show them in a stable order.
        found.sort_by(|a, b| (a.day.as_str(), a.body.as_str()).cmp(&(b.day.as_str(), b.body.as_str())));
        opinions = found
            .into_iter()
            .map(|o| SourceLink {
                url: format!("{path}/new?from=opinion&opinion={}", opinion_key(&o)),
                who: match &o.member_id {
                    Some(id) => format!("对{}", name_of(&names, Some(id))),
                    None => "对支部班子".to_owned(),
                },
                text: o.body,
                measure: None,
            })
            .collect();
    }
    let page = SourcesPage {
        campaign_title: branch.campaign.title.clone(),
        org_name: branch.org.name.clone(),
        path,
        materials,
        criticisms,
        opinions,
    };
    render(&htmx, "选取整改问题", Some(&user.view()), &page)
}

/// POST …/rectification/publish: every member of the branch then reads the whole ledger.
pub(super) async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let branch = branch(&state, &user, &campaign_id, &org_id).await?;
    branch.require_recorder(&state, &user, "整改台账").await?;
    let now = state.clock.now_ms();
    state.store.publish_rectification_ledger(&branch.campaign.id, &branch.org.id, &user.account.id, now).await?;
    let target = format!("rectification_ledger:{}/{}", branch.campaign.id, branch.org.id);
    user.audit(&state, "rectification.publish", Some(&target), "ok", "").await?;
    Ok(Redirect::to(&format!("{}?published=1", ledger_path(&branch.campaign.id, &branch.org.id))).into_response())
}

#[cfg(test)]
mod tests {
    use super::check_deadline;

    #[test]
    fn deadlines_are_real_days_from_today_to_three_years_on() {
        assert_eq!(check_deadline(" 2026-06-30 ", "2026-01-15"), Ok("2026-06-30".to_owned()));
        assert_eq!(check_deadline("2026-01-15", "2026-01-15"), Ok("2026-01-15".to_owned()), "today is fine");
        assert!(check_deadline("2026-01-14", "2026-01-15").is_err_and(|e| e.contains("不能早于今天")));
        assert!(check_deadline("2029-01-16", "2026-01-15").is_err_and(|e| e.contains("三年")));
        for bad in ["", "2026-02-30", "2026/06/30", "明年"] {
            assert!(check_deadline(bad, "2026-01-15").is_err_and(|e| e.contains("格式")), "{bad}");
        }
    }
}
