//! Heart-to-heart talks (谈心谈话) through the browser, on both backends: the coverage per branch as the campaign's
//! settings require it, who still needs a talk, the points raised shown only to the two and to the secretary and
//! superiors, the superior's settings, and every kind of bad input refused in Chinese with nothing stored changed.

use mingjing_storage::{CommitteePost, NewMember, NewTalk, Standing};
use reqwest::StatusCode;

use crate::helpers::{App, START_MS, each_backend, form_token};
use crate::study::{campaign, submission};

async fn add_member(app: &App, name: &'static str, post: Option<CommitteePost>) -> String {
    let new = NewMember {
        org_id: &app.fixture.branch_a.id,
        name,
        standing: Standing::Full,
        joined_on: None,
        post: None,
        phone: None,
        leading_cadre: false,
    };
    let id = app.store.add_member(&new, START_MS).await.expect("a member").id;
    app.store.set_committee_post(&id, post).await.expect("a post");
    id
}

#[tokio::test]
async fn the_coverage_shows_who_still_needs_a_talk_and_members_see_their_own() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let campaign = campaign(&app).await;
        let chen = add_member(&app, "陈书记", Some(CommitteePost::Secretary)).await;
        let zhou = add_member(&app, "周委员", Some(CommitteePost::Committee)).await;
        let liu = add_member(&app, "刘党员", None).await;
        let base = format!("/campaigns/{}/orgs/{}/talks", campaign.id, f.branch_a.id);

        let secretary = app.signed_in("shuji_a").await;
        let (status, page) = secretary.page(&base).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("应谈 6 对，已谈 0 对") && page.contains("还差 6 对"), "every pair of four: {page}");
        assert!(page.contains("谈心谈话截止日期：2026-01-20"));
        assert!(page.contains(r#"class="missing""#) && page.contains("未谈 3"), "missing is marked in words");

        let token = form_token(&page).unwrap();
        let fields = |one: &str, other: &str, submission: &str, points: &str| {
            vec![
                ("csrf".to_owned(), token.clone()),
                ("submission".to_owned(), submission.to_owned()),
                ("one".to_owned(), one.to_owned()),
                ("other".to_owned(), other.to_owned()),
                ("held_on".to_owned(), "2025-12-20".to_owned()),
                ("points".to_owned(), points.to_owned()),
            ]
        };
        let post = |fields: Vec<(String, String)>| {
            let (secretary, base) = (&secretary, &base);
            async move {
                let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let response = secretary.post(base, &pairs).await;
                (response.status(), response.text().await.unwrap())
            }
        };
        let first = fields(&chen, &f.member_a.id, &submission(&page), "理论学习抓得不紧，工作中有畏难情绪");
        assert_eq!(post(first.clone()).await.0, StatusCode::SEE_OTHER);
        assert_eq!(post(first).await.0, StatusCode::SEE_OTHER, "a double submit");
        assert_eq!(app.store.talks(&campaign.id, &f.branch_a.id).await.unwrap().len(), 1, "recorded once");
        assert_eq!(app.audit("talk.save").await.len(), 1);
        let (status, _) = post(fields(&zhou, &liu, "t2", "关心家庭困难")).await;
        assert_eq!(status, StatusCode::SEE_OTHER);

        let (_, page) = secretary.page(&base).await;
        assert!(page.contains("已谈 2 对") && page.contains("还差 4 对"), "{page}");
        assert!(page.contains("理论学习抓得不紧") && page.contains("关心家庭困难"));
        assert!(page.contains("陈书记</strong>（党支部书记）：还差 2 人"), "{page}");

        // The member sees their own talk and its points, and whom they still owe a talk; no one else's.
        let member = app.signed_in("wangjianguo").await;
        let index = member.get(&format!("/campaigns/{}/talks", campaign.id)).await;
        assert_eq!(index.headers().get("location").unwrap().to_str().unwrap(), base);
        let (status, mine) = member.page(&base).await;
        assert_eq!(status, StatusCode::OK);
        assert!(mine.contains("我的谈心谈话") && mine.contains("理论学习抓得不紧"), "{mine}");
        assert!(!mine.contains("关心家庭困难"), "another pair's points stay hidden");
        assert!(mine.contains("还需与以下 2 人谈话") && mine.contains("周委员") && !mine.contains("谈话覆盖情况"));
        let (_, campaign_page) = member.page(&format!("/campaigns/{}", campaign.id)).await;
        assert!(campaign_page.contains("我的谈心谈话"));

        // The superior reads everything and records nothing.
        let superior = app.signed_in("gongwei").await;
        let (status, page) = superior.page(&base).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("关心家庭困难") && !page.contains("记录一次谈心谈话"));
        let superior_token = form_token(&page).unwrap();
        let mut attempt = fields(&chen, &liu, "s1", "上级代记");
        attempt[0].1 = superior_token;
        let pairs: Vec<(&str, &str)> = attempt.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(superior.post(&base, &pairs).await.status(), StatusCode::FORBIDDEN);

        let outsider = app.signed_in("lixiuying").await;
        assert_eq!(outsider.page(&base).await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn bad_talks_are_refused_in_chinese_and_nothing_is_lost() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let campaign = campaign(&app).await;
        let chen = add_member(&app, "陈书记", Some(CommitteePost::Secretary)).await;
        let base = format!("/campaigns/{}/orgs/{}/talks", campaign.id, f.branch_a.id);
        let secretary = app.signed_in("shuji_a").await;
        let token = form_token(&secretary.page(&base).await.1).unwrap();
        let long = "话".repeat(501);
        let a = f.member_a.id.as_str();
        let cases: [(&str, &str, &str, &str, &str); 7] = [
            (a, a, "2025-12-20", "要点", "谈话双方不能是同一个人"),
            (a, f.member_b.id.as_str(), "2025-12-20", "要点", "不在本支部党员名册上"),
            (a, "", "2025-12-20", "要点", "请选择谈话双方"),
            (a, &chen, "2024-06-01", "要点", "日期应在 2025 年 1 月 1 日至 2026 年 6 月 30 日之间"),
            (a, &chen, "2026-03-01", "要点", "日期不能晚于今天"),
            (a, &chen, "2025-12-20", "  ", "请填写谈话中提出的主要问题和意见"),
            (a, &chen, "2025-12-20", &long, "最多 500 个字"),
        ];
        for (i, (one, other, held_on, points, message)) in cases.into_iter().enumerate() {
            let submission = format!("bad-{i}");
            let fields = [
                ("csrf", token.as_str()),
                ("submission", submission.as_str()),
                ("one", one),
                ("other", other),
                ("held_on", held_on),
                ("points", points),
            ];
            let response = secretary.post(&base, &fields).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{message}");
            let html = response.text().await.unwrap();
            assert!(html.contains(message), "{message}: {html}");
        }
        assert!(app.store.talks(&campaign.id, &f.branch_a.id).await.unwrap().is_empty());

        // A member trying to record.
        let member = app.signed_in("wangjianguo").await;
        let member_token = form_token(&member.page(&base).await.1).unwrap();
        let fields = [
            ("csrf", member_token.as_str()),
            ("submission", "m1"),
            ("one", a),
            ("other", chen.as_str()),
            ("held_on", "2025-12-20"),
            ("points", "自己记"),
        ];
        assert_eq!(member.post(&base, &fields).await.status(), StatusCode::FORBIDDEN);
        assert!(app.audit("access_denied").await.iter().any(|e| e.detail.contains("无权记录谈心谈话")));

        // Edit with a stale version, another branch's talk through this branch's URL, delete.
        let new = NewTalk {
            campaign_id: &campaign.id,
            org_id: &f.branch_a.id,
            one: a,
            other: &chen,
            held_on: "2025-12-20",
            points: "初记",
        };
        let (talk, _) = app.store.create_talk(&new, "ok-1", &f.secretary_a.id, START_MS).await.unwrap();
        let (status, edit) = secretary.page(&format!("{base}/{}/edit", talk.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(edit.contains("初记"));
        let update = |version: &'static str, points: &'static str| {
            let (secretary, base, token, chen, id) = (&secretary, &base, &token, chen.clone(), talk.id.clone());
            async move {
                let fields = [
                    ("csrf", token.as_str()),
                    ("version", version),
                    ("one", a),
                    ("other", chen.as_str()),
                    ("held_on", "2025-12-21"),
                    ("points", points),
                ];
                secretary.post(&format!("{base}/{id}"), &fields).await.status()
            }
        };
        assert_eq!(update("1", "改后").await, StatusCode::SEE_OTHER);
        assert_eq!(update("1", "旧页面").await, StatusCode::CONFLICT);
        assert_eq!(app.store.talk(&talk.id).await.unwrap().points, "改后");

        let theirs = mingjing_storage::NewTalk { org_id: &f.branch_b.id, ..new };
        assert!(app.store.create_talk(&theirs, "b-1", &f.superior.id, START_MS).await.is_err(), "not their members");
        let lone = NewMember {
            org_id: &f.branch_b.id,
            name: "赵会计",
            standing: Standing::Full,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
        };
        let zhao = app.store.add_member(&lone, START_MS).await.unwrap();
        let theirs = NewTalk { org_id: &f.branch_b.id, one: &f.member_b.id, other: &zhao.id, ..new };
        let (other, _) = app.store.create_talk(&theirs, "b-2", &f.superior.id, START_MS).await.unwrap();
        assert_eq!(secretary.page(&format!("{base}/{}/edit", other.id)).await.0, StatusCode::NOT_FOUND);
        let delete = [("csrf", token.as_str()), ("version", "1")];
        assert_eq!(
            secretary.post(&format!("{base}/{}/delete", other.id), &delete).await.status(),
            StatusCode::NOT_FOUND
        );
        assert!(app.store.talk(&other.id).await.is_ok());

        let delete = [("csrf", token.as_str()), ("version", "2")];
        assert_eq!(
            secretary.post(&format!("{base}/{}/delete", talk.id), &delete).await.status(),
            StatusCode::SEE_OTHER
        );
        assert!(app.store.talks(&campaign.id, &f.branch_a.id).await.unwrap().is_empty());
        assert_eq!(app.audit("talk.delete").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_superior_sets_which_pairs_must_talk() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let campaign = campaign(&app).await;
        add_member(&app, "陈书记", Some(CommitteePost::Secretary)).await;
        add_member(&app, "刘党员", None).await;
        let settings = format!("/campaigns/{}/settings/talks", campaign.id);
        let base = format!("/campaigns/{}/orgs/{}/talks", campaign.id, f.branch_a.id);

        let secretary = app.signed_in("shuji_a").await;
        assert_eq!(secretary.page(&settings).await.0, StatusCode::NOT_FOUND, "only the campaign's admins");
        assert!(secretary.page(&base).await.1.contains("应谈 3 对"), "by default every pair");

        let superior = app.signed_in("gongwei").await;
        // The committee's admin does not own a county-wide campaign.
        assert_eq!(superior.page(&settings).await.0, StatusCode::NOT_FOUND);
        let own = mingjing_storage::NewCampaign {
            org_id: &f.committee.id,
            year: 2025,
            title: "工委2025",
            notice: "",
            definition: crate::study::DEFINITION,
        };
        let own = app.store.create_campaign(&own, START_MS).await.unwrap();
        let settings = format!("/campaigns/{}/settings/talks", own.id);
        let base = format!("/campaigns/{}/orgs/{}/talks", own.id, f.branch_a.id);
        let (status, page) = superior.page(&settings).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(r#"name="member_pairs" value="1" checked"#));
        let token = form_token(&page).unwrap();
        let save =
            [("csrf", token.as_str()), ("version", "0"), ("committee_pairs", "1"), ("committee_with_members", "1")];
        assert_eq!(superior.post(&settings, &save).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(superior.post(&settings, &save).await.status(), StatusCode::CONFLICT, "a stale page");
        let stored = app.store.talk_settings(&own.id).await.unwrap();
        assert!(!stored.member_pairs && stored.committee_pairs && stored.version == 1);
        assert_eq!(app.audit("talk_settings.save").await.len(), 1);
        // Members among themselves no longer count: 王建国 and 刘党员 owe only the secretary.
        assert!(secretary.page(&base).await.1.contains("应谈 2 对"));
        let (_, index) = superior.page(&format!("/campaigns/{}/talks", own.id)).await;
        assert!(index.contains(&settings), "the index links the settings");
    })
    .await;
}

#[tokio::test]
async fn the_secretary_seats_a_member_on_the_committee_from_the_member_form() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let secretary = app.signed_in("shuji_a").await;
        let edit = format!("/members/{}/edit", f.member_a.id);
        let (status, page) = secretary.page(&edit).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("党内职务"));
        let token = form_token(&page).unwrap();
        let form = |post: &'static str| {
            [
                ("csrf", token.clone()),
                ("name", "王建国".to_owned()),
                ("standing", "full".to_owned()),
                ("joined_on", "2010-07-01".to_owned()),
                ("committee_post", post.to_owned()),
            ]
        };
        let pairs = form("committee");
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(secretary.post(&edit, &pairs).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.store.member(&f.member_a.id).await.unwrap().committee_post, Some(CommitteePost::Committee));
        let pairs = form("chairman");
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = secretary.post(&edit, &pairs).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(refused.text().await.unwrap().contains("请选择党内职务"));
        assert_eq!(app.store.member(&f.member_a.id).await.unwrap().committee_post, Some(CommitteePost::Committee));
    })
    .await;
}
