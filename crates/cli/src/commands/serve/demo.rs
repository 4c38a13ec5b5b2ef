//! The demo county: a fictional county organization department with party committees,
//! branches, members with plausible names and roster data, two campaigns, and materials
//! in every state, generated with the corpus generator so the copy review shows real
//! copying. Created once; a database that already holds it is left alone.

use std::collections::HashMap;
use std::sync::Arc;

use mingjing_corpus::{Config as CorpusConfig, DocKind as CorpusKind, Generator};
use mingjing_review::copy::{CopyOptions, DocKind, Index, MemoryTexts, Querier, SourceDoc};
use mingjing_review::input::Source;
use mingjing_review::normalize::NormText;
use mingjing_review::{Audience, Campaign, Corpus, Options, review_against};
use mingjing_storage::{
    Decision, Member, MemberDetails, NewAccount, NewCampaign, NewDecision, NewMember, OrgKind, PassageNote, Role,
    Standing, Store, StoreError, StoredReview,
};

/// The password every demo account shares; printed at start, never for real use.
pub const DEMO_PASSWORD: &str = "Demo@2026";
/// How many of the generator's web templates the demo county has uploaded.
const DEMO_TEMPLATES: usize = 8;

/// The login of the demo's superior admin, also the mark that the demo exists.
const ADMIN_LOGIN: &str = "admin";

/// One demo account to print.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: Role,
    pub login: String,
    pub who: String,
}

/// Party committees and their branches.
const COMMITTEES: &[(&str, &[&str])] = &[
    ("县直机关工委", &["县政务服务中心党支部", "县财政局机关党支部", "县发展和改革局党支部", "县档案馆党支部"]),
    ("城关镇党委", &["城关镇机关党支部", "东关社区党支部", "西街村党支部", "南湖村党支部"]),
    ("县教育局党组", &["县第一中学党支部", "实验小学党支部", "城关中心校党支部"]),
    ("县卫生健康局党委", &["县人民医院第一党支部", "县中医院党支部", "县疾控中心党支部", "乡镇卫生院联合党支部"]),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "霞", "平", "刚", "桂英", "文", "华", "红梅", "志强", "海燕", "晓东", "春生", "玉兰", "国庆", "建华", "淑珍",
    "德明", "永红", "立新", "卫东", "小龙", "欣怡", "子涵", "浩然", "思远", "雨婷", "佳琪", "俊杰", "宏伟", "振华",
    "光明",
];
const EDUCATION: &[&str] = &["大学本科", "大学本科", "大学本科", "研究生", "大学专科", "高中"];

/// The roster columns an imported 花名册 would fill: an ID number whose birth date makes the member 18 to 30 when
/// they joined, the gender its 17th digit says, and the check digit a real number has. The region code 419901 is
/// assigned to no place, so no demo number can be a real person's.
fn roster_details(dice: &mut Dice, joined_year: u64) -> Result<MemberDetails, StoreError> {
    let birth = format!("{}{:02}{:02}", joined_year - 18 - dice.below(13), 1 + dice.below(12), 1 + dice.below(28));
    let sequence = dice.below(1000);
    let first17 = format!("419901{birth}{sequence:03}");
    let check = mingjing_roster::check_digit(&first17).ok_or_else(|| StoreError::State("demo ID number".into()))?;
    let gender = if sequence % 2 == 1 { "男" } else { "女" };
    Ok(MemberDetails {
        id_number: Some(format!("{first17}{check}")),
        gender: Some(gender.to_owned()),
        birth_date: Some(format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..])),
        ethnicity: Some(if dice.below(10) == 0 { "回族" } else { "汉族" }.to_owned()),
        education: Some(dice.pick(EDUCATION).to_owned()),
    })
}

const POSTS: &[&str] =
    &["科员", "副主任", "主任", "干事", "教师", "医师", "护士", "村委会委员", "社区网格员", "会计", "技术员"];

