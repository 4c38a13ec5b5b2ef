//! The rush county, written straight through the store into an empty migrated database: a county with its
//! superior admin, party committees of up to five branches each, every branch with its secretary and its members
//! (each with an account sharing one argon2 hash), and one open campaign on the built-in 2021-county definition
//! whose deadlines lie ahead. Logins follow a pattern the rush reads back: `b01s` is branch 1's secretary, `b01m001`
//! its first member.

use anyhow::{Context, Result, bail};
use mingjing_review::Campaign as Definition;
use mingjing_storage::{NewAccount, NewCampaign, NewMember, Org, OrgKind, Role, Standing, Store};

/// The county's superior admin, also the mark that a database holds the rush county.
pub const ADMIN_LOGIN: &str = "rush-admin";
/// The campaign's title.
pub const CAMPAIGN_TITLE: &str = "2021年度组织生活会（截止前高峰测试）";
const BRANCHES_PER_COMMITTEE: usize = 5;
const MS_PER_DAY: i64 = 86_400_000;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "霞", "平", "刚", "桂英", "文", "华", "红梅", "志强", "海燕", "晓东", "春生", "玉兰", "国庆", "建华", "淑珍",
    "德明", "永红", "立新", "卫东", "小龙", "欣怡", "子涵", "浩然", "思远", "雨婷", "佳琪", "俊杰", "宏伟", "振华",
];

/// How big a county to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub branches: usize,
    /// Members per branch besides the secretary.
    pub members: usize,
}

/// The login of branch `branch`'s secretary (branches count from 1).
pub fn secretary_login(branch: usize) -> String {
    format!("b{branch:02}s")
}

/// The login of member `n` (from 1) of branch `branch`.
pub fn member_login(branch: usize, n: usize) -> String {
    format!("b{branch:02}m{n:03}")
}

/// A plausible name, the same for the same position on every run.
fn name(branch: usize, n: usize) -> String {
    let k = branch * 1009 + n * 7919;
    format!("{}{}", SURNAMES[k % SURNAMES.len()], GIVEN[(k / SURNAMES.len()) % GIVEN.len()])
}

/// The civil date (proleptic Gregorian) `days` after 1970-01-01, as `YYYY-MM-DD`.
pub fn civil_date(days: i64) -> String {
    // Howard Hinnant's days_from_civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The built-in 2021-county definition with its deadlines moved to one, two and three weeks after `now`.
fn definition(now: i64) -> Result<String> {
    let mut def = Definition::builtin("2021-county").context("the built-in 2021-county campaign")?;
    let today = now.div_euclid(MS_PER_DAY);
    let keys: Vec<String> = def.deadlines.keys().cloned().collect();
    for (i, key) in keys.into_iter().enumerate() {
        let weeks = i64::try_from(i).unwrap_or(0) + 1;
        let date = civil_date(today + 7 * weeks).parse().context("a deadline date")?;
        def.deadlines.insert(key, date);
    }
    Ok(toml::to_string(&def)?)
}

/// What the seed made.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub county: Org,
    pub campaign_id: String,
    pub accounts: usize,
}

/// Seeds the rush county into an empty migrated database; refuses a database that already holds accounts.
pub async fn seed(store: &Store, shape: Shape, password_hash: &str, now: i64) -> Result<Seeded> {
    if shape.branches == 0 || shape.members == 0 || shape.branches > 99 || shape.members > 999 {
        bail!("1–99 branches of 1–999 members, not {} × {}", shape.branches, shape.members);
    }
    if store.account_count().await? > 0 {
        bail!("the database already holds accounts: the rush needs an empty one");
    }
    let county = store.create_org(None, "高峰县委", OrgKind::County, now).await?;
    let mut accounts = 0;
    let account = |login: String, display: String, role, org: String, member: Option<String>| async move {
        let new = NewAccount {
            login: &login,
            phone: None,
            display_name: &display,
            role,
            org_id: &org,
            member_id: member.as_deref(),
            password_hash,
            must_change_password: false,
        };
        store.create_account(&new, now).await
    };
    account(ADMIN_LOGIN.into(), "县委组织部".into(), Role::SuperiorAdmin, county.id.clone(), None).await?;
    accounts += 1;
    let mut committee = None;
    for branch in 1..=shape.branches {
        if (branch - 1) % BRANCHES_PER_COMMITTEE == 0 {
            let number = (branch - 1) / BRANCHES_PER_COMMITTEE + 1;
            let name = format!("第{number}片区党委");
            committee = Some(store.create_org(Some(&county.id), &name, OrgKind::Committee, now).await?);
        }
        let parent = committee.as_ref().map(|c| c.id.clone()).context("a committee")?;
        let org = store.create_org(Some(&parent), &format!("第{branch}党支部"), OrgKind::Branch, now).await?;
        for n in 0..=shape.members {
            let person = name(branch, n);
            let new = NewMember {
                org_id: &org.id,
                name: &person,
                standing: Standing::Full,
                joined_on: None,
                post: None,
                phone: None,
                leading_cadre: false,
            };
            let member = store.add_member(&new, now).await?;
            let (login, role) = if n == 0 {
                (secretary_login(branch), Role::Secretary)
            } else {
                (member_login(branch, n), Role::Member)
            };
            account(login, person, role, org.id.clone(), Some(member.id)).await?;
            accounts += 1;
        }
    }
    let definition = definition(now)?;
    let new = NewCampaign {
        org_id: &county.id,
        year: 2021,
        title: CAMPAIGN_TITLE,
        notice: "各党支部在截止日期前提交对照检查材料，并完成民主评议。",
        definition: &definition,
    };
    let campaign = store.create_campaign(&new, now).await?;
    Ok(Seeded { county, campaign_id: campaign.id, accounts })
}

/// The rush county as seeded: its campaign and its shape, read back from the database.
#[derive(Debug, Clone)]
pub struct County {
    pub campaign_id: String,
    pub shape: Shape,
}

/// Finds the rush county a seed made.
pub async fn find(store: &Store) -> Result<County> {
    let admin = store.account_by_login(ADMIN_LOGIN).await?.context("no rush county here: run rush-seed first")?;
    let county = store.org(&admin.org_id).await?;
    let campaign = store
        .campaigns_opened_under(&county)
        .await?
        .into_iter()
        .find(|c| c.title == CAMPAIGN_TITLE)
        .context("the rush campaign")?;
    let branches: Vec<Org> = store.subtree(&county).await?.into_iter().filter(|o| o.kind == OrgKind::Branch).collect();
    let first = store.account_by_login(&secretary_login(1)).await?.context("branch 1's secretary")?;
    let members = store.members_of(&first.org_id).await?.len().saturating_sub(1);
    Ok(County { campaign_id: campaign.id, shape: Shape { branches: branches.len(), members } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_count_from_the_epoch() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_454), "2026-01-01");
        assert_eq!(civil_date(19_782), "2024-02-29");
        assert_eq!(civil_date(-1), "1969-12-31");
    }

    #[test]
    fn deadlines_are_moved_ahead_and_logins_follow_the_pattern() {
        let toml = definition(20_454 * MS_PER_DAY).unwrap();
        let def: Definition = toml::from_str(&toml).unwrap();
        // The built-in may set no deadlines at all; whatever it sets lies ahead.
        assert!(def.deadlines.values().all(|d| d.to_string().as_str() >= "2026-01-08"), "{:?}", def.deadlines);
        assert_eq!((secretary_login(3), member_login(3, 42)), ("b03s".to_owned(), "b03m042".to_owned()));
        assert_ne!(name(1, 1), name(1, 2));
    }
}
