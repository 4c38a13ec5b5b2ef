//! Democratic appraisal through the browser, on both backends: the settings, self and mutual evaluations, the
//! secret ballot on phones and with codes (one ballot each, checked whole, hidden until closed, stored with nothing
//! linking it to a voter, never logged), a restart that forces a re-run, paper totals, and the committee's decisions
//! with their follow-up.

use std::sync::{Arc, Mutex, OnceLock};

use mingjing_storage::{BallotRound, Member, NewAccount, NewMember, Role, Standing};
use mingjing_web::hash_password;
use reqwest::StatusCode;
use sqlx::{Connection, Row};

use crate::helpers::{App, Browser, DAY_MS, PASSWORD, START_MS, TestServer, each_backend, location};

/// Posts string pairs.
async fn post(browser: &Browser, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(path, &pairs).await
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).expect("hash"))
}

/// `n` more members in branch A, each with a member account `voter{i}`; the last one probationary when asked.
async fn voters(app: &App, n: usize, probationary_last: bool) -> Vec<(Member, String)> {
    let f = &app.fixture;
    let mut out = Vec::new();
    for i in 0..n {
        let name = format!("测评{i}");
        let standing = if probationary_last && i + 1 == n { Standing::Probationary } else { Standing::Full };
        let new = NewMember {
            org_id: &f.branch_a.id,
            name: &name,
            standing,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
        };
        let member = app.store.add_member(&new, 1).await.expect("a member");
        let login = format!("voter{i}");
        let account = NewAccount {
            login: &login,
            phone: None,
            display_name: &name,
            role: Role::Member,
            org_id: &f.branch_a.id,
            member_id: Some(&member.id),
            password_hash: password_hash(),
            must_change_password: false,
        };
        app.store.create_account(&account, START_MS - DAY_MS).await.expect("an account");
        out.push((member, login));
    }
    out
}

fn branch_path(app: &App) -> String {
    format!("/campaigns/{}/orgs/{}/appraisal", app.fixture.campaign.id, app.fixture.branch_a.id)
}

/// Opens an online round: `phone` and `slips` vote, `graded` are graded. Returns the response and the round.
async fn open_round(
    app: &App,
    secretary: &Browser,
    phone: &[&Member],
    slips: &[&Member],
    graded: &[&Member],
) -> (reqwest::Response, Option<BallotRound>) {
    let path = branch_path(app);
    let mut fields = pairs(&[("csrf", &secretary.token(&path).await), ("method", "online")]);
    for m in phone.iter().chain(slips) {
        fields.push((format!("p_{}", m.id), "on".into()));
    }
    for m in slips {
        fields.push((format!("s_{}", m.id), "on".into()));
    }
    for m in graded {
        fields.push((format!("r_{}", m.id), "on".into()));
    }
    let response = post(secretary, &format!("{path}/rounds"), &fields).await;
    let rounds = app.store.ballot_rounds(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.expect("rounds");
    (response, rounds.into_iter().find(BallotRound::is_open))
}

/// A whole ballot giving each graded member the grade at the same index.
fn ballot(csrf: &str, graded: &[&Member], grades: &[&str]) -> Vec<(String, String)> {
    let mut fields = pairs(&[("csrf", csrf)]);
    for (m, g) in graded.iter().zip(grades) {
        fields.push((format!("g_{}", m.id), (*g).to_owned()));
    }
    fields
}

async fn vote(app: &App, login: &str, round: &BallotRound, graded: &[&Member], grades: &[&str]) -> reqwest::Response {
    let browser = Browser::signed_in(&app.base, login).await;
    let path = format!("/ballots/{}", round.id);
    let token = browser.token(&path).await;
    post(&browser, &path, &ballot(&token, graded, grades)).await
}

/// The counts of a member's row in the results table.
fn counts(html: &str, member_id: &str) -> [i64; 4] {
    let start = html.find(&format!("data-member=\"{member_id}\"")).unwrap_or_else(|| panic!("no row: {html}"));
    let mut out = [0; 4];
    let mut rest = &html[start..];
    for n in &mut out {
        let at = rest.find("class=\"count\">").expect("a count") + "class=\"count\">".len();
        rest = &rest[at..];
        *n = rest[..rest.find('<').expect("closes")].parse().expect("a number");
    }
    out
}

async fn close(app: &App, secretary: &Browser, round: &BallotRound) -> reqwest::Response {
    let path = branch_path(app);
    let token = secretary.token(&path).await;
    post(secretary, &format!("{path}/rounds/{}/close", round.id), &pairs(&[("csrf", &token)])).await
}

#[tokio::test]
async fn settings_are_the_campaign_owners_and_saved_with_a_version_check() {
    each_backend(|app| async move {
        let f = &app.fixture;
        let path = format!("/campaigns/{}/settings/appraisal", f.campaign.id);
        // The campaign was opened by the county; the committee's superior admin does not own it.
        let committee_admin = app.signed_in("gongwei").await;
        assert_eq!(committee_admin.get(&path).await.status(), StatusCode::NOT_FOUND);
        let secretary = app.signed_in("shuji_a").await;
        assert_eq!(secretary.get(&path).await.status(), StatusCode::FORBIDDEN);

        let county_admin = NewAccount {
            login: "xianwei",
            phone: None,
            display_name: "县委组织部",
            role: Role::SuperiorAdmin,
            org_id: &f.county.id,
            member_id: None,
            password_hash: password_hash(),
            must_change_password: false,
        };
        app.store.create_account(&county_admin, START_MS - DAY_MS).await.unwrap();
        let admin = app.signed_in("xianwei").await;
        let (status, html) = admin.page(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("参加投票（通常做法）") && html.contains("只用于提示"));
        let token = admin.token(&path).await;
        let form = |version: &str, cap: &str| {
            pairs(&[
                ("csrf", &token),
                ("version", version),
                ("probationary_vote", "yes"),
                ("probationary_graded", "no"),
                ("quorum", "two_thirds"),
                ("cap", cap),
            ])
        };
        let bad = post(&admin, &path, &form("0", "half_of_them")).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text().await.unwrap().contains("请从列表中选择"));
        let saved = post(&admin, &path, &form("0", "third")).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let stale = post(&admin, &path, &form("0", "quarter")).await;
        assert_eq!(stale.status(), StatusCode::CONFLICT);
        assert!(stale.text().await.unwrap().contains("已被他人修改"));
        let settings = app.store.appraisal_settings(&f.campaign.id).await.unwrap();
        assert_eq!((settings.version, settings.excellent_cap.num, settings.excellent_cap.den), (1, 1, 3));
        assert_eq!(app.audit("appraisal.settings").await.len(), 1);
        // The branch page shows them.
        let (_, branch) = secretary.page(&branch_path(&app)).await;
        assert!(branch.contains("应到人数的三分之二以上（含）") && branch.contains("不超过被测评人数的三分之一"));
    })
    .await;
}

