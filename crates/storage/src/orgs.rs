//! Organizations (the tree 县委 → 党委 → 总支 → 支部 → 党小组) and their members.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, flag, new_id};

/// The level of an organization in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    /// 县委 / 县委组织部: the root of a deployment.
    County,
    /// 党(工)委 / 党组
    Committee,
    /// 党总支
    GeneralBranch,
    /// 党支部
    Branch,
    /// 党小组
    Group,
}

impl OrgKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::County => "county",
            Self::Committee => "committee",
            Self::GeneralBranch => "general_branch",
            Self::Branch => "branch",
            Self::Group => "group",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::County, Self::Committee, Self::GeneralBranch, Self::Branch, Self::Group]
            .into_iter()
            .find(|k| k.code() == code)
    }

    /// The name shown on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::County => "县委",
            Self::Committee => "党委",
            Self::GeneralBranch => "党总支",
            Self::Branch => "党支部",
            Self::Group => "党小组",
        }
    }
}

/// An organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: OrgKind,
    pub path: String,
    pub dissolved: bool,
}

impl Org {
    /// Whether `other` lies in this organization's subtree (itself included).
    pub fn contains(&self, other: &Org) -> bool {
        other.path.starts_with(&self.path)
    }
}

fn org(row: &AnyRow) -> Result<Org, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(Org {
        id: row.try_get("id")?,
        parent_id: row.try_get("parent_id")?,
        name: row.try_get("name")?,
        kind: OrgKind::from_code(&kind)
            .ok_or_else(|| StoreError::State(format!("unknown organization kind {kind}")))?,
        path: row.try_get("path")?,
        dissolved: flag(row.try_get("dissolved")?),
    })
}

macro_rules! org_columns {
    () => {
        "id, parent_id, name, kind, path, dissolved"
    };
}

/// 正式党员 or 预备党员.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Full,
    Probationary,
}

impl Standing {
    pub fn code(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Probationary => "probationary",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "full" => Some(Self::Full),
            "probationary" => Some(Self::Probationary),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Full => "正式党员",
            Self::Probationary => "预备党员",
        }
    }
}

/// A Party member on a branch's roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub standing: Standing,
    pub joined_on: Option<String>,
    pub post: Option<String>,
    pub phone: Option<String>,
    /// 县处级副职 and above: the 有关事项报告 is required of them.
    pub leading_cadre: bool,
}

/// What it takes to add a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember<'a> {
    pub org_id: &'a str,
    pub name: &'a str,
    pub standing: Standing,
    pub joined_on: Option<&'a str>,
    pub post: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub leading_cadre: bool,
}

fn member(row: &AnyRow) -> Result<Member, StoreError> {
    let standing: String = row.try_get("standing")?;
    Ok(Member {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        standing: Standing::from_code(&standing)
            .ok_or_else(|| StoreError::State(format!("unknown standing {standing}")))?,
        joined_on: row.try_get("joined_on")?,
        post: row.try_get("post")?,
        phone: row.try_get("phone")?,
        leading_cadre: flag(row.try_get("leading_cadre")?),
    })
}

macro_rules! member_columns {
    () => {
        "id, org_id, name, standing, joined_on, post, phone, leading_cadre"
    };
}

impl Store {
    /// Creates an organization under `parent` (or a root when `None`).
    pub async fn create_org(
        &self,
        parent: Option<&str>,
        name: &str,
        kind: OrgKind,
        now: i64,
    ) -> Result<Org, StoreError> {
        let id = new_id();
        let parent_path = match parent {
            Some(parent) => self.org(parent).await?.path,
            None => "/".to_owned(),
        };
        let path = format!("{parent_path}{id}/");
        sqlx::query("INSERT INTO organizations (id, parent_id, name, kind, path, dissolved, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6)")
            .bind(&id)
            .bind(parent)
            .bind(name)
            .bind(kind.code())
            .bind(&path)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(Org { id, parent_id: parent.map(str::to_owned), name: name.to_owned(), kind, path, dissolved: false })
    }

