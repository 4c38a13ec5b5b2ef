//! The 组织生活会 record in the browser: the branch secretary records it and locks it
//! after the meeting; the superior admin of the subtree reads it and appends correction
//! notes; members of the branch read it, each seeing only the criticism they gave or
//! received. Everyone else is refused with a 404 that is audited.

mod export;
mod form;
mod lock;
mod page;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mingjing_storage::{Campaign, Member, NewAuditEntry, Org, OrgKind, Role, StoreError};

use crate::auth::CurrentUser;
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{campaign_id}/meetings", get(list))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/meeting", get(page::show).post(page::save))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/meeting/lock", get(lock::confirm_lock).post(lock::lock))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/meeting/notes", post(lock::add_note))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/meeting/minutes.docx", get(export::minutes_docx))
}

/// The address of a branch's record.
pub fn meeting_path(campaign_id: &str, org_id: &str) -> String {
    format!("/campaigns/{campaign_id}/orgs/{org_id}/meeting")
}

/// What the signed-in user may do with a branch's record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Access {
    /// The branch's own secretary: writes and locks it.
    Recorder,
    /// A superior admin (or a secretary of an organization above): reads it whole and
    /// appends correction notes.
    Overseer,
    /// A member of the branch: reads it, with only the criticism they gave or received.
    Member { member_id: String },
}

impl Access {
    /// Whether this reader sees a criticism entry from `from` to `to`.
    fn sees_criticism(&self, from: &str, to: &str) -> bool {
        match self {
            Self::Recorder | Self::Overseer => true,
            Self::Member { member_id } => member_id == from || member_id == to,
        }
    }

    fn notes(&self) -> bool {
        matches!(self, Self::Recorder | Self::Overseer)
    }
}

/// A request's campaign, branch, roster and the user's access to the branch's record.
struct Context {
    campaign: Campaign,
    org: Org,
    roster: Vec<Member>,
    access: Access,
}

impl Context {
    fn path(&self) -> String {
        meeting_path(&self.campaign.id, &self.org.id)
    }
}

/// Loads the campaign and branch named in the URL if the user may read the branch's record
/// in it; anything else (a missing id, another branch's, a campaign the branch is not in)
/// is the same audited 404.
async fn context(state: &AppState, user: &CurrentUser, campaign_id: &str, org_id: &str) -> Result<Context, AppError> {
    let target = format!("meeting:{}/{}", clip(campaign_id), clip(org_id));
    let found = async {
        let campaign = state.store.campaign(campaign_id).await?;
        let org = state.store.org(org_id).await?;
        let opener = state.store.org(&campaign.org_id).await?;
        Ok::<_, StoreError>((campaign, org, opener))
    };
    let (campaign, org, opener) = match found.await {
        Ok(found) => found,
        Err(StoreError::NotFound) => return Err(refuse(state, user, &target, "不存在").await),
        Err(e) => return Err(e.into()),
    };
    if !opener.contains(&org) || org.dissolved {
        return Err(refuse(state, user, &target, "该组织不在这次工作范围内").await);
    }
    let access = match user.role() {
        Role::Secretary if user.org.id == org.id => Some(Access::Recorder),
        Role::Secretary | Role::SuperiorAdmin if user.org.contains(&org) => Some(Access::Overseer),
        Role::Member => match user.account.member_id.as_deref() {
            Some(id) => {
                let member = state.store.member(id).await?;
                (member.org_id == org.id).then_some(Access::Member { member_id: member.id })
            }
            None => None,
        },
        _ => None,
    };
    let Some(access) = access else {
        return Err(refuse(state, user, &target, "超出权限范围").await);
    };
    let roster = state.store.members_of(&org.id).await?;
    Ok(Context { campaign, org, roster, access })
}

/// Records the refusal and gives the 404 to answer with.
async fn refuse(state: &AppState, user: &CurrentUser, target: &str, why: &str) -> AppError {
    let entry = NewAuditEntry {
        at: state.clock.now_ms(),
        account_id: Some(&user.account.id),
        action: "access_denied",
        target: Some(target),
        source_ip: user.source_ip.as_deref(),
        outcome: "denied",
        detail: why,
    };
    match state.store.append_audit(&entry).await {
        Ok(()) => AppError::NotFound,
        Err(e) => e.into(),
    }
}

/// Whatever was typed into the URL, the log keeps a bounded piece of it.
fn clip(id: &str) -> String {
    id.chars().take(40).collect()
}

struct ListRow {
    org: String,
    url: String,
    state: &'static str,
    state_code: &'static str,
    date: String,
}

#[derive(Template)]
#[template(path = "meeting/list.html")]
struct ListPage {
    campaign_id: String,
    campaign_title: String,
    rows: Vec<ListRow>,
}

/// GET /campaigns/{id}/meetings: the branches of the user's subtree in the campaign, each
/// with how far its record is. A branch secretary goes straight to their own record.
async fn list(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(campaign_id): Path<String>,
) -> Result<Response, AppError> {
    let target = format!("meeting:{}", clip(&campaign_id));
    let campaign = match state.store.campaign(&campaign_id).await {
        Ok(campaign) => campaign,
        Err(StoreError::NotFound) => return Err(refuse(&state, &user, &target, "不存在").await),
        Err(e) => return Err(e.into()),
    };
    let opener = state.store.org(&campaign.org_id).await?;
    let in_reach = opener.contains(&user.org) || user.org.contains(&opener);
    match user.role() {
        Role::Secretary if in_reach && user.org.kind == OrgKind::Branch => {
            return Ok(Redirect::to(&meeting_path(&campaign.id, &user.org.id)).into_response());
        }
        Role::SuperiorAdmin | Role::Secretary if in_reach => {}
        _ => return Err(refuse(&state, &user, &target, "超出权限范围").await),
    }
    let records = state.store.meetings_under(&campaign.id, &user.org.path).await?;
    let rows = state
        .store
        .subtree(&user.org)
        .await?
        .into_iter()
        .filter(|org| org.kind == OrgKind::Branch && opener.contains(org))
        .map(|org| {
            let record = records.get(&org.id);
            let (state, state_code) = match record {
                Some(r) if r.locked => ("已锁定", "approved"),
                Some(_) => ("记录中", "draft"),
                None => ("未记录", "none"),
            };
            ListRow {
                url: meeting_path(&campaign.id, &org.id),
                org: org.name,
                state,
                state_code,
                date: record.map(|r| r.date.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let page = ListPage { campaign_id: campaign.id.clone(), campaign_title: campaign.title.clone(), rows };
    render(&htmx, "组织生活会", Some(&user.view()), &page)
}

/// Names for the members a record mentions: the roster, and anyone since moved elsewhere.
async fn names_of(state: &AppState, ctx: &Context, ids: &[&str]) -> Result<HashMap<String, String>, AppError> {
    let mut names: HashMap<String, String> = ctx.roster.iter().map(|m| (m.id.clone(), m.name.clone())).collect();
    for id in ids {
        if !names.contains_key(*id) {
            let name = match state.store.member(id).await {
                Ok(member) => member.name,
                Err(StoreError::NotFound) => "（已不在名册）".to_owned(),
                Err(e) => return Err(e.into()),
            };
            names.insert((*id).to_owned(), name);
        }
    }
    Ok(names)
}
