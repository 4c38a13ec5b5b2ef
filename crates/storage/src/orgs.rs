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
    org_with_id(row, "id")
}

/// An organization read from a row whose own id is in the column `id_column` (a join may give `id` to another table).
pub(crate) fn org_with_id(row: &AnyRow, id_column: &str) -> Result<Org, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(Org {
        id: row.try_get(id_column)?,
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

/// A seat on a branch committee (支部委员会), which decides who must talk with whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitteePost {
    /// 党支部书记: talks with every committee member and member.
    Secretary,
    /// 支部委员 (副书记, 组织委员, 宣传委员, 纪检委员…).
    Committee,
}

impl CommitteePost {
    pub fn code(self) -> &'static str {
        match self {
            Self::Secretary => "secretary",
            Self::Committee => "committee",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Secretary, Self::Committee].into_iter().find(|p| p.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Secretary => "党支部书记",
            Self::Committee => "支部委员",
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
    /// 公民身份号码: personal data, shown masked.
    pub id_number: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub ethnicity: Option<String>,
    pub education: Option<String>,
    /// The member's seat on the branch committee, if any.
    pub committee_post: Option<CommitteePost>,
}

/// The roster's personal data of a member, apart from [`NewMember`] so that callers that need none of it
/// (the demo, tests) stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberDetails {
    pub id_number: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub ethnicity: Option<String>,
    pub education: Option<String>,
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
        id_number: row.try_get("id_number")?,
        gender: row.try_get("gender")?,
        birth_date: row.try_get("birth_date")?,
        ethnicity: row.try_get("ethnicity")?,
        education: row.try_get("education")?,
        committee_post: row
            .try_get::<Option<String>, _>("committee_post")?
            .as_deref()
            .and_then(CommitteePost::from_code),
    })
}

macro_rules! member_columns {
    () => {
        "id, org_id, name, standing, joined_on, post, phone, leading_cadre, id_number, gender, birth_date, ethnicity, \
         education, committee_post"
    };
}