    pub async fn org(&self, id: &str) -> Result<Org, StoreError> {
        let row = sqlx::query(concat!("SELECT ", org_columns!(), " FROM organizations WHERE id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        org(&row)
    }

    /// Every organization in a subtree, root first, in tree order.
    pub async fn subtree(&self, root: &Org) -> Result<Vec<Org>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            org_columns!(),
            " FROM organizations WHERE path LIKE $1 AND dissolved = 0 ORDER BY path"
        ))
        .bind(format!("{}%", root.path))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(org).collect()
    }

    pub async fn add_member(&self, new: &NewMember<'_>, now: i64) -> Result<Member, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO members (id, org_id, name, standing, joined_on, post, phone, leading_cadre, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(new.org_id)
        .bind(new.name)
        .bind(new.standing.code())
        .bind(new.joined_on)
        .bind(new.post)
        .bind(new.phone)
        .bind(i64::from(new.leading_cadre))
        .bind(now)
        .execute(self.pool())
        .await?;
        self.member(&id).await
    }

    /// Marks a member as a leading cadre (县处级副职 and above), who also files the 有关事项报告.
    pub async fn set_leading_cadre(&self, id: &str, leading: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE members SET leading_cadre = $2 WHERE id = $1")
            .bind(id)
            .bind(i64::from(leading))
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn member(&self, id: &str) -> Result<Member, StoreError> {
        let row = sqlx::query(concat!("SELECT ", member_columns!(), " FROM members WHERE id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        member(&row)
    }

    /// The rosters of every organization in a subtree (`path` is the root's), in tree
    /// order and by name.
    pub async fn members_under(&self, path: &str) -> Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.org_id, p.name, p.standing, p.joined_on, p.post, p.phone, p.leading_cadre \
             FROM members p JOIN organizations o ON o.id = p.org_id WHERE o.path LIKE $1 ORDER BY o.path, p.name, p.id",
        )
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(member).collect()
    }

    /// The roster of one organization, by name.
    pub async fn members_of(&self, org_id: &str) -> Result<Vec<Member>, StoreError> {
        let rows =
            sqlx::query(concat!("SELECT ", member_columns!(), " FROM members WHERE org_id = $1 ORDER BY name, id"))
                .bind(org_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(member).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::each_backend;

    #[tokio::test]
    async fn subtree_is_the_organization_and_everything_below() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 1).await?;
            let committee = store.create_org(Some(&county.id), "县直机关工委", OrgKind::Committee, 2).await?;
            let branch = store.create_org(Some(&committee.id), "县政务服务中心党支部", OrgKind::Branch, 3).await?;
            let other = store.create_org(Some(&county.id), "城关镇党委", OrgKind::Committee, 4).await?;
            let ids: Vec<String> = store.subtree(&committee).await?.into_iter().map(|o| o.id).collect();
            assert_eq!(ids, vec![committee.id.clone(), branch.id.clone()]);
            assert!(county.contains(&branch) && committee.contains(&branch));
            assert!(!other.contains(&branch) && !branch.contains(&committee));
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn members_round_trip_and_need_an_existing_branch() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 1).await?;
            let branch = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 2).await?;
            let new = NewMember {
                org_id: &branch.id,
                name: "王建国",
                standing: Standing::Probationary,
                joined_on: Some("2024-07-01"),
                post: Some("科员"),
                phone: None,
                leading_cadre: false,
            };
            let added = store.add_member(&new, 3).await?;
            assert_eq!(store.member(&added.id).await?, added);
            assert_eq!(store.members_of(&branch.id).await?, vec![added.clone()]);
            assert_eq!(store.members_under(&county.path).await?, vec![added]);
            let orphan = NewMember { org_id: "no-such-branch", ..new };
            assert!(store.add_member(&orphan, 4).await.is_err(), "foreign keys are enforced");
            Ok(())
        })
        .await;
    }
}