#[tokio::test]
async fn self_and_mutual_evaluations_reach_the_addressee_and_the_secretary_only() {
    each_backend(|app| async move {
        let f = &app.fixture;
        let people = voters(&app, 2, false).await;
        let mine = format!("/campaigns/{}/appraisal/mine", f.campaign.id);
        let wang = app.signed_in("wangjianguo").await;
        assert_eq!(location(&wang.get(&format!("/campaigns/{}/appraisal", f.campaign.id)).await), mine);
        let token = wang.token(&mine).await;
        let self_path = format!("/campaigns/{}/appraisal/self", f.campaign.id);
        let empty = post(&wang, &self_path, &pairs(&[("csrf", &token), ("body", "  ")])).await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.text().await.unwrap().contains("请填写个人自评"));
        let long = "长".repeat(3001);
        let oversized = post(&wang, &self_path, &pairs(&[("csrf", &token), ("body", &long)])).await;
        assert_eq!(oversized.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(oversized.text().await.unwrap().contains(&long), "what was typed comes back");
        let saved =
            post(&wang, &self_path, &pairs(&[("csrf", &token), ("body", "一年来认真履行窗口服务职责。")])).await;
        assert_eq!(saved.status(), StatusCode::OK);

        let mutual = format!("/campaigns/{}/appraisal/mutual", f.campaign.id);
        let addressee = &people[0].0;
        let foreign = post(&wang, &mutual, &pairs(&[("csrf", &token), ("to", &f.member_b.id), ("body", "意见")])).await;
        assert_eq!(foreign.status(), StatusCode::UNPROCESSABLE_ENTITY, "another branch's member");
        let to_self = post(&wang, &mutual, &pairs(&[("csrf", &token), ("to", &f.member_a.id), ("body", "意见")])).await;
        assert_eq!(to_self.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let sent =
            post(&wang, &mutual, &pairs(&[("csrf", &token), ("to", &addressee.id), ("body", "希望多下基层调研。")]))
                .await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);

        let (_, theirs) = Browser::signed_in(&app.base, &people[0].1).await.page(&mine).await;
        assert!(theirs.contains("希望多下基层调研。") && theirs.contains("王建国"));
        let (_, bystander) = Browser::signed_in(&app.base, &people[1].1).await.page(&mine).await;
        assert!(!bystander.contains("希望多下基层调研。"));
        let (_, branch) = app.signed_in("shuji_a").await.page(&branch_path(&app)).await;
        assert!(branch.contains("希望多下基层调研。") && branch.contains("一年来认真履行窗口服务职责。"));
        // Another branch's member and the auditor are kept out of the branch page.
        let (status, _) = app.signed_in("lixiuying").await.page(&branch_path(&app)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(app.signed_in("shenji").await.get(&branch_path(&app)).await.status(), StatusCode::FORBIDDEN);
        // Another branch's id in the URL is a missing page, and recorded as such.
        let secretary = app.signed_in("shuji_a").await;
        let other = format!("/campaigns/{}/orgs/{}/appraisal", f.campaign.id, f.branch_b.id);
        assert_eq!(secretary.get(&other).await.status(), StatusCode::NOT_FOUND);
        let token = secretary.token(&branch_path(&app)).await;
        let foreign_round = post(
            &secretary,
            &format!("{other}/rounds"),
            &pairs(&[("csrf", &token), ("method", "online"), (&format!("p_{}", f.member_b.id), "on")]),
        )
        .await;
        assert_eq!(foreign_round.status(), StatusCode::NOT_FOUND);
        assert!(app.audit("access_denied").await.len() >= 2);
        // The links: the member's campaign page and the secretary's list both lead to the appraisal.
        let link = format!("href=\"/campaigns/{}/appraisal\"", f.campaign.id);
        // (The fixture's campaign has no aspects to write to; a built-in year does.)
        let builtin = mingjing_review::Campaign::builtin("2025-annual").expect("a built-in year");
        let definition = toml::to_string(&builtin).expect("TOML");
        let new = mingjing_storage::NewCampaign {
            org_id: &f.county.id,
            year: 2025,
            title: "2025年度",
            notice: "",
            definition: &definition,
        };
        let real = app.store.create_campaign(&new, START_MS).await.expect("a campaign");
        let (status, member_page) = wang.page(&format!("/campaigns/{}", real.id)).await;
        assert_eq!(status, StatusCode::OK);
        let real_link = format!("href=\"/campaigns/{}/appraisal\"", real.id);
        assert!(member_page.contains(&real_link) && member_page.contains("民主评议（自评、互评、投票）"));
        let (_, secretary_page) = secretary.page(&format!("/campaigns/{}", f.campaign.id)).await;
        assert!(secretary_page.contains(&link));
        assert_eq!(
            location(&secretary.get(&format!("/campaigns/{}/appraisal", f.campaign.id)).await),
            branch_path(&app)
        );
        // The committee's superior admin follows every branch of the subtree from one list.
        let (status, list) =
            app.signed_in("gongwei").await.page(&format!("/campaigns/{}/appraisal", f.campaign.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.contains(&branch_path(&app)) && list.contains("县财政局党支部") && list.contains("未开始测评"));
    })
    .await;
}

#[tokio::test]
async fn a_phone_ballot_is_checked_whole_counted_once_and_hidden_until_closed() {
    each_backend(|app| async move {
        let people = voters(&app, 3, true).await;
        let secretary = app.signed_in("shuji_a").await;
        let full: Vec<&Member> = people.iter().take(2).map(|(m, _)| m).collect();
        let all: Vec<&Member> = people.iter().map(|(m, _)| m).collect();
        // The probationary member may vote but is not graded under the default settings.
        let (refused, none) = open_round(&app, &secretary, &all, &[], &all).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().await.unwrap().contains("按本次设置不参加测评") && none.is_none());
        let (empty, none) = open_round(&app, &secretary, &[], &[], &full).await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.text().await.unwrap().contains("请勾选到会投票的党员") && none.is_none());
        let (opened, round) = open_round(&app, &secretary, &all, &[], &full).await;
        assert_eq!(opened.status(), StatusCode::SEE_OTHER);
        let round = round.expect("an open round");
        let (twice, _) = open_round(&app, &secretary, &all, &[], &full).await;
        assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY, "one open round per branch");

        // An incomplete ballot is refused and nothing is counted.
        let partial = vote(&app, &people[0].1, &round, &full[..1], &["excellent"]).await;
        assert_eq!(partial.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(partial.text().await.unwrap().contains("尚未选择：测评1"));
        let unknown = vote(&app, &people[0].1, &round, &full, &["excellent", "best"]).await;
        assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.store.ballots_cast(&round.id).await.unwrap(), 0);

        let first = vote(&app, &people[0].1, &round, &full, &["excellent", "competent"]).await;
        assert_eq!(first.status(), StatusCode::OK);
        assert!(first.text().await.unwrap().contains("投票成功"));
        let again = vote(&app, &people[0].1, &round, &full, &["incompetent", "incompetent"]).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert!(again.text().await.unwrap().contains("您已经投过票了"));
        // Two submissions at the same moment from one voter: one is counted.
        let b = Browser::signed_in(&app.base, &people[1].1).await;
        let path = format!("/ballots/{}", round.id);
        let token = b.token(&path).await;
        let fields = ballot(&token, &full, &["competent", "basically_competent"]);
        let (x, y) = tokio::join!(post(&b, &path, &fields), post(&b, &path, &fields));
        let mut statuses = [x.status(), y.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
        // Someone not present, and a member of another branch, have no ballot.
        let wang = app.signed_in("wangjianguo").await;
        assert_eq!(wang.get(&path).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.signed_in("lixiuying").await.get(&path).await.status(), StatusCode::NOT_FOUND);

        // Before the close: participation only, no result.
        let (_, before) = secretary.page(&branch_path(&app)).await;
        assert!(before.contains("已投 <strong class=\"cast\">2</strong> 张"), "{before}");
        assert!(!before.contains("<h3>测评结果") && !before.contains("class=\"count\""));
        let probationary = vote(&app, &people[2].1, &round, &full, &["excellent", "competent"]).await;
        assert_eq!(probationary.status(), StatusCode::OK, "预备党员 vote");

        assert_eq!(close(&app, &secretary, &round).await.status(), StatusCode::SEE_OTHER);
        let late = vote(&app, &people[2].1, &round, &full, &["excellent", "competent"]).await;
        assert_eq!(late.status(), StatusCode::CONFLICT);
        assert!(late.text().await.unwrap().contains("本轮投票已经结束"));
        let (_, after) = secretary.page(&branch_path(&app)).await;
        assert_eq!(counts(&after, &full[0].id), [2, 1, 0, 0]);
        assert_eq!(counts(&after, &full[1].id), [0, 2, 1, 0]);
        assert!(after.contains("选择总数 6 = 3 × 2，核对无误"), "{after}");
        assert_eq!(app.audit("ballot.cast").await.iter().filter(|e| e.outcome == "ok").count(), 3);
        assert!(app.audit("ballot.cast").await.iter().all(|e| e.detail.is_empty()), "choices are never audited");
    })
    .await;
}

