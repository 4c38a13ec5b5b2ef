//! Two `mingjing serve` processes over one PostgreSQL database behave as one system: a
//! session made through one works through the other, and a material submitted through
//! one is reviewed against a colleague's submitted through the other.

use mingjing_storage::testing::TestDb;
use mingjing_storage::{NewAccount, NewCampaign, NewMember, OrgKind, Role, Standing, Store};

use crate::helpers::{EXAMPLE, Server, client, login, page, submit};

pub(crate) const PASSWORD: &str = "Scale@2026x";

/// A branch with two members who can sign in, their secretary, and a campaign.
pub(crate) async fn seed(store: &Store) -> String {
    let hash = mingjing_web::hash_password(PASSWORD).expect("hash");
    let county = store.create_org(None, "示范县委", OrgKind::County, 0).await.expect("org");
    let branch = store.create_org(Some(&county.id), "示范党支部", OrgKind::Branch, 0).await.expect("org");
    for (login, name, role) in
        [("zhang", "张明", Role::Member), ("liu", "刘芳", Role::Member), ("shuji", "陈书记", Role::Secretary)]
    {
        let member = NewMember {
            org_id: &branch.id,
            name,
            standing: Standing::Full,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
        };
        let member = store.add_member(&member, 0).await.expect("member");
        let account = NewAccount {
            login,
            phone: None,
            display_name: name,
            role,
            org_id: &branch.id,
            member_id: Some(&member.id),
            password_hash: &hash,
            must_change_password: false,
        };
        store.create_account(&account, now_ms()).await.expect("account");
    }
    let definition =
        toml::to_string(&mingjing_review::Campaign::builtin("2021-county").expect("built in")).expect("toml");
    let new = NewCampaign {
        org_id: &county.id,
        year: 2021,
        title: "2021年度组织生活会",
        notice: "",
        definition: &definition,
    };
    store.create_campaign(&new, 0).await.expect("campaign").id
}

#[tokio::test]
async fn two_server_processes_over_one_postgresql_are_one_system() {
    let db = TestDb::postgres().await;
    let store = db.store().await;
    let campaign = seed(&store).await;
    let (a, b) = (Server::start(&db.url), Server::start(&db.url));

    let zhang = client();
    login(&zhang, &a.base, "zhang", PASSWORD).await;
    submit(&zhang, &a.base, &campaign, EXAMPLE_TEXT.get_or_init(load)).await;
    let liu = client();
    login(&liu, &b.base, "liu", PASSWORD).await;
    submit(&liu, &b.base, &campaign, EXAMPLE_TEXT.get_or_init(load)).await;

    // The secretary signs in through A and reads through B: the session is a row, not memory.
    let secretary = client();
    login(&secretary, &a.base, "shuji", PASSWORD).await;
    let list = page(&secretary, &format!("{}/campaigns/{campaign}", b.base)).await;
    let mut seen = Vec::new();
    for id in list.split("href=\"/materials/").skip(1).filter_map(|s| s.split('"').next()) {
        seen.push(page(&secretary, &format!("{}/materials/{id}", b.base)).await);
    }
    assert_eq!(seen.len(), 2, "both materials are listed: {list}");
    assert!(
        seen.iter().any(|html| html.contains("与张明的材料相同")),
        "liu's material, reviewed by B, found zhang's, submitted through A"
    );
    drop((a, b));
    store.close().await;
    db.remove().await;
}

/// The real clock: the servers run on it, and a password set at 0 would be decades old.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

static EXAMPLE_TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn load() -> String {
    std::fs::read_to_string(EXAMPLE).expect("the example material")
}
