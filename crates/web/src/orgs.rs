//! Organizations and their rosters in the browser: the superior admin's tree (create, rename, move, dissolve) and
//! each organization's member list, which the secretary keeps (add and edit members by form).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use mingjing_storage::{CommitteePost, Member, MemberDetails, NewMember, Org, OrgKind, Role, Standing};
use serde::Deserialize;

use crate::auth::{CurrentUser, require_csrf};
use crate::csrf::TokenForm;
use crate::pages::{HtmxRequest, render};
use crate::scope::Scope;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(tree_page))
        .route("/orgs/{id}", get(org_page))
        .route("/orgs/{id}/children", post(create_child))
        .route("/orgs/{id}/rename", post(rename))
        .route("/orgs/{id}/move", post(move_org))
        .route("/orgs/{id}/dissolve", post(dissolve))
        .route("/orgs/{id}/members", post(add_member))
        .route("/members/{id}/edit", get(edit_member_page).post(edit_member))
}

/// Longest organization or member name accepted.
const MAX_NAME: usize = 100;

/// Whether the user keeps rosters (a secretary their branch, a superior admin their subtree).
pub(crate) fn keeps_rosters(user: &CurrentUser) -> bool {
    matches!(user.role(), Role::SuperiorAdmin | Role::Secretary)
}

/// Refuses, with 403 and an audit entry, a role that has no organization pages at all.
pub(crate) async fn require_roster_keeper(state: &AppState, user: &CurrentUser, page: &str) -> Result<(), AppError> {
    if keeps_rosters(user) {
        return Ok(());
    }
    user.audit(state, "access_denied", Some(page), "denied", "角色无权访问组织和名册").await?;
    Err(AppError::Forbidden)
}

/// Refuses structural changes to anyone but a superior admin, and changes to the admin's own root (which belongs to
/// the level above).
async fn require_structure_admin(state: &AppState, user: &CurrentUser, org: &Org) -> Result<(), AppError> {
    if user.role() == Role::SuperiorAdmin && org.id != user.org.id {
        return Ok(());
    }
    user.audit(state, "access_denied", Some(&format!("org:{}", org.id)), "denied", "无权调整组织结构").await?;
    Err(AppError::Forbidden)
}

/// One organization in the tree; `before` holds only the fixed tags that open or close the nesting.
#[derive(Debug)]
struct TreeItem {
    before: &'static str,
    closes: usize,
    id: String,
    name: String,
    kind: &'static str,
    members: i64,
}

#[derive(Template)]
#[template(path = "orgs/tree.html")]
struct TreePage {
    root_name: String,
    items: Vec<TreeItem>,
    trailing_closes: usize,
}

/// How deep an organization sits: its path holds one `id/` per level.
fn depth(org: &Org) -> usize {
    org.path.matches('/').count()
}

async fn tree_page(State(state): State<AppState>, htmx: HtmxRequest, user: CurrentUser) -> Result<Response, AppError> {
    require_roster_keeper(&state, &user, "orgs").await?;
    let orgs = state.store.subtree(&user.org).await?;
    let counts: HashMap<String, i64> = state.store.member_counts(&user.org.path).await?.into_iter().collect();
    let root = depth(&user.org);
    let mut items = Vec::with_capacity(orgs.len());
    let mut previous = 0;
    for org in orgs {
        let level = depth(&org) - root;
        // Tree order is path order: a child comes right after its parent, so a level goes down by one at most.
        let (before, closes) = match level {
            _ if items.is_empty() => ("", 0),
            l if l > previous => ("<ul class=\"item-list\">", 0),
            l => ("</li>", previous - l),
        };
        items.push(TreeItem {
            before,
            closes,
            members: counts.get(&org.id).copied().unwrap_or(0),
            id: org.id,
            name: org.name,
            kind: org.kind.label(),
        });
        previous = level;
    }
    let page = TreePage { root_name: user.org.name.clone(), items, trailing_closes: previous };
    render(&htmx, "党组织", Some(&user.view()), &page)
}

/// A member as the list shows them: the ID number masked.
struct MemberRow {
    id: String,
    name: String,
    standing: &'static str,
    joined_on: String,
    post: String,
    phone: String,
    id_number: String,
}

fn member_row(m: Member) -> MemberRow {
    MemberRow {
        standing: m.standing.label(),
        joined_on: m.joined_on.unwrap_or_default(),
        post: m.post.unwrap_or_default(),
        phone: m.phone.unwrap_or_default(),
        id_number: m.id_number.as_deref().map(mingjing_roster::mask).unwrap_or_default(),
        id: m.id,
        name: m.name,
    }
}