/// The codes printed on the codes page.
fn printed_codes(html: &str) -> Vec<String> {
    html.split("<p class=\"slip-code\">").skip(1).map(|s| s[..s.find('<').expect("closes")].to_owned()).collect()
}

/// A browser without an account, holding the public ballot page's token.
async fn code_voter(app: &App) -> (Browser, String) {
    let browser = app.browser();
    let token = browser.token("/ballot").await;
    (browser, token)
}

#[tokio::test]
async fn code_ballots_are_single_use_and_need_no_login() {
    each_backend(|app| async move {
        let people = voters(&app, 3, false).await;
        let secretary = app.signed_in("shuji_a").await;
        let all: Vec<&Member> = people.iter().map(|(m, _)| m).collect();
        let (opened, round) = open_round(&app, &secretary, &all[..1], &all[1..], &all).await;
        let round = round.expect("open");
        let codes_page = location(&opened).to_owned();
        assert!(codes_page.ends_with("/codes"), "{codes_page}");
        let (_, html) = secretary.page(&codes_page).await;
        let codes = printed_codes(&html);
        assert_eq!(codes.len(), 2, "{html}");
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        // The database keeps neither the codes nor anything that finds them without the salt.
        let mut conn = sqlx::AnyConnection::connect(&app.db_url).await.unwrap();
        let stored = sqlx::query("SELECT code_hash FROM ballot_codes").fetch_all(&mut conn).await.unwrap();
        for row in &stored {
            let hash: String = row.get("code_hash");
            assert!(codes.iter().all(|c| !hash.contains(&c.replace('-', ""))) && hash.len() == 64);
        }

        let (browser, token) = code_voter(&app).await;
        let wrong = browser.post("/ballot", &[("csrf", &token), ("code", "ABCDE-FGHJK")]).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().await.unwrap().contains("投票码不正确"));
        let typed = codes[0].to_lowercase().replace('-', " ");
        let form = browser.post("/ballot", &[("csrf", &token), ("code", &typed)]).await;
        assert_eq!(form.status(), StatusCode::OK);
        assert!(form.text().await.unwrap().contains("测评2"), "the ballot lists the graded");
        let mut fields = ballot(&token, &all, &["excellent", "competent", "competent"]);
        fields.push(("code".into(), typed.clone()));
        let cast = post(&browser, "/ballot/vote", &fields).await;
        assert_eq!(cast.status(), StatusCode::OK);
        let reuse = post(&browser, "/ballot/vote", &fields).await;
        assert!(matches!(reuse.status(), StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT));
        assert!(reuse.text().await.unwrap().contains("已经使用过"));
        let reenter = browser.post("/ballot", &[("csrf", &token), ("code", &codes[0])]).await;
        assert!(reenter.text().await.unwrap().contains("已经使用过"));
        // Without the page's token the form is refused.
        let forged = app.browser().post("/ballot", &[("csrf", "x"), ("code", &codes[1])]).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        // A code voter has no phone ballot.
        let slip_holder = Browser::signed_in(&app.base, &people[1].1).await;
        assert_eq!(slip_holder.get(&format!("/ballots/{}", round.id)).await.status(), StatusCode::NOT_FOUND);

        assert_eq!(close(&app, &secretary, &round).await.status(), StatusCode::SEE_OTHER);
        let closed = post(&browser, "/ballot/vote", &fields).await;
        assert_eq!(closed.status(), StatusCode::UNPROCESSABLE_ENTITY, "closed rounds take no codes");
        let (_, after) = secretary.page(&branch_path(&app)).await;
        assert_eq!(counts(&after, &all[0].id), [1, 0, 0, 0]);
        assert!(after.contains("选择总数 3 = 1 × 3，核对无误"));
        let code_audit = app.audit("ballot.cast_code").await;
        assert!(code_audit.iter().all(|e| e.account_id.is_none() && e.source_ip.is_none()));
    })
    .await;
}