/// A small deterministic generator: the demo is the same on every machine.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Creates the demo county unless it is there; returns the accounts to print.
pub async fn seed(store: &Store, password_hash: &str, now: i64) -> Result<Vec<DemoAccount>, StoreError> {
    if let Some(admin) = store.account_by_login(ADMIN_LOGIN).await? {
        return accounts_of_existing(store, admin.org_id).await;
    }
    let mut dice = Dice(20_260_101);
    let mut printed = Vec::new();
    let county = store.create_org(None, "示范县委", OrgKind::County, now).await?;
    let account = |login: String, name: String, role, org: String, member: Option<String>| async move {
        let new = NewAccount {
            login: &login,
            phone: None,
            display_name: &name,
            role,
            org_id: &org,
            member_id: member.as_deref(),
            password_hash,
            must_change_password: false,
        };
        store.create_account(&new, now).await
    };
    account(ADMIN_LOGIN.into(), "县委组织部管理员".into(), Role::SuperiorAdmin, county.id.clone(), None).await?;
    account("auditor".into(), "审计管理员".into(), Role::Auditor, county.id.clone(), None).await?;
    account("sysadmin".into(), "系统管理员".into(), Role::SystemAdmin, county.id.clone(), None).await?;
    printed.push(DemoAccount {
        role: Role::SuperiorAdmin, login: ADMIN_LOGIN.into(), who: "示范县委组织部".into()
    });
    printed.push(DemoAccount { role: Role::Auditor, login: "auditor".into(), who: "示范县委".into() });
    printed.push(DemoAccount { role: Role::SystemAdmin, login: "sysadmin".into(), who: "示范县委".into() });

    let mut all_members: Vec<(Member, String)> = Vec::new();
    let mut secretaries: HashMap<String, String> = HashMap::new();
    let mut branch_no = 0;
    for (committee_name, branches) in COMMITTEES {
        let committee = store.create_org(Some(&county.id), committee_name, OrgKind::Committee, now).await?;
        for branch_name in *branches {
            branch_no += 1;
            let branch = store.create_org(Some(&committee.id), branch_name, OrgKind::Branch, now).await?;
            let size = 14 + dice.below(12);
            for n in 0..size {
                let name = format!("{}{}", dice.pick(SURNAMES), dice.pick(GIVEN));
                let joined_year = 1985 + dice.below(39);
                let joined = format!("{joined_year}-{:02}-01", 1 + dice.below(12));
                let details = roster_details(&mut dice, joined_year)?;
                let standing = if dice.below(12) == 0 { Standing::Probationary } else { Standing::Full };
                let phone = format!("139{:08}", dice.below(100_000_000));
                let new = NewMember {
                    org_id: &branch.id,
                    name: &name,
                    standing,
                    joined_on: Some(&joined),
                    post: Some(dice.pick(POSTS)),
                    phone: Some(&phone),
                    leading_cadre: n == 0,
                };
                let member = store.add_member_with(&new, &details, now).await?;
                let (login, role) = if n == 0 {
                    (format!("secretary{branch_no:02}"), Role::Secretary)
                } else {
                    (format!("m{branch_no:02}{n:02}"), Role::Member)
                };
                let created =
                    account(login.clone(), name.clone(), role, branch.id.clone(), Some(member.id.clone())).await?;
                if role == Role::Secretary {
                    secretaries.insert(branch.id.clone(), created.id.clone());
                }
                if n <= 1 && branch_no <= 2 {
                    printed.push(DemoAccount { role, login, who: format!("{branch_name} {name}") });
                }
                all_members.push((member, created.id));
            }
        }
    }

    let example = Campaign::builtin("2021-county").map_err(|e| StoreError::State(e.to_string()))?;
    let example_toml = toml::to_string(&example).map_err(|e| StoreError::State(e.to_string()))?;
    store
        .create_campaign(
            &NewCampaign {
                org_id: &county.id,
                year: 2021,
                title: "2021年度组织生活会和民主评议党员",
                notice: "根据县委组织部通知，召开2021年度基层党组织组织生活会和开展民主评议党员工作。",
                definition: &example_toml,
            },
            now,
        )
        .await?;
    let current = Campaign::builtin("2025-annual").map_err(|e| StoreError::State(e.to_string()))?;
    let current_toml = toml::to_string(&current).map_err(|e| StoreError::State(e.to_string()))?;
    let stored = store
        .create_campaign(
            &NewCampaign {
                org_id: &county.id,
                year: 2025,
                title: "2025年度组织生活会和民主评议党员",
                notice: "各基层党组织要以学习贯彻党的二十届三中全会精神为重点，对照党章党规，突出六项纪律，认真开好组织生活会。",
                definition: &current_toml,
            },
            now,
        )
        .await?;
    materials(store, &stored.id, &county.id, &current, &all_members, &secretaries, now).await?;
    Ok(printed)
}

