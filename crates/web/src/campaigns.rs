//! Campaigns as the superior admin runs them: opened from a built-in year or from a blank form, edited with a
//! version check, listed, followed organization by organization; and every campaign's deadlines for the home page
//! of each organization that takes part.

pub mod deadlines;
pub mod form;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use mingjing_review::Campaign as Definition;
use mingjing_review::campaign::Step;
use mingjing_storage::{Campaign, NewCampaign, Org, Role, StoreError, new_id};
use serde::Deserialize;

use crate::audit::beijing_time;
use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::scope::Scope;
use crate::{AppError, AppState};
use deadlines::{DeadlineView, beijing_day};
use form::{CampaignForm, Parsed};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list))
        .route("/campaigns/new", get(new_page).post(create))
        .route("/campaigns/{id}/edit", get(edit_page).post(update))
        .route("/campaigns/{id}/overview", get(crate::superior::page::overview))
        .route("/campaigns/{id}/overview.xlsx", get(crate::superior::page::export))
}

/// Opening and editing campaigns is the superior admin's alone; the page is no secret, so others get 403.
fn require_superior(user: &CurrentUser) -> Result<(), AppError> {
    if user.role() == Role::SuperiorAdmin { Ok(()) } else { Err(AppError::Forbidden) }
}

/// One campaign in the admin's list.
#[derive(Debug)]
struct ListRow {
    id: String,
    year: i64,
    title: String,
    org_name: String,
    /// Opened in the admin's subtree, so theirs to edit; the others were opened above them.
    editable: bool,
    deadlines: Vec<DeadlineView>,
}

#[derive(Template)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    org_name: String,
    rows: Vec<ListRow>,
}

async fn list(State(state): State<AppState>, htmx: HtmxRequest, user: CurrentUser) -> Result<Response, AppError> {
    require_superior(&user)?;
    let today = beijing_day(state.clock.now_ms());
    let mut campaigns = state.store.campaigns_opened_under(&user.org).await?;
    // Campaigns opened above the admin's organization take in their subtree too; they follow those, not edit them.
    for campaign in state.store.campaigns_for(&user.org).await? {
        if !campaigns.iter().any(|c| c.id == campaign.id) {
            campaigns.push(campaign);
        }
    }
    campaigns.sort_by(|a, b| b.year.cmp(&a.year).then_with(|| b.id.cmp(&a.id)));
    let mut rows = Vec::with_capacity(campaigns.len());
    for campaign in campaigns {
        let org = state.store.org(&campaign.org_id).await?;
        rows.push(ListRow {
            editable: user.org.contains(&org),
            org_name: org.name,
            deadlines: deadlines::deadlines(&campaign.definition, today),
            id: campaign.id,
            year: campaign.year,
            title: campaign.title,
        });
    }
    let page = ListPage { org_name: user.org.name.clone(), rows };
    render(&htmx, "年度工作", Some(&user.view()), &page)
}

/// A built-in year the admin may start from.
#[derive(Debug)]
struct BuiltinChoice {
    id: &'static str,
    name: String,
    aspects: usize,
}

#[derive(Template)]
#[template(path = "campaigns/choose.html")]
struct ChoosePage {
    builtins: Vec<BuiltinChoice>,
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    /// A built-in id, or `blank`.
    from: Option<String>,
}

/// An organization the campaign may be opened for.
#[derive(Debug)]
struct OrgOption {
    id: String,
    label: String,
    selected: bool,
}

/// A deadline's date field.
#[derive(Debug)]
struct StepField {
    code: &'static str,
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "campaigns/form.html")]
struct FormPage {
    heading: &'static str,
    action: String,
    csrf: String,
    /// Where the form started from, when a built-in year.
    template: Option<String>,
    form: CampaignForm,
    errors: Vec<String>,
    /// Someone saved the campaign since this form was opened.
    conflict: Option<String>,
    orgs: Vec<OrgOption>,
    steps: Vec<StepField>,
}