/// Inserts one member on any connection (a pooled one, or a transaction's), returning the new id.
pub(crate) async fn insert_member(
    conn: &mut sqlx::AnyConnection,
    new: &NewMember<'_>,
    details: &MemberDetails,
    now: i64,
) -> Result<String, StoreError> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO members (id, org_id, name, standing, joined_on, post, phone, leading_cadre, id_number, gender, \
         birth_date, ethnicity, education, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(new.org_id)
    .bind(new.name)
    .bind(new.standing.code())
    .bind(new.joined_on)
    .bind(new.post)
    .bind(new.phone)
    .bind(i64::from(new.leading_cadre))
    .bind(details.id_number.as_deref())
    .bind(details.gender.as_deref())
    .bind(details.birth_date.as_deref())
    .bind(details.ethnicity.as_deref())
    .bind(details.education.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Why an organization cannot be dissolved or moved; the web layer says it in Chinese.
pub const ORG_HAS_MEMBERS: &str = "org_has_members";
pub const ORG_HAS_CHILDREN: &str = "org_has_children";
pub const ORG_MOVE_INTO_ITSELF: &str = "org_move_into_itself";
pub const ORG_IS_ROOT: &str = "org_is_root";

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

    /// The organizations at the top of the tree (usually one: the county's), oldest first.
    pub async fn top_orgs(&self) -> Result<Vec<Org>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            org_columns!(),
            " FROM organizations WHERE parent_id IS NULL AND dissolved = 0 ORDER BY created_at, id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(org).collect()
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

    pub async fn rename_org(&self, id: &str, name: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE organizations SET name = $2 WHERE id = $1 AND dissolved = 0")
            .bind(id)
            .bind(name)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Moves an organization, with everything below it, under `new_parent`: one transaction rewrites the path of the
    /// whole subtree, so no reader ever sees half a move. Moving under itself or its own descendant is refused.
    pub async fn move_org(&self, id: &str, new_parent: &str) -> Result<Org, StoreError> {
        let mut tx = self.pool().begin().await?;
        let moved = org(&sqlx::query(concat!("SELECT ", org_columns!(), " FROM organizations WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?)?;
        let parent = org(&sqlx::query(concat!("SELECT ", org_columns!(), " FROM organizations WHERE id = $1"))
            .bind(new_parent)
            .fetch_one(&mut *tx)
            .await?)?;
        if moved.parent_id.is_none() {
            return Err(StoreError::State(ORG_IS_ROOT.to_owned()));
        }
        if moved.contains(&parent) {
            return Err(StoreError::State(ORG_MOVE_INTO_ITSELF.to_owned()));
        }
        if parent.dissolved {
            return Err(StoreError::NotFound);
        }
        let new_path = format!("{}{}/", parent.path, moved.id);
        // Paths hold hex ids and slashes only, so the prefix needs no LIKE escaping; substr counts from 1.
        sqlx::query("UPDATE organizations SET path = $1 || substr(path, CAST($2 AS INTEGER)) WHERE path LIKE $3")
            .bind(&new_path)
            .bind(i64::try_from(moved.path.len() + 1).unwrap_or(i64::MAX))
            .bind(format!("{}%", moved.path))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE organizations SET parent_id = $2 WHERE id = $1")
            .bind(id)
            .bind(new_parent)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.org(id).await
    }

    /// Dissolves an organization that has no members and no live child organizations, in one guarded statement so
    /// that a member added meanwhile is never left in a dissolved organization.
    pub async fn dissolve_org(&self, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE organizations SET dissolved = 1 WHERE id = $1 AND dissolved = 0 AND parent_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM members WHERE org_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM organizations c WHERE c.parent_id = $1 AND c.dissolved = 0)",
        )
        .bind(id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
        let found = self.org(id).await?;
        let why = if found.dissolved {
            return Err(StoreError::NotFound);
        } else if found.parent_id.is_none() {
            ORG_IS_ROOT
        } else if !self.members_of(id).await?.is_empty() {
            ORG_HAS_MEMBERS
        } else {
            ORG_HAS_CHILDREN
        };
        Err(StoreError::State(why.to_owned()))
    }

    /// How many members each organization of a subtree has on its own roster, by organization id.
    pub async fn member_counts(&self, path: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.org_id, COUNT(*) AS n FROM members p JOIN organizations o ON o.id = p.org_id \
             WHERE o.path LIKE $1 GROUP BY p.org_id",
        )
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok((row.try_get("org_id")?, row.try_get("n")?))).collect()
    }

    /// What tells one person from another on the whole roster: (ID number, name, birth date) of every member that
    /// has an ID number or a birth date. An import compares against it.
    pub async fn roster_keys(&self) -> Result<Vec<(Option<String>, String, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id_number, name, birth_date FROM members WHERE id_number IS NOT NULL OR birth_date IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id_number")?, row.try_get("name")?, row.try_get("birth_date")?)))
            .collect()
    }

    pub async fn add_member(&self, new: &NewMember<'_>, now: i64) -> Result<Member, StoreError> {
        self.add_member_with(new, &MemberDetails::default(), now).await
    }

    /// Adds a member with the roster's personal data.
    pub async fn add_member_with(
        &self,
        new: &NewMember<'_>,
        details: &MemberDetails,
        now: i64,
    ) -> Result<Member, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let id = insert_member(&mut conn, new, details, now).await?;
        drop(conn);
        self.member(&id).await
    }

    /// Replaces a member's roster entry; the organization too (a transfer inside the subtree).
    pub async fn update_member(
        &self,
        id: &str,
        new: &NewMember<'_>,
        details: &MemberDetails,
    ) -> Result<Member, StoreError> {
        let done = sqlx::query(
            "UPDATE members SET org_id = $2, name = $3, standing = $4, joined_on = $5, post = $6, phone = $7, \
             leading_cadre = $8, id_number = $9, gender = $10, birth_date = $11, ethnicity = $12, education = $13 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(new.org_id)
        .bind(new.name)
        .bind(new.standing.code())
        .bind(new.joined_on)
        .bind(new.post)
        .bind(new.phone)
        .bind(i64::from(new.leading_cadre))
        .bind(details.id_number.as_deref())
        .bind(details.gender.as_deref())
        .bind(details.birth_date.as_deref())
        .bind(details.ethnicity.as_deref())
        .bind(details.education.as_deref())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.member(id).await
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

    /// Seats a member on the branch committee, or takes the seat away (`None`).
    pub async fn set_committee_post(&self, id: &str, post: Option<CommitteePost>) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE members SET committee_post = $2 WHERE id = $1")
            .bind(id)
            .bind(post.map(CommitteePost::code))
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
            "SELECT p.id, p.org_id, p.name, p.standing, p.joined_on, p.post, p.phone, p.leading_cadre, p.id_number, \
             p.gender, p.birth_date, p.ethnicity, p.education, p.committee_post FROM members p JOIN organizations o ON o.id = p.org_id WHERE o.path LIKE $1 ORDER BY o.path, p.name, p.id",
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

    #[tokio::test]
    async fn a_move_rewrites_the_whole_subtree_and_never_goes_under_itself() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 1).await?;
            let a = store.create_org(Some(&county.id), "甲党委", OrgKind::Committee, 2).await?;
            let b = store.create_org(Some(&county.id), "乙党委", OrgKind::Committee, 2).await?;
            let general = store.create_org(Some(&a.id), "总支", OrgKind::GeneralBranch, 3).await?;
            let branch = store.create_org(Some(&general.id), "支部", OrgKind::Branch, 4).await?;

            let refused = store.move_org(&a.id, &branch.id).await;
            assert!(matches!(refused, Err(StoreError::State(s)) if s == ORG_MOVE_INTO_ITSELF));
            assert!(matches!(store.move_org(&a.id, &a.id).await, Err(StoreError::State(_))));
            assert!(matches!(store.move_org(&county.id, &a.id).await, Err(StoreError::State(_))));

            let moved = store.move_org(&general.id, &b.id).await?;
            assert_eq!(moved.path, format!("{}{}/", b.path, general.id));
            assert_eq!(moved.parent_id.as_deref(), Some(b.id.as_str()));
            let branch = store.org(&branch.id).await?;
            assert_eq!(branch.path, format!("{}{}/", moved.path, branch.id));
            assert!(b.contains(&branch) && !a.contains(&branch));
            let under_a: Vec<String> =
                store.subtree(&store.org(&a.id).await?).await?.into_iter().map(|o| o.id).collect();
            assert_eq!(under_a, vec![a.id.clone()]);

            store.rename_org(&a.id, "甲党工委").await?;
            assert_eq!(store.org(&a.id).await?.name, "甲党工委");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn only_an_empty_organization_without_live_children_is_dissolved() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 1).await?;
            let committee = store.create_org(Some(&county.id), "党委", OrgKind::Committee, 2).await?;
            let branch = store.create_org(Some(&committee.id), "支部", OrgKind::Branch, 3).await?;
            let new = NewMember {
                org_id: &branch.id,
                name: "王建国",
                standing: Standing::Full,
                joined_on: None,
                post: None,
                phone: None,
                leading_cadre: false,
            };
            let details = MemberDetails { id_number: Some("11010519491231002X".into()), ..MemberDetails::default() };
            let member = store.add_member_with(&new, &details, 4).await?;
            assert_eq!(member.id_number.as_deref(), Some("11010519491231002X"));
            assert_eq!(store.member_counts(&county.path).await?, vec![(branch.id.clone(), 1)]);

            let why = |r: Result<(), StoreError>| match r {
                Err(StoreError::State(s)) => s,
                other => format!("{other:?}"),
            };
            assert_eq!(why(store.dissolve_org(&committee.id).await), ORG_HAS_CHILDREN);
            assert_eq!(why(store.dissolve_org(&branch.id).await), ORG_HAS_MEMBERS);
            assert_eq!(why(store.dissolve_org(&county.id).await), ORG_IS_ROOT);

            // A transfer to the committee empties the branch.
            let moved = NewMember { org_id: &committee.id, name: "王建国（调）", ..new };
            let updated = store.update_member(&member.id, &moved, &MemberDetails::default()).await?;
            assert_eq!((updated.org_id.as_str(), updated.id_number), (committee.id.as_str(), None));
            store.dissolve_org(&branch.id).await?;
            assert!(store.org(&branch.id).await?.dissolved);
            assert!(matches!(store.dissolve_org(&branch.id).await, Err(StoreError::NotFound)));
            assert_eq!(why(store.dissolve_org(&committee.id).await), ORG_HAS_MEMBERS);
            let keys = store.roster_keys().await?;
            assert!(keys.is_empty(), "{keys:?}");
            Ok(())
        })
        .await;
    }
}