#[tokio::test]
async fn no_column_or_row_order_links_a_ballot_to_a_voter() {
    each_backend(|app| async move {
        let people = voters(&app, 4, false).await;
        let secretary = app.signed_in("shuji_a").await;
        let all: Vec<&Member> = people.iter().map(|(m, _)| m).collect();
        let grades = ["excellent", "competent", "basically_competent", "incompetent"];
        let mut follows_voting_order = 0;
        for _ in 0..4 {
            let (_, round) = open_round(&app, &secretary, &all, &[], &all).await;
            let round = round.expect("open");
            // Voter k gives every member grade k, in this order.
            let mut voting = Vec::new();
            for (k, (_, login)) in people.iter().enumerate() {
                assert_eq!(vote(&app, login, &round, &all, &[grades[k]; 4]).await.status(), StatusCode::OK);
                voting.extend(all.iter().map(|m| (m.id.clone(), grades[k].to_owned())));
            }
            assert_eq!(close(&app, &secretary, &round).await.status(), StatusCode::SEE_OTHER);
            let mut conn = sqlx::AnyConnection::connect(&app.db_url).await.unwrap();
            let physical = if app.db_url.starts_with("sqlite:") {
                "SELECT member_id, grade FROM ballot_choices WHERE round_id = $1"
            } else {
                "SELECT member_id, grade FROM ballot_choices WHERE round_id = $1 ORDER BY ctid"
            };
            let rows = sqlx::query(physical).bind(&round.id).fetch_all(&mut conn).await.unwrap();
            let stored: Vec<(String, String)> = rows.iter().map(|r| (r.get("member_id"), r.get("grade"))).collect();
            assert_eq!(stored.len(), voting.len());
            if stored == voting {
                follows_voting_order += 1;
            }
            // Participation says who voted, and nothing about what.
            let voters = app.store.round_voters(&round.id).await.unwrap();
            assert!(voters.iter().all(|v| v.voted));
        }
        assert!(follows_voting_order <= 1, "the stored order followed the voting order {follows_voting_order} times");
        let mut conn = sqlx::AnyConnection::connect(&app.db_url).await.unwrap();
        let columns = if app.db_url.starts_with("sqlite:") {
            "SELECT name FROM pragma_table_info('ballot_choices') ORDER BY name"
        } else {
            "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns \
             WHERE table_name = 'ballot_choices' ORDER BY 1"
        };
        let names: Vec<String> =
            sqlx::query(columns).fetch_all(&mut conn).await.unwrap().iter().map(|r| r.get("name")).collect();
        assert_eq!(names, ["grade", "member_id", "round_id", "shuffle_key"], "no voter, ballot, code or time");
        if app.db_url.starts_with("sqlite:") {
            assert!(sqlx::query("SELECT rowid FROM ballot_choices").fetch_all(&mut conn).await.is_err());
        }
    })
    .await;
}

