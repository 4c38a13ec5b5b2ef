//! Who may see what. A superior admin and a branch secretary see their organization's subtree; a member sees only
//! their own material and no organization pages; the auditor and the system admin see no business data at all
//! (三员分立).
//!
//! A refusal of something named by id is a 404, the same page as an id that does not exist: an id guessed or copied
//! from another branch must not even confirm that the material or organization is there. Both are written to the
//! audit log as `access_denied`, so that probing shows up for the auditor. Pages that are refused by role rather
//! than by id (the audit log for a member) answer 403: their existence is no secret.

use mingjing_storage::{Campaign, Material, Member, NewAuditEntry, Org, Role, StoreError};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// Whether `user` may open pages about `org` (its roster, its campaigns' progress).
pub fn can_see_org(user: &CurrentUser, org: &Org) -> bool {
    match user.role() {
        Role::SuperiorAdmin | Role::Secretary => user.org.contains(org),
        Role::Member | Role::Auditor | Role::SystemAdmin | Role::SecurityAdmin => false,
    }
}

/// Whether `user` may read the material of the member `owner_member_id`, who belongs to `member_org`.
pub fn can_read_material(user: &CurrentUser, owner_member_id: &str, member_org: &Org) -> bool {
    match user.role() {
        Role::SuperiorAdmin | Role::Secretary => user.org.contains(member_org),
        Role::Member => user.account.member_id.as_deref() == Some(owner_member_id),
        Role::Auditor | Role::SystemAdmin | Role::SecurityAdmin => false,
    }
}

/// Loads what a request names by id, for the signed-in user, refusing with 404 what is missing or out of reach.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    state: &'a AppState,
    user: &'a CurrentUser,
}

impl<'a> Scope<'a> {
    pub fn new(state: &'a AppState, user: &'a CurrentUser) -> Self {
        Self { state, user }
    }

    pub fn can_see_org(&self, org: &Org) -> bool {
        can_see_org(self.user, org)
    }

    pub fn can_read_material(&self, owner_member_id: &str, member_org: &Org) -> bool {
        can_read_material(self.user, owner_member_id, member_org)
    }

    /// The organization `id`, if the user may see it.
    pub async fn org(&self, id: &str) -> Result<Org, AppError> {
        let org = match self.state.store.org(id).await {
            Ok(org) => org,
            Err(StoreError::NotFound) => return Err(self.refuse("org", id, "不存在").await),
            Err(e) => return Err(e.into()),
        };
        if self.can_see_org(&org) { Ok(org) } else { Err(self.refuse("org", id, "超出权限范围").await) }
    }

    /// The material `id`, if the user may read it. Recording the view itself is the material page's job, since
    /// only it knows whether the material was shown or just checked.
    pub async fn material(&self, id: &str) -> Result<Material, AppError> {
        self.material_and_owner(id).await.map(|(material, _, _)| material)
    }

    /// The material `id` with its author and the author's organization, which the check had to load anyway.
    pub async fn material_and_owner(&self, id: &str) -> Result<(Material, Member, Org), AppError> {
        let material = match self.state.store.material(id).await {
            Ok(material) => material,
            Err(StoreError::NotFound) => return Err(self.refuse("material", id, "不存在").await),
            Err(e) => return Err(e.into()),
        };
        let owner = self.state.store.member(&material.member_id).await?;
        let owner_org = self.state.store.org(&owner.org_id).await?;
        if self.can_read_material(&owner.id, &owner_org) {
            Ok((material, owner, owner_org))
        } else {
            Err(self.refuse("material", id, "超出权限范围").await)
        }
    }

    /// The campaign `id`, if the user is a superior admin whose subtree holds the organization that opened it: the
    /// campaigns they may edit.
    pub async fn managed_campaign(&self, id: &str) -> Result<Campaign, AppError> {
        let campaign = match self.state.store.campaign(id).await {
            Ok(campaign) => campaign,
            Err(StoreError::NotFound) => return Err(self.refuse("campaign", id, "不存在").await),
            Err(e) => return Err(e.into()),
        };
        let opener = self.state.store.org(&campaign.org_id).await?;
        if self.user.role() == Role::SuperiorAdmin && self.user.org.contains(&opener) {
            Ok(campaign)
        } else {
            Err(self.refuse("campaign", id, "超出权限范围").await)
        }
    }

    /// The campaign `id` and the organization whose progress in it the user may follow: a superior admin follows
    /// the campaigns opened in their subtree (from the opening organization down) and those opened above them (from
    /// their own organization down).
    pub async fn followed_campaign(&self, id: &str) -> Result<(Campaign, Org), AppError> {
        let campaign = match self.state.store.campaign(id).await {
            Ok(campaign) => campaign,
            Err(StoreError::NotFound) => return Err(self.refuse("campaign", id, "不存在").await),
            Err(e) => return Err(e.into()),
        };
        let opener = self.state.store.org(&campaign.org_id).await?;
        let root = match self.user.role() {
            Role::SuperiorAdmin if self.user.org.contains(&opener) => opener,
            Role::SuperiorAdmin if opener.contains(&self.user.org) => self.user.org.clone(),
            _ => return Err(self.refuse("campaign", id, "超出权限范围").await),
        };
        Ok((campaign, root))
    }

    /// The campaign `id` and the organization whose progress in it the user views: a superior admin or a secretary
    /// (a branch secretary sees their branch alone) follows the part of the campaign inside their own subtree;
    /// `drill` names an organization further down, which must lie inside both. Anything else is the audited 404.
    pub async fn progress_campaign(&self, id: &str, drill: Option<&str>) -> Result<(Campaign, Org), AppError> {
        let campaign = match self.state.store.campaign(id).await {
            Ok(campaign) => campaign,
            Err(StoreError::NotFound) => return Err(self.refuse("campaign", id, "不存在").await),
            Err(e) => return Err(e.into()),
        };
        let opener = self.state.store.org(&campaign.org_id).await?;
        let own = &self.user.org;
        let root = match self.user.role() {
            Role::SuperiorAdmin | Role::Secretary if own.contains(&opener) => opener,
            Role::SuperiorAdmin | Role::Secretary if opener.contains(own) => own.clone(),
            _ => return Err(self.refuse("campaign", id, "超出权限范围").await),
        };
        let Some(drill) = drill.filter(|d| !d.is_empty() && *d != root.id) else { return Ok((campaign, root)) };
        match self.state.store.org(drill).await {
            Ok(org) if root.contains(&org) && !org.dissolved => Ok((campaign, org)),
            Ok(_) => Err(self.refuse("org", drill, "超出权限范围").await),
            Err(StoreError::NotFound) => Err(self.refuse("org", drill, "不存在").await),
            Err(e) => Err(e.into()),
        }
    }

    /// Records the refusal and gives the 404 to answer with; if the log cannot be written, the error says so.
    async fn refuse(&self, kind: &str, id: &str, why: &str) -> AppError {
        // Whatever was typed into the URL, the log keeps a bounded piece of it.
        let id: String = id.chars().take(64).collect();
        let target = format!("{kind}:{id}");
        let entry = NewAuditEntry {
            at: self.state.clock.now_ms(),
            account_id: Some(&self.user.account.id),
            action: "access_denied",
            target: Some(&target),
            source_ip: self.user.source_ip.as_deref(),
            outcome: "denied",
            detail: why,
        };
        match self.state.store.append_audit(&entry).await {
            Ok(()) => AppError::NotFound,
            Err(e) => e.into(),
        }
    }
}
