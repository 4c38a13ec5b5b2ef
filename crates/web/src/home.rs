//! The home page: what each role does first. A member sees their materials, a secretary their branch, a superior
//! admin their subtree, the auditor the way to the audit log, and the system admin no business data at all.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use mingjing_storage::{Campaign, Org, Role};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::campaigns::deadlines::{DeadlineView, beijing_day, deadlines};
use crate::error::AppError;
use crate::pages::{HtmxRequest, render};

/// One campaign on the home page; `status` is the member's own material's, where that applies.
#[derive(Debug)]
pub struct CampaignRow {
    pub id: String,
    pub year: i64,
    pub title: String,
    /// The material's status label and its badge's class, or `None` when not begun.
    pub status: Option<(&'static str, &'static str)>,
    /// Each step's deadline with the days left.
    pub deadlines: Vec<DeadlineView>,
}

/// One organization of a subtree, indented by its depth below the root (capped so the column stays readable at
/// 360 px).
#[derive(Debug)]
pub struct OrgRow {
    pub name: String,
    pub kind: &'static str,
    pub depth: usize,
}

#[derive(Debug, Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub display_name: &'a str,
    pub role: Role,
    pub role_label: &'static str,
    pub org_name: &'a str,
    /// Where the secretary's roster is.
    pub org_id: &'a str,
    pub campaigns: Vec<CampaignRow>,
    pub orgs: Vec<OrgRow>,
    pub member_count: usize,
    /// A member account with no roster entry cannot have materials; the page says whom to ask.
    pub unlinked_member: bool,
}

impl HomePage<'_> {
    fn is(&self, role: Role) -> bool {
        self.role == role
    }
}

pub(crate) async fn home(
    State(state): State<AppState>,
    user: CurrentUser,
    htmx: HtmxRequest,
) -> Result<Response, AppError> {
    let role = user.role();
    let today = beijing_day(state.clock.now_ms());
    let mut page = HomePage {
        display_name: &user.account.display_name,
        role,
        role_label: role.label(),
        org_name: &user.org.name,
        org_id: &user.org.id,
        campaigns: Vec::new(),
        orgs: Vec::new(),
        member_count: 0,
        unlinked_member: false,
    };
    match role {
        Role::Member => {
            let campaigns = state.store.campaigns_for(&user.org).await?;
            match user.account.member_id.as_deref() {
                Some(member_id) => {
                    for campaign in campaigns {
                        let material = state.store.material_of(&campaign.id, member_id).await?;
                        let status = material.map(|m| (m.status.label(), badge(m.status)));
                        page.campaigns.push(row(campaign, status, today));
                    }
                }
                None => page.unlinked_member = true,
            }
        }
        Role::Secretary => {
            page.member_count = state.store.members_of(&user.org.id).await?.len();
            page.campaigns =
                state.store.campaigns_for(&user.org).await?.into_iter().map(|c| row(c, None, today)).collect();
        }
        Role::SuperiorAdmin => {
            let root_depth = depth(&user.org);
            page.orgs = state
                .store
                .subtree(&user.org)
                .await?
                .into_iter()
                .map(|org| OrgRow {
                    kind: org.kind.label(),
                    depth: depth(&org).saturating_sub(root_depth).min(4),
                    name: org.name,
                })
                .collect();
            page.campaigns =
                state.store.campaigns_for(&user.org).await?.into_iter().map(|c| row(c, None, today)).collect();
        }
        Role::Auditor | Role::SystemAdmin | Role::SecurityAdmin => {}
    }
    render(&htmx, "首页", Some(&user.view()), &page)
}

fn row(campaign: Campaign, status: Option<(&'static str, &'static str)>, today: i64) -> CampaignRow {
    let deadlines = deadlines(&campaign.definition, today);
    CampaignRow { id: campaign.id, year: campaign.year, title: campaign.title, status, deadlines }
}

fn badge(status: mingjing_storage::MaterialStatus) -> &'static str {
    use mingjing_storage::MaterialStatus;
    match status {
        MaterialStatus::Draft => "badge-draft",
        MaterialStatus::Submitted => "badge-submitted",
        MaterialStatus::Returned => "badge-returned",
        MaterialStatus::Approved => "badge-approved",
    }
}

/// How deep an organization sits: its path holds one `id/` per level.
fn depth(org: &Org) -> usize {
    org.path.matches('/').count()
}