/// Accounts of a demo made earlier, to print again.
async fn accounts_of_existing(store: &Store, _county: String) -> Result<Vec<DemoAccount>, StoreError> {
    let mut printed = Vec::new();
    for (login, who) in [
        (ADMIN_LOGIN, "示范县委组织部"),
        ("auditor", "示范县委"),
        ("sysadmin", "示范县委"),
        ("secretary01", "县政务服务中心党支部"),
        ("m0101", "县政务服务中心党支部"),
        ("secretary02", "县财政局机关党支部"),
        ("m0201", "县财政局机关党支部"),
    ] {
        if let Some(a) = store.account_by_login(login).await? {
            printed.push(DemoAccount { role: a.role, login: login.into(), who: format!("{who} {}", a.display_name) });
        }
    }
    Ok(printed)
}

/// Materials for the current campaign, in every state, with the engine's reviews.
async fn materials(
    store: &Store,
    campaign_id: &str,
    org_id: &str,
    campaign: &Campaign,
    members: &[(Member, String)],
    secretaries: &HashMap<String, String>,
    now: i64,
) -> Result<(), StoreError> {
    let aspects = campaign.aspects_for(Audience::Member).iter().map(|a| a.title.clone()).collect();
    let generator = Generator::new(CorpusConfig::new(members.len(), 2026, aspects).with_year(2025))
        .map_err(|e| StoreError::State(e.to_string()))?;
    let (mut texts, mut templates) = (Vec::new(), Vec::new());
    for generated in generator {
        match generated.document.kind {
            CorpusKind::Member => texts.push(generated.document.text),
            CorpusKind::Template => templates.push(generated.document.text),
            CorpusKind::PreviousYear => {}
        }
    }

    let mut index = Index::default();
    let mut store_texts = MemoryTexts::default();
    // The county's collection of web templates, indexed under the ids the server's own
    // copy index gives them, so the reviews name them as it would.
    for (n, text) in templates.iter().take(DEMO_TEMPLATES).enumerate() {
        let title = format!("网上流传的对照检查材料范文（{}）", n + 1);
        let id = store.add_template(org_id, &title, text, now).await?;
        let key = format!("template:{id}");
        let source = Source::from_text(text.as_str()).map_err(|e| StoreError::State(e.to_string()))?;
        let doc = SourceDoc::new(NormText::new(&source));
        index.add(&key, None, DocKind::Template, &doc.skeleton).map_err(|e| StoreError::State(e.to_string()))?;
        store_texts.insert(&key, Arc::new(doc));
    }
    let mut stored = Vec::new();
    for (n, ((member, account), text)) in members.iter().zip(&texts).enumerate() {
        let material = store.start_material(campaign_id, &member.id, "member", text, account, now).await?;
        // 30 % stay drafts; the rest are submitted, and of those some returned or approved.
        let state = n % 10;
        if state >= 3 {
            store.submit_material(&material.id, 1, now).await?;
            let source = Source::from_text(text.as_str()).map_err(|e| StoreError::State(e.to_string()))?;
            let doc = SourceDoc::new(NormText::new(&source));
            index
                .add(&material.id, Some(&member.id), DocKind::Member, &doc.skeleton)
                .map_err(|e| StoreError::State(e.to_string()))?;
            store_texts.insert(&material.id, Arc::new(doc));
            let reviewer = secretaries.get(&member.org_id).cloned().unwrap_or_else(|| account.clone());
            stored.push((material.id.clone(), member.id.clone(), source, state, reviewer));
        }
    }
    index.merge();
    let options = CopyOptions::default();
    for (material, member, source, state, reviewer) in stored {
        let corpus = Corpus { index: &index, texts: &store_texts, options: &options };
        let me = Querier { id: Some(&material), author: Some(&member) };
        let review = review_against(&source, campaign, Audience::Member, &Options::default(), &corpus, &me);
        let copy = review.copy.as_ref();
        let report = serde_json::to_string(&review).map_err(|e| StoreError::State(e.to_string()))?;
        let stored_review = StoredReview {
            material_id: material.clone(),
            version: 1,
            report,
            copy_ratio: copy.map(|c| c.copy_ratio),
            net_copy_ratio: copy.map(|c| c.net_copy_ratio),
        };
        store.save_review(&stored_review, now).await?;
        match state {
            6 => {
                let comment = "第二部分的问题请写出具体事例，整改措施要与问题一一对应。";
                // A note on the first copied passage, as a secretary would leave it.
                let notes: Vec<PassageNote> = copy
                    .and_then(|c| c.copies.first())
                    .map(|c| PassageNote {
                        start: i64::try_from(c.start).unwrap_or(0),
                        end: i64::try_from(c.end).unwrap_or(0),
                        note: "这一段与他人材料雷同，请结合自己的实际重写。".into(),
                    })
                    .into_iter()
                    .collect();
                let decided = NewDecision { reviewer: &reviewer, decision: Decision::Return, comment, notes: &notes };
                store.decide_material(&material, 1, &decided, now).await?;
            }
            7..=9 => {
                let decided = NewDecision { reviewer: &reviewer, decision: Decision::Approve, comment: "", notes: &[] };
                store.decide_material(&material, 1, &decided, now).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use mingjing_storage::testing::each_backend;
    use mingjing_storage::{MaterialStatus, OrgKind};

    use super::*;

    #[tokio::test]
    async fn the_demo_county_is_complete_plausible_and_made_once() {
        each_backend(|store| async move {
            let printed = seed(&store, "hash", 1_767_196_800_000).await?;
            assert!(printed.iter().any(|a| a.role == Role::SuperiorAdmin) && printed.len() >= 7);
            let county = store.org(&store.account_by_login(ADMIN_LOGIN).await?.expect("admin").org_id).await?;
            let orgs = store.subtree(&county).await?;
            let branches = orgs.iter().filter(|o| o.kind == OrgKind::Branch).count();
            let committees = orgs.iter().filter(|o| o.kind == OrgKind::Committee).count();
            assert!((3..=4).contains(&committees) && (14..=16).contains(&branches), "{committees} / {branches}");
            let members = store.members_under(&county.path).await?;
            assert!((250..=400).contains(&members.len()), "{} members", members.len());
            let mut numbers = HashSet::new();
            for m in &members {
                let number = m.id_number.as_deref().expect("an ID number");
                assert_eq!(mingjing_roster::check_digit(&number[..17]), number.chars().last(), "{number}");
                assert!(number.starts_with("419901"), "a region code of no place");
                let birth = m.birth_date.as_deref().expect("a birth date").replace('-', "");
                assert_eq!(&number[6..14], birth, "the number encodes the birth date");
                let odd = number.as_bytes()[16] % 2 == 1;
                assert_eq!(m.gender.as_deref(), Some(if odd { "男" } else { "女" }));
                let joined: u32 = m.joined_on.as_deref().expect("joined")[..4].parse().expect("a year");
                let born: u32 = birth[..4].parse().expect("a year");
                assert!((18..=30).contains(&(joined - born)), "joined at {}", joined - born);
                numbers.insert(number.to_owned());
            }
            assert!(numbers.len() + 3 >= members.len(), "numbers are (nearly) all distinct");

            let campaigns = store.campaigns_opened_under(&county).await?;
            assert_eq!(campaigns.len(), 2, "the example's campaign and the current year's");
            let current = campaigns.iter().find(|c| c.year == 2025).expect("the current campaign");
            let statuses: HashSet<MaterialStatus> =
                store.materials_under(&current.id, &county.path).await?.into_iter().map(|m| m.status).collect();
            for status in
                [MaterialStatus::Draft, MaterialStatus::Submitted, MaterialStatus::Returned, MaterialStatus::Approved]
            {
                assert!(statuses.contains(&status), "{status:?}");
            }
            let copied = store.copy_ratios(&current.id).await?;
            assert!(copied.values().any(|(copy, _)| copy.is_some_and(|c| c > 0.2)), "some materials copy others");

            let again = seed(&store, "hash", 1_767_196_900_000).await?;
            assert!(!again.is_empty());
            assert_eq!(store.members_under(&county.path).await?.len(), members.len(), "seeded once");
            Ok(())
        })
        .await;
    }
}