impl FormPage {
    async fn new(
        state: &AppState,
        user: &CurrentUser,
        heading: &'static str,
        action: String,
        form: CampaignForm,
    ) -> Result<Self, AppError> {
        let orgs = org_options(state, &user.org, &form.org_id).await?;
        let steps = Step::ALL
            .into_iter()
            .map(|step| StepField {
                code: step.code(),
                label: step.label(),
                value: form.deadline_field(step).to_owned(),
            })
            .collect();
        Ok(Self {
            heading,
            action,
            csrf: user.csrf.as_str().to_owned(),
            template: None,
            form,
            errors: Vec::new(),
            conflict: None,
            orgs,
            steps,
        })
    }

    fn respond(&self, htmx: &HtmxRequest, user: &CurrentUser, status: StatusCode) -> Result<Response, AppError> {
        let mut response = render(htmx, self.heading, Some(&user.view()), self)?;
        *response.status_mut() = status;
        Ok(response)
    }
}

/// The admin's subtree as choices, indented by depth with ideographic spaces (an `<option>` takes no styling).
async fn org_options(state: &AppState, root: &Org, selected: &str) -> Result<Vec<OrgOption>, AppError> {
    let depth = |org: &Org| org.path.matches('/').count();
    let root_depth = depth(root);
    let selected = if selected.is_empty() { root.id.as_str() } else { selected };
    Ok(state
        .store
        .subtree(root)
        .await?
        .into_iter()
        .map(|org| OrgOption {
            label: format!("{}{}", "　".repeat(depth(&org).saturating_sub(root_depth).min(4)), org.name),
            selected: org.id == selected,
            id: org.id,
        })
        .collect())
}

async fn new_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    require_superior(&user)?;
    let Some(from) = query.from.filter(|f| !f.is_empty()) else {
        let builtins = Definition::builtin_ids()
            .filter_map(|id| Definition::builtin(id).ok().map(|d| (id, d)))
            .map(|(id, d)| BuiltinChoice { id, name: d.name, aspects: d.aspects.member.len() })
            .collect();
        return render(&htmx, "部署年度工作", Some(&user.view()), &ChoosePage { builtins });
    };
    let (form, template) = if from == "blank" {
        (blank_form(&state, &user), None)
    } else {
        let def = Definition::builtin(&from).map_err(|_| AppError::NotFound)?;
        (CampaignForm::from_definition(&def, "", &user.org.id), Some(def.name))
    };
    let mut page = FormPage::new(&state, &user, "部署年度工作", "/campaigns/new".to_owned(), form).await?;
    page.template = template;
    page.respond(&htmx, &user, StatusCode::OK)
}

/// A blank form for the year under review: the last one until mid-year (meetings are held early in the next year).
fn blank_form(state: &AppState, user: &CurrentUser) -> CampaignForm {
    let today = beijing_time(state.clock.now_ms());
    let year: i64 = today.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2025);
    let month: u32 = today.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let year = if month <= 6 { year - 1 } else { year };
    CampaignForm {
        year: year.to_string(),
        title: format!("{year}年度组织生活会和民主评议党员"),
        org_id: user.org.id.clone(),
        ..CampaignForm::default()
    }
}

/// The form checked whole: its own fields, and an organization inside the admin's subtree.
async fn check(
    state: &AppState,
    user: &CurrentUser,
    form: &CampaignForm,
    id: &str,
) -> Result<Result<(Parsed, Org), Vec<String>>, AppError> {
    let org = if form.org_id.trim().is_empty() {
        Some(user.org.clone())
    } else {
        match state.store.org(form.org_id.trim()).await {
            Ok(org) if user.org.contains(&org) && !org.dissolved => Some(org),
            Ok(_) | Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        }
    };
    match (form.parse(id), org) {
        (Ok(parsed), Some(org)) => Ok(Ok((parsed, org))),
        (parsed, org) => {
            let mut errors = parsed.err().unwrap_or_default();
            if org.is_none() {
                errors.push("请从列表中选择参加的党组织（只能是本组织或所属组织）".to_owned());
            }
            Ok(Err(errors))
        }
    }
}

fn stored_definition(parsed: &Parsed) -> Result<String, AppError> {
    toml::to_string(&parsed.definition).map_err(|e| AppError::Internal(e.into()))
}