#[derive(Template)]
#[template(path = "orgs/org.html")]
struct OrgPage {
    org: Org,
    kind: &'static str,
    parent: Option<(String, String)>,
    members: Vec<MemberRow>,
    children: Vec<(String, String)>,
    /// Where the organization may move: organizations of the admin's subtree outside its own.
    move_targets: Vec<(String, String)>,
    can_restructure: bool,
    csrf: String,
    kinds: Vec<(&'static str, &'static str)>,
    form: MemberFormView,
}

async fn org_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require_roster_keeper(&state, &user, "orgs").await?;
    let org = Scope::new(&state, &user).org(&id).await?;
    if org.dissolved {
        return Err(AppError::NotFound);
    }
    let page = org_view(&state, &user, org, MemberFormView::default()).await?;
    render(&htmx, &page.org.name.clone(), Some(&user.view()), &page)
}

async fn org_view(state: &AppState, user: &CurrentUser, org: Org, form: MemberFormView) -> Result<OrgPage, AppError> {
    let subtree = state.store.subtree(&user.org).await?;
    let parent = match &org.parent_id {
        Some(p) if user.org.id != org.id => subtree.iter().find(|o| &o.id == p).map(|o| (o.id.clone(), o.name.clone())),
        _ => None,
    };
    let children = subtree
        .iter()
        .filter(|o| o.parent_id.as_ref() == Some(&org.id))
        .map(|o| (o.id.clone(), o.name.clone()))
        .collect();
    let move_targets = subtree
        .iter()
        .filter(|o| !org.contains(o) && o.kind != OrgKind::Group && org.parent_id.as_ref() != Some(&o.id))
        .map(|o| (o.id.clone(), o.name.clone()))
        .collect();
    let members = state.store.members_of(&org.id).await?.into_iter().map(member_row).collect();
    Ok(OrgPage {
        kind: org.kind.label(),
        can_restructure: user.role() == Role::SuperiorAdmin && org.id != user.org.id,
        parent,
        members,
        children,
        move_targets,
        csrf: user.csrf.as_str().to_owned(),
        kinds: [OrgKind::Committee, OrgKind::GeneralBranch, OrgKind::Branch, OrgKind::Group]
            .into_iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        org,
        form,
    })
}

#[derive(Debug, Deserialize)]
struct NameForm {
    csrf: String,
    name: String,
    #[serde(default)]
    kind: String,
}

fn org_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::BadRequest("请填写组织名称".into()));
    }
    if name.chars().count() > MAX_NAME {
        return Err(AppError::BadRequest("组织名称太长（最多 100 个字）".into()));
    }
    Ok(name.to_owned())
}

async fn create_child(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<NameForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    require_roster_keeper(&state, &user, "orgs").await?;
    let parent = Scope::new(&state, &user).org(&id).await?;
    if user.role() != Role::SuperiorAdmin || parent.dissolved {
        return Err(AppError::Forbidden);
    }
    let kind = OrgKind::from_code(&form.kind)
        .filter(|k| *k != OrgKind::County)
        .ok_or_else(|| AppError::BadRequest("请选择组织类型".into()))?;
    let name = org_name(&form.name)?;
    let child = state.store.create_org(Some(&parent.id), &name, kind, state.clock.now_ms()).await?;
    user.audit(&state, "org.create", Some(&format!("org:{}", child.id)), "ok", &name).await?;
    Ok(Redirect::to(&format!("/orgs/{}", parent.id)).into_response())
}

async fn rename(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<NameForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    require_roster_keeper(&state, &user, "orgs").await?;
    let org = Scope::new(&state, &user).org(&id).await?;
    require_structure_admin(&state, &user, &org).await?;
    let name = org_name(&form.name)?;
    state.store.rename_org(&org.id, &name).await?;
    user.audit(&state, "org.rename", Some(&format!("org:{}", org.id)), "ok", &format!("{} → {name}", org.name)).await?;
    Ok(Redirect::to(&format!("/orgs/{}", org.id)).into_response())
}

#[derive(Debug, Deserialize)]
struct MoveForm {
    csrf: String,
    parent: String,
}

async fn move_org(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    require_roster_keeper(&state, &user, "orgs").await?;
    let scope = Scope::new(&state, &user);
    let org = scope.org(&id).await?;
    require_structure_admin(&state, &user, &org).await?;
    // The new parent must lie inside the admin's subtree too: a 404 otherwise, as for any id out of reach.
    let parent = scope.org(&form.parent).await?;
    state.store.move_org(&org.id, &parent.id).await?;
    user.audit(&state, "org.move", Some(&format!("org:{}", org.id)), "ok", &format!("移至{}", parent.name)).await?;
    Ok(Redirect::to(&format!("/orgs/{}", org.id)).into_response())
}