#[tokio::test]
async fn a_restart_before_the_close_means_the_round_is_re_run() {
    each_backend(|app| async move {
        let people = voters(&app, 2, false).await;
        let secretary = app.signed_in("shuji_a").await;
        let all: Vec<&Member> = people.iter().map(|(m, _)| m).collect();
        let (_, round) = open_round(&app, &secretary, &all, &[], &all).await;
        let round = round.expect("open");
        assert_eq!(vote(&app, &people[0].1, &round, &all, &["competent", "competent"]).await.status(), StatusCode::OK);

        // The same database served by a new process: the ballot in the first one's memory is out of its reach.
        let restarted = TestServer::on_url(&app.db_url).await;
        let base = restarted.origin();
        let secretary2 = Browser::signed_in(&base, "shuji_a").await;
        let (_, page) = secretary2.page(&branch_path(&app)).await;
        assert!(page.contains("本轮需要重新投票") && page.contains("已投的 1 张选票"), "{page}");
        let token = secretary2.token(&branch_path(&app)).await;
        let close =
            post(&secretary2, &format!("{}/rounds/{}/close", branch_path(&app), round.id), &pairs(&[("csrf", &token)]))
                .await;
        assert_eq!(close.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let voter = Browser::signed_in(&base, &people[1].1).await;
        let path = format!("/ballots/{}", round.id);
        let t = voter.token(&path).await;
        let refused = post(&voter, &path, &ballot(&t, &all, &["competent", "competent"])).await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        assert!(refused.text().await.unwrap().contains("重新组织投票"));
        let void =
            post(&secretary2, &format!("{}/rounds/{}/void", branch_path(&app), round.id), &pairs(&[("csrf", &token)]))
                .await;
        assert_eq!(void.status(), StatusCode::SEE_OTHER);

        // A round with no ballot cast yet simply moves to the new process.
        let (opened, fresh) = open_round(&app, &secretary, &all, &[], &all).await;
        assert_eq!(opened.status(), StatusCode::SEE_OTHER);
        let fresh = fresh.expect("open");
        let t = voter.token(&format!("/ballots/{}", fresh.id)).await;
        let moved =
            post(&voter, &format!("/ballots/{}", fresh.id), &ballot(&t, &all, &["excellent", "competent"])).await;
        assert_eq!(moved.status(), StatusCode::OK);
        // The first process no longer holds it, and says so rather than splitting the ballots.
        let stale = vote(&app, &people[0].1, &fresh, &all, &["competent", "competent"]).await;
        assert_eq!(stale.status(), StatusCode::CONFLICT);
        let t = secretary2.token(&branch_path(&app)).await;
        let closed =
            post(&secretary2, &format!("{}/rounds/{}/close", branch_path(&app), fresh.id), &pairs(&[("csrf", &t)]))
                .await;
        assert_eq!(closed.status(), StatusCode::SEE_OTHER);
        let (_, after) = secretary2.page(&branch_path(&app)).await;
        assert_eq!(counts(&after, &all[0].id), [1, 0, 0, 0]);
        restarted.stop().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn paper_totals_must_add_up_to_the_ballots() {
    each_backend(|app| async move {
        let people = voters(&app, 3, false).await;
        let secretary = app.signed_in("shuji_a").await;
        let path = branch_path(&app);
        let mut fields = pairs(&[("csrf", &secretary.token(&path).await), ("method", "paper")]);
        for (m, _) in &people {
            fields.push((format!("p_{}", m.id), "on".into()));
            fields.push((format!("r_{}", m.id), "on".into()));
        }
        assert_eq!(post(&secretary, &format!("{path}/rounds"), &fields).await.status(), StatusCode::SEE_OTHER);
        let round =
            app.store.ballot_rounds(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.unwrap()[0].clone();
        let (_, page) = secretary.page(&path).await;
        assert!(page.contains("保存计票结果并结束测评"));
        let tally = |ballots: &str, first: [&str; 4]| {
            let mut t = pairs(&[("csrf", &form_token_of(&page)), ("ballots", ballots)]);
            for (i, (m, _)) in people.iter().enumerate() {
                let line = if i == 0 { first } else { ["1", "2", "0", "0"] };
                for (g, n) in ["excellent", "competent", "basically_competent", "incompetent"].iter().zip(line) {
                    t.push((format!("t_{}_{g}", m.id), n.to_owned()));
                }
            }
            t
        };
        let tally_path = format!("{path}/rounds/{}/tally", round.id);
        let too_many = post(&secretary, &tally_path, &tally("4", ["1", "2", "1", "0"])).await;
        assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(too_many.text().await.unwrap().contains("有效票数"));
        let uneven = post(&secretary, &tally_path, &tally("3", ["1", "1", "0", "0"])).await;
        assert_eq!(uneven.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(uneven.text().await.unwrap().contains("合计 2，与有效票数 3 不一致"));
        let negative = post(&secretary, &tally_path, &tally("3", ["-1", "4", "0", "0"])).await;
        assert_eq!(negative.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(app.store.ballot_round(&round.id).await.unwrap().is_open(), "nothing saved");
        let good = post(&secretary, &tally_path, &tally("3", ["2", "1", "0", "0"])).await;
        assert_eq!(good.status(), StatusCode::SEE_OTHER);
        let (_, after) = secretary.page(&path).await;
        assert_eq!(counts(&after, &people[0].0.id), [2, 1, 0, 0]);
        assert!(after.contains("纸质票") && after.contains("核对无误"));
    })
    .await;
}

fn form_token_of(html: &str) -> String {
    crate::helpers::form_token(html).expect("a token")
}

#[tokio::test]
async fn decisions_need_reasons_and_an_incompetent_grade_starts_a_follow_up() {
    each_backend(|app| async move {
        let people = voters(&app, 3, false).await;
        let secretary = app.signed_in("shuji_a").await;
        let all: Vec<&Member> = people.iter().map(|(m, _)| m).collect();
        let path = branch_path(&app);
        let decide = |member: &str, grade: &str, reason: &str, extra: &[(&str, &str)]| {
            let mut fields = pairs(&[("member", member), ("grade", grade), ("reason", reason)]);
            fields.extend(pairs(extra));
            fields
        };
        let with_token = |mut fields: Vec<(String, String)>, token: &str| {
            fields.push(("csrf".into(), token.to_owned()));
            fields
        };
        let token = secretary.token(&path).await;
        let early = post(
            &secretary,
            &format!("{path}/decisions"),
            &with_token(decide(&all[0].id, "competent", "", &[]), &token),
        )
        .await;
        assert_eq!(early.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(early.text().await.unwrap().contains("民主测评结束后"));

        // Settings with a cap of one third (one of three).
        let mut settings = app.store.appraisal_settings(&app.fixture.campaign.id).await.unwrap();
        settings.excellent_cap = mingjing_storage::Fraction { num: 1, den: 3 };
        app.store.save_appraisal_settings(&app.fixture.campaign.id, &settings, 1).await.unwrap();
        let (_, round) = open_round(&app, &secretary, &all[..2], &[], &all).await;
        let round = round.expect("open");
        for (_, login) in &people[..2] {
            let status = vote(&app, login, &round, &all, &["excellent", "excellent", "competent"]).await.status();
            assert_eq!(status, StatusCode::OK);
        }
        close(&app, &secretary, &round).await;
        let (_, page) = secretary.page(&path).await;
        assert!(page.contains("“优秀”得票过半的有 2 人，超过设置的比例（最多 1 人）"), "{page}");
        assert!(page.contains("到会投票 2 人，应到 4 人，未达到设置的到会人数要求"), "2 of 4 is not more than half");
        assert!(!page.contains("组织评定为“优秀”"));

        let token = secretary.token(&path).await;
        let send = |fields: Vec<(String, String)>| {
            let secretary = &secretary;
            let path = format!("{path}/decisions");
            let fields = with_token(fields, &token);
            async move { post(secretary, &path, &fields).await }
        };
        let outsider = send(decide(&app.fixture.member_a.id, "competent", "", &[])).await;
        assert_eq!(outsider.status(), StatusCode::UNPROCESSABLE_ENTITY, "王建国 was not graded in the round");
        let no_grade = send(decide(&all[0].id, "", "", &[])).await;
        assert_eq!(no_grade.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let no_reason = send(decide(&all[2].id, "basically_competent", " ", &[])).await;
        assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_reason.text().await.unwrap().contains("须写明理由"));
        let no_followup = send(decide(&all[2].id, "incompetent", "长期不参加组织生活", &[])).await;
        assert!(no_followup.text().await.unwrap().contains("须选择处置方式"));
        let too_late = send(decide(
            &all[2].id,
            "incompetent",
            "长期不参加组织生活",
            &[("followup", "correction"), ("deadline", "2027-01-02")],
        ))
        .await;
        assert_eq!(too_late.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(too_late.text().await.unwrap().contains("一年以内（不晚于 2027-01-01）"));
        let no_note = send(decide(&all[2].id, "incompetent", "长期不参加组织生活", &[("followup", "expel")])).await;
        assert!(no_note.text().await.unwrap().contains("支部党员大会"));
        assert!(
            app.store.grade_decisions_in(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.unwrap().is_empty()
        );

        let correction = send(decide(
            &all[2].id,
            "incompetent",
            "长期不参加组织生活",
            &[("followup", "correction"), ("deadline", "2026-06-30"), ("note", "由支部书记帮助")],
        ))
        .await;
        assert_eq!(correction.status(), StatusCode::SEE_OTHER);
        for m in &all[..2] {
            assert_eq!(send(decide(&m.id, "excellent", "", &[])).await.status(), StatusCode::SEE_OTHER);
        }
        let (_, page) = secretary.page(&path).await;
        assert!(page.contains("组织评定为“优秀”的有 2 人，超过设置的比例（最多 1 人）"));
        assert!(page.contains("限期改正（期限 2026-06-30），改正中"));

        // 除名 waits for the party committee above, which decides once.
        let expel = send(decide(
            &all[2].id,
            "incompetent",
            "长期不参加组织生活",
            &[("followup", "expel"), ("note", "经支部党员大会讨论决定")],
        ))
        .await;
        assert_eq!(expel.status(), StatusCode::SEE_OTHER);
        let (_, page) = secretary.page(&path).await;
        assert!(page.contains("除名") && page.contains("待上级党组织审批"));
        let followup =
            app.store.followups_in(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.unwrap()[0].clone();
        let approve_path = format!("{path}/followups/{}", followup.id);
        let by_secretary = post(&secretary, &approve_path, &pairs(&[("csrf", &token), ("approve", "yes")])).await;
        assert_eq!(by_secretary.status(), StatusCode::FORBIDDEN);
        let superior = app.signed_in("gongwei").await;
        let (_, seen) = superior.page(&path).await;
        assert!(seen.contains("批准") && !seen.contains("开始民主测评"), "the superior follows, the secretary runs");
        let t = superior.token(&path).await;
        assert_eq!(
            post(&superior, &approve_path, &pairs(&[("csrf", &t), ("approve", "yes")])).await.status(),
            StatusCode::SEE_OTHER
        );
        let twice = post(&superior, &approve_path, &pairs(&[("csrf", &t), ("approve", "no")])).await;
        assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(app.store.followup(&followup.id).await.unwrap().status == "approved");
        assert_eq!(app.audit("appraisal.decision").await.len(), 4);
    })
    .await;
}

#[tokio::test]
async fn the_ballot_never_reaches_the_logs() {
    let captured = crate::helpers::captured_logs();
    let ids = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::clone(&ids);
    each_backend(move |app| {
        let seen = Arc::clone(&seen);
        async move {
            let people = voters(&app, 2, false).await;
            seen.lock().unwrap().extend(people.iter().map(|(m, _)| m.id.clone()));
            let secretary = app.signed_in("shuji_a").await;
            let all: Vec<&Member> = people.iter().map(|(m, _)| m).collect();
            let (_, round) = open_round(&app, &secretary, &all, &[], &all).await;
            let round = round.expect("open");
            let bad = vote(&app, &people[0].1, &round, &all, &["basically_competent", "nonsense_grade"]).await;
            assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
            for (_, login) in &people {
                let cast = vote(&app, login, &round, &all, &["basically_competent", "incompetent"]).await;
                assert_eq!(cast.status(), StatusCode::OK);
            }
            close(&app, &secretary, &round).await;
        }
    })
    .await;
    let logs = String::from_utf8_lossy(&captured.lock().unwrap()).into_owned();
    let answered: Vec<&str> = logs.lines().filter(|l| l.contains("answered")).take(3).collect();
    assert!(logs.contains("/ballots/{id}"), "the ballot requests were logged by route: {answered:?}");
    // The grade codes are in the migrations' comments, which sqlx logs; what must never appear is a ballot: its
    // field names hold the graded members' ids, and the bad one carries a value found nowhere else.
    for secret in ["nonsense_grade", "基本合格"] {
        let line = logs.lines().find(|l| l.contains(secret));
        assert!(line.is_none(), "the logs contain {secret}: {line:?}");
    }
    for id in ids.lock().unwrap().iter() {
        let line = logs.lines().find(|l| l.contains(id.as_str()));
        assert!(line.is_none(), "the logs name a graded member: {line:?}");
    }
}