async fn create(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Form(form): Form<CampaignForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    require_superior(&user)?;
    let id = new_id();
    let (parsed, org) = match check(&state, &user, &form, &id).await? {
        Ok(valid) => valid,
        Err(errors) => {
            let mut page = FormPage::new(&state, &user, "部署年度工作", "/campaigns/new".to_owned(), form).await?;
            page.errors = errors;
            return page.respond(&htmx, &user, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let definition = stored_definition(&parsed)?;
    let new = NewCampaign {
        org_id: &org.id,
        year: parsed.year,
        title: &parsed.title,
        notice: &parsed.notice,
        definition: &definition,
    };
    state.store.create_campaign_with_id(&id, &new, state.clock.now_ms()).await?;
    user.audit(&state, "campaign.create", Some(&id), "ok", &format!("{}（{}）", parsed.title, org.name)).await?;
    Ok(Redirect::to("/campaigns").into_response())
}

/// The form showing a stored campaign. A definition that no longer parses (written by hand, or by an older version)
/// still opens, with its stored columns, so the admin can repair it.
fn stored_form(campaign: &Campaign) -> (CampaignForm, Option<String>) {
    match Definition::from_toml(&campaign.definition) {
        Ok(def) => {
            let mut form = CampaignForm::from_definition(&def, &campaign.notice, &campaign.org_id);
            form.title.clone_from(&campaign.title);
            (form, None)
        }
        Err(error) => {
            let form = CampaignForm {
                title: campaign.title.clone(),
                year: campaign.year.to_string(),
                notice: campaign.notice.clone(),
                org_id: campaign.org_id.clone(),
                ..CampaignForm::default()
            };
            (form, Some(format!("原有的年度工作定义无法读取（{error}），请重新填写检视方面等内容后保存。")))
        }
    }
}

async fn edit_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require_superior(&user)?;
    let campaign = Scope::new(&state, &user).managed_campaign(&id).await?;
    let (mut form, broken) = stored_form(&campaign);
    form.version = campaign.version.to_string();
    let mut page = FormPage::new(&state, &user, "修改年度工作", format!("/campaigns/{id}/edit"), form).await?;
    page.errors.extend(broken);
    page.respond(&htmx, &user, StatusCode::OK)
}

async fn update(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<CampaignForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    require_superior(&user)?;
    let campaign = Scope::new(&state, &user).managed_campaign(&id).await?;
    let seen: i64 = form.version.trim().parse().map_err(|_| AppError::BadRequest("页面已过期，请刷新后重试".into()))?;
    let action = format!("/campaigns/{id}/edit");
    let (parsed, org) = match check(&state, &user, &form, &campaign.id).await? {
        Ok(valid) => valid,
        Err(errors) => {
            let mut page = FormPage::new(&state, &user, "修改年度工作", action, form).await?;
            page.errors = errors;
            return page.respond(&htmx, &user, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let definition = stored_definition(&parsed)?;
    let new = NewCampaign {
        org_id: &org.id,
        year: parsed.year,
        title: &parsed.title,
        notice: &parsed.notice,
        definition: &definition,
    };
    match state.store.update_campaign(&id, seen, &new, state.clock.now_ms()).await {
        Ok(saved) => {
            user.audit(&state, "campaign.update", Some(&id), "ok", &format!("第 {} 版", saved.version)).await?;
            Ok(Redirect::to("/campaigns").into_response())
        }
        Err(StoreError::Stale) => conflict(&state, &htmx, &user, &id, action, form).await,
        Err(e) => Err(e.into()),
    }
}

/// Someone saved the campaign after this form was opened: the form comes back with everything this admin typed,
/// now based on the latest version, so saving again is a deliberate choice to replace the other edit.
async fn conflict(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    id: &str,
    action: String,
    mut form: CampaignForm,
) -> Result<Response, AppError> {
    let current = state.store.campaign(id).await?;
    form.version = current.version.to_string();
    let mut page = FormPage::new(state, user, "修改年度工作", action, form).await?;
    page.conflict = Some(format!(
        "保存失败：这项年度工作在您打开本页之后已被修改（{} 保存的第 {} 版）。您填写的内容都保留在下面，\
         请打开“查看当前内容”核对；确认无误后再次点击“保存”，将以您填写的内容为准。",
        beijing_time(current.updated_at),
        current.version
    ));
    page.respond(htmx, user, StatusCode::CONFLICT)
}