async fn dissolve(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    require_roster_keeper(&state, &user, "orgs").await?;
    let org = Scope::new(&state, &user).org(&id).await?;
    require_structure_admin(&state, &user, &org).await?;
    state.store.dissolve_org(&org.id).await?;
    user.audit(&state, "org.dissolve", Some(&format!("org:{}", org.id)), "ok", &org.name).await?;
    let back = org.parent_id.map_or_else(|| "/orgs".to_owned(), |p| format!("/orgs/{p}"));
    Ok(Redirect::to(&back).into_response())
}

/// The member form as typed, shown again with its error when something is wrong.
#[derive(Debug, Default, Deserialize)]
struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    standing: String,
    #[serde(default)]
    joined_on: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    ethnicity: String,
    #[serde(default)]
    education: String,
    #[serde(default)]
    leading_cadre: Option<String>,
    /// `secretary`, `committee` or empty.
    #[serde(default)]
    committee_post: String,
}

/// What the member form shows.
#[derive(Debug, Default)]
struct MemberFormView {
    name: String,
    probationary: bool,
    joined_on: String,
    post: String,
    phone: String,
    /// The stored ID number, masked: the form never shows it whole; an empty field keeps it.
    id_masked: String,
    gender: String,
    ethnicity: String,
    education: String,
    leading_cadre: bool,
    committee_post: String,
    error: Option<String>,
}

impl MemberFormView {
    fn of(member: &Member) -> Self {
        Self {
            name: member.name.clone(),
            probationary: member.standing == Standing::Probationary,
            joined_on: member.joined_on.clone().unwrap_or_default(),
            post: member.post.clone().unwrap_or_default(),
            phone: member.phone.clone().unwrap_or_default(),
            id_masked: member.id_number.as_deref().map(mingjing_roster::mask).unwrap_or_default(),
            gender: member.gender.clone().unwrap_or_default(),
            ethnicity: member.ethnicity.clone().unwrap_or_default(),
            education: member.education.clone().unwrap_or_default(),
            leading_cadre: member.leading_cadre,
            committee_post: member.committee_post.map(CommitteePost::code).unwrap_or_default().to_owned(),
            error: None,
        }
    }

    fn typed(form: &MemberForm, id_masked: String, error: String) -> Self {
        Self {
            name: form.name.clone(),
            probationary: form.standing == "probationary",
            joined_on: form.joined_on.clone(),
            post: form.post.clone(),
            phone: form.phone.clone(),
            id_masked,
            gender: form.gender.clone(),
            ethnicity: form.ethnicity.clone(),
            education: form.education.clone(),
            leading_cadre: form.leading_cadre.is_some(),
            committee_post: form.committee_post.clone(),
            error: Some(error),
        }
    }
}

/// A checked member form: what goes to the store.
struct CheckedMember {
    name: String,
    standing: Standing,
    joined_on: Option<String>,
    post: Option<String>,
    phone: Option<String>,
    leading_cadre: bool,
    committee_post: Option<CommitteePost>,
    details: MemberDetails,
}

impl CheckedMember {
    fn new_member<'a>(&'a self, org_id: &'a str) -> NewMember<'a> {
        NewMember {
            org_id,
            name: &self.name,
            standing: self.standing,
            joined_on: self.joined_on.as_deref(),
            post: self.post.as_deref(),
            phone: self.phone.as_deref(),
            leading_cadre: self.leading_cadre,
        }
    }
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Checks the form as the import checks a row; `existing` is the stored ID number kept when the field is empty.
fn check_member(form: &MemberForm, existing: Option<&Member>) -> Result<CheckedMember, String> {
    let name: String = form.name.chars().filter(|c| !c.is_whitespace()).collect();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err("请填写姓名".into());
    }
    let standing = Standing::from_code(&form.standing).ok_or("请选择人员类别")?;
    let joined_on = mingjing_roster::parse_date(&mingjing_roster::Cell::Text(form.joined_on.clone()))
        .map_err(|why| format!("入党时间{why}"))?;
    let mut details = MemberDetails {
        gender: optional(&form.gender).filter(|g| g == "男" || g == "女"),
        ethnicity: optional(&form.ethnicity),
        education: optional(&form.education),
        ..MemberDetails::default()
    };
    match mingjing_roster::parse_id_number(&form.id_number)? {
        Some(id) => {
            details.birth_date = Some(id.birth_date);
            details.gender = Some(id.gender.to_owned());
            details.id_number = Some(id.number);
        }
        None => {
            details.id_number = existing.and_then(|m| m.id_number.clone());
            details.birth_date = existing.and_then(|m| m.birth_date.clone());
        }
    }
    let committee_post = match form.committee_post.as_str() {
        "" => None,
        code => Some(CommitteePost::from_code(code).ok_or("请选择党内职务")?),
    };
    let phone = optional(&form.phone);
    if phone.as_deref().is_some_and(|p| p.len() > 20 || !p.chars().all(|c| c.is_ascii_digit() || c == '-')) {
        return Err("联系电话格式不正确".into());
    }
    Ok(CheckedMember {
        name,
        standing,
        joined_on,
        post: optional(&form.post),
        phone,
        leading_cadre: form.leading_cadre.is_some(),
        committee_post,
        details,
    })
}

/// A duplicate ID number is the user's to fix, not a conflict to reload for.
fn member_store_error(error: mingjing_storage::StoreError) -> Result<String, AppError> {
    match error {
        mingjing_storage::StoreError::Duplicate(_) => Ok("这个身份证号已在党员名册上".into()),
        other => Err(other.into()),
    }
}

async fn add_member(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    require_roster_keeper(&state, &user, "orgs").await?;
    let org = Scope::new(&state, &user).org(&id).await?;
    if org.dissolved {
        return Err(AppError::NotFound);
    }
    let outcome = match check_member(&form, None) {
        Ok(checked) => {
            let new = checked.new_member(&org.id);
            match state.store.add_member_with(&new, &checked.details, state.clock.now_ms()).await {
                Ok(member) => {
                    state.store.set_committee_post(&member.id, checked.committee_post).await?;
                    user.audit(&state, "member.add", Some(&format!("member:{}", member.id)), "ok", &member.name)
                        .await?;
                    return Ok(Redirect::to(&format!("/orgs/{}", org.id)).into_response());
                }
                Err(e) => member_store_error(e)?,
            }
        }
        Err(why) => why,
    };
    let page = org_view(&state, &user, org, MemberFormView::typed(&form, String::new(), outcome)).await?;
    let mut response = render(&htmx, &page.org.name.clone(), Some(&user.view()), &page)?;
    *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    Ok(response)
}

#[derive(Template)]
#[template(path = "orgs/member_edit.html")]
struct MemberEditPage {
    member_id: String,
    org_id: String,
    org_name: String,
    csrf: String,
    form: MemberFormView,
}

/// The member `id` and their organization, if the user keeps that roster.
async fn member_in_scope(state: &AppState, user: &CurrentUser, id: &str) -> Result<(Member, Org), AppError> {
    require_roster_keeper(state, user, "members").await?;
    let member = match state.store.member(id).await {
        Ok(member) => member,
        Err(mingjing_storage::StoreError::NotFound) => {
            // A guessed id is audited like a refused one, and answered the same way.
            let target: String = id.chars().take(64).collect();
            user.audit(state, "access_denied", Some(&format!("member:{target}")), "denied", "不存在").await?;
            return Err(AppError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    let org = Scope::new(state, user).org(&member.org_id).await?;
    Ok((member, org))
}

async fn edit_member_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (member, org) = member_in_scope(&state, &user, &id).await?;
    let page = MemberEditPage {
        member_id: member.id.clone(),
        org_id: org.id,
        org_name: org.name,
        csrf: user.csrf.as_str().to_owned(),
        form: MemberFormView::of(&member),
    };
    render(&htmx, &format!("修改{}的信息", member.name), Some(&user.view()), &page)
}

async fn edit_member(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (member, org) = member_in_scope(&state, &user, &id).await?;
    let error = match check_member(&form, Some(&member)) {
        Ok(checked) => {
            match state.store.update_member(&member.id, &checked.new_member(&org.id), &checked.details).await {
                Ok(updated) => {
                    state.store.set_committee_post(&updated.id, checked.committee_post).await?;
                    user.audit(&state, "member.edit", Some(&format!("member:{}", updated.id)), "ok", &updated.name)
                        .await?;
                    return Ok(Redirect::to(&format!("/orgs/{}", org.id)).into_response());
                }
                Err(e) => member_store_error(e)?,
            }
        }
        Err(why) => why,
    };
    let masked = member.id_number.as_deref().map(mingjing_roster::mask).unwrap_or_default();
    let page = MemberEditPage {
        member_id: member.id.clone(),
        org_id: org.id,
        org_name: org.name,
        csrf: user.csrf.as_str().to_owned(),
        form: MemberFormView::typed(&form, masked, error),
    };
    let mut response = render(&htmx, &format!("修改{}的信息", member.name), Some(&user.view()), &page)?;
    *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    Ok(response)
}
