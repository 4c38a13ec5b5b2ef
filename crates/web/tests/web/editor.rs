//! The structured editor, autosave and two tabs, uploads split into blocks, passage notes
//! on a return, the leading cadre's 有关事项报告, reference templates in the copy review,
//! and the copy index shared by two servers over one database — on both backends.

use mingjing_storage::NewCampaign;
use mingjing_web::Clock;
use reqwest::StatusCode;

use crate::helpers::{App, START_MS, TestServer, each_backend, form_token, location};

const EXAMPLE: &str = include_str!("../../../../examples/material-2021-county.txt");

async fn campaign(app: &App) -> String {
    let definition =
        toml::to_string(&mingjing_review::Campaign::builtin("2021-county").expect("built in")).expect("toml");
    let new = NewCampaign {
        org_id: &app.fixture.county.id,
        year: 2021,
        title: "2021年度组织生活会",
        notice: "",
        definition: &definition,
    };
    app.store.create_campaign(&new, START_MS).await.expect("campaign").id
}

fn version(html: &str) -> String {
    let key = "name=\"version\" value=\"";
    let start = html.find(key).map_or(0, |i| i + key.len());
    html[start..].split('"').next().unwrap_or("0").to_owned()
}

/// The text inside `<textarea … name="NAME" …>…</textarea>`.
fn textarea(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let open = at + html[at..].find('>')? + 1;
    let close = open + html[open..].find("</textarea>")?;
    Some(html[open..close].to_owned())
}

#[tokio::test]
async fn blocks_compose_into_a_material_and_an_upload_splits_back_into_them() {
    each_backend(|app: App| async move {
        let id = campaign(&app).await;
        let page = format!("/campaigns/{id}");
        let member = app.signed_in("wangjianguo").await;
        let (status, html) = member.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("name=\"aspect_0\"") && html.contains("name=\"measures\""), "one block per part");
        let token = form_token(&html).expect("token");
        let saved = member
            .post(
                &format!("{page}/material"),
                &[
                    ("csrf", &token),
                    ("version", "0"),
                    ("mode", "blocks"),
                    ("aspect_0", "一是理论学习不够深入，上半年只参加集中学习三次。"),
                    ("aspect_2", "一是服务群众不够主动。"),
                    ("causes", "一是理想信念有所松懈。"),
                    ("measures", "一是每周自学两次。"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let stored = app.store.material_of(&id, &app.fixture.member_a.id).await.expect("query").expect("material");
        let body = app.store.material_version(&stored.id, 1).await.expect("version").body;
        assert!(body.starts_with("一、存在的主要问题\n（一）"), "{body}");
        assert!(body.contains("（二）") && !body.contains("（三）"), "empty aspects are left out: {body}");
        assert!(body.contains("二、问题产生的原因\n一是理想信念有所松懈。"), "{body}");
        let (_, html) = member.page(&page).await;
        assert_eq!(textarea(&html, "aspect_2").as_deref(), Some("一是服务群众不够主动。"), "back in its block");
        assert_eq!(textarea(&html, "aspect_1").as_deref(), Some(""));

        // An upload replaces the draft and comes back split into the blocks, for the member to check.
        let form = reqwest::multipart::Form::new()
            .text("csrf", token.clone())
            .text("version", "1")
            .part("file", reqwest::multipart::Part::bytes(EXAMPLE.as_bytes().to_vec()).file_name("我的材料.txt"));
        let uploaded = member.post_multipart(&format!("{page}/upload"), form).await;
        assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
        assert!(location(&uploaded).ends_with("uploaded=1"));
        let (_, html) = member.page(&format!("{page}?uploaded=1")).await;
        assert!(html.contains("请逐栏核对"), "{html}");
        for block in
            ["aspect_0", "aspect_1", "aspect_2", "aspect_3", "aspect_4", "matters_report", "causes", "measures"]
        {
            assert!(!textarea(&html, block).unwrap_or_default().is_empty(), "{block} is filled from the upload");
        }
        // An upload the engine cannot read is refused with a message, and the draft stays.
        let form = reqwest::multipart::Form::new()
            .text("csrf", token.clone())
            .text("version", "2")
            .part("file", reqwest::multipart::Part::bytes(vec![0x50, 0x4b, 3, 4, 0, 0]).file_name("坏文件.docx"));
        let bad = member.post_multipart(&format!("{page}/upload"), form).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let stored = app.store.material(&stored.id).await.expect("material");
        assert_eq!(stored.version, 2, "the bad file wrote nothing");
    })
    .await;
}

#[tokio::test]
async fn autosave_moves_the_version_and_a_stale_tab_loses_nothing() {
    each_backend(|app: App| async move {
        let id = campaign(&app).await;
        let page = format!("/campaigns/{id}");
        let member = app.signed_in("wangjianguo").await;
        let (_, html) = member.page(&page).await;
        let token = form_token(&html).expect("token");
        let first = member
            .post(
                &format!("{page}/material"),
                &[("csrf", &token), ("version", "0"), ("mode", "text"), ("body", "第一稿"), ("action", "save")],
            )
            .await;
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        // Tab A autosaves twice (htmx sends its own header).
        for (seen, text) in [("1", "第一稿，又写了一句"), ("2", "第一稿，又写了两句")] {
            let saved = member
                .client()
                .post(app.base.clone() + &page + "/material")
                .header("hx-request", "true")
                .header("origin", app.base.clone())
                .form(&[
                    ("csrf", token.as_str()),
                    ("version", seen),
                    ("mode", "text"),
                    ("body", text),
                    ("action", "autosave"),
                ])
                .send()
                .await
                .expect("autosave");
            assert_eq!(saved.status(), StatusCode::OK);
            let fragment = saved.text().await.expect("body");
            assert!(fragment.contains("已自动保存") && fragment.contains("hx-swap-oob"), "{fragment}");
        }
        let material = app.store.material_of(&id, &app.fixture.member_a.id).await.expect("q").expect("m");
        assert_eq!(material.version, 3);
        let kept = app.store.versions_of(&material.id).await.expect("versions");
        assert_eq!(kept.len(), 2, "the two autosaves collapse into one");

        // Tab B still shows version 1; its autosave is refused with a message, its save shows its text again.
        let stale = member
            .client()
            .post(app.base.clone() + &page + "/material")
            .header("hx-request", "true")
            .header("origin", app.base.clone())
            .form(&[
                ("csrf", token.as_str()),
                ("version", "1"),
                ("mode", "text"),
                ("body", "B 窗口的内容"),
                ("action", "autosave"),
            ])
            .send()
            .await
            .expect("autosave");
        assert_eq!(stale.status(), StatusCode::CONFLICT);
        assert!(stale.text().await.expect("body").contains("另一个窗口"));
        let saved = member
            .post(
                &format!("{page}/material"),
                &[("csrf", &token), ("version", "1"), ("mode", "text"), ("body", "B 窗口的内容"), ("action", "save")],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::CONFLICT);
        let html = saved.text().await.expect("body");
        assert!(html.contains("B 窗口的内容"), "the writer's text is shown again");
        assert!(html.contains("第 3 稿"), "{html}");
        assert_eq!(version(&html), "3", "saving again is a deliberate overwrite of version 3");
        assert_eq!(app.store.material_version(&material.id, 3).await.expect("v3").body, "第一稿，又写了两句");
        let overwrite = member
            .post(
                &format!("{page}/material"),
                &[("csrf", &token), ("version", "3"), ("mode", "text"), ("body", "B 窗口的内容"), ("action", "save")],
            )
            .await;
        assert_eq!(overwrite.status(), StatusCode::SEE_OTHER);
        // A page's own autosave, still in flight when its save button is pressed, is no conflict;
        // the same race from another page is one.
        let autosave = |seen: &'static str, editor: &'static str| {
            member
                .client()
                .post(app.base.clone() + &page + "/material")
                .header("hx-request", "true")
                .header("origin", app.base.clone())
                .form(&[
                    ("csrf", token.as_str()),
                    ("version", seen),
                    ("mode", "text"),
                    ("body", "自动保存的内容"),
                    ("action", "autosave"),
                    ("editor", editor),
                ])
                .send()
        };
        assert_eq!(autosave("4", "page-a").await.expect("autosave").status(), StatusCode::OK);
        let own = member
            .post(
                &format!("{page}/material"),
                &[
                    ("csrf", &token),
                    ("version", "4"),
                    ("mode", "text"),
                    ("body", "页面 A 的定稿"),
                    ("action", "save"),
                    ("editor", "page-a"),
                ],
            )
            .await;
        assert_eq!(own.status(), StatusCode::SEE_OTHER, "the page's own autosave does not block its save");
        assert_eq!(autosave("6", "page-a").await.expect("autosave").status(), StatusCode::OK);
        let other = member
            .post(
                &format!("{page}/material"),
                &[
                    ("csrf", &token),
                    ("version", "6"),
                    ("mode", "text"),
                    ("body", "页面 B"),
                    ("action", "save"),
                    ("editor", "page-b"),
                ],
            )
            .await;
        assert_eq!(other.status(), StatusCode::CONFLICT, "another page's autosave does");
        assert!(app.audit("autosave_material").await.len() >= 3, "autosaves are writes, and audited");
        assert!(!app.audit("save_material").await.is_empty(), "so are saves");
        let (status, versions) = member.page(&format!("/materials/{}/versions", material.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            versions.contains("第 4 稿") && versions.contains("自动保存") && versions.contains("手动保存"),
            "{versions}"
        );
    })
    .await;
}

/// Submits `body` as `login`'s material through the web form.
async fn submit(app: &App, login: &str, campaign: &str, body: &str) {
    let browser = app.signed_in(login).await;
    let page = format!("/campaigns/{campaign}");
    let (_, html) = browser.page(&page).await;
    let response = browser
        .post(
            &format!("{page}/material"),
            &[
                ("csrf", &form_token(&html).expect("token")),
                ("version", &version(&html)),
                ("mode", "text"),
                ("body", body),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", response.text().await.unwrap_or_default());
}

#[tokio::test]
async fn passage_notes_reach_the_member_and_the_template_is_named_as_a_source() {
    each_backend(|app: App| async move {
        let id = campaign(&app).await;
        // The superior admin uploads a web template that the member then copies from.
        let superior = app.signed_in("gongwei").await;
        let (status, html) = superior.page("/templates").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let template = "一是理论学习的自觉性不够高，满足于读读报纸、看看文件，对新思想新理论钻研不深、理解不透，学用结合不够紧密。";
        let form = reqwest::multipart::Form::new()
            .text("csrf", form_token(&html).expect("token"))
            .text("title", "网上流传的范文")
            .part("file", reqwest::multipart::Part::bytes(template.as_bytes().to_vec()).file_name("fanwen.txt"));
        let uploaded = superior.post_multipart("/templates", form).await;
        assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
        for login in ["wangjianguo", "shuji_a", "shenji", "xitong"] {
            let (status, _) = app.signed_in(login).await.page("/templates").await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{login} may not manage templates");
        }

        let body = format!("一、存在的主要问题\n（一）学习方面\n{template}\n二、整改措施\n一是加强学习。");
        submit(&app, "wangjianguo", &id, &body).await;
        let material = app.store.material_of(&id, &app.fixture.member_a.id).await.expect("q").expect("m");
        let secretary = app.signed_in("shuji_a").await;
        let (_, html) = secretary.page(&format!("/materials/{}", material.id)).await;
        assert!(html.contains("参考范文《网上流传的范文》"), "{html}");
        let start = html.find("name=\"note_").expect("a note field per paragraph") + "name=\"".len();
        let note_field = html[start..].split('"').next().expect("name").to_owned();
        let returned = secretary
            .post(
                &format!("/materials/{}/decision", material.id),
                &[("csrf", &form_token(&html).expect("token")), ("version", "1"), ("decision", "return"), (&note_field, "这一段请写自己的具体表现")],
            )
            .await;
        assert_eq!(returned.status(), StatusCode::SEE_OTHER, "a note alone is enough to return");
        let bogus = secretary
            .post(
                &format!("/materials/{}/decision", material.id),
                &[("csrf", &form_token(&html).expect("token")), ("version", "1"), ("decision", "return"), ("note_0_999999", "越界")],
            )
            .await;
        assert_eq!(bogus.status(), StatusCode::BAD_REQUEST, "a note outside the text is refused");

        let member = app.signed_in("wangjianguo").await;
        let (_, html) = member.page(&format!("/campaigns/{id}")).await;
        assert!(html.contains("这一段请写自己的具体表现") && html.contains("<q>"), "the note quotes its passage: {html}");
        let (_, html) = member.page(&format!("/materials/{}", material.id)).await;
        assert!(html.contains("class=\"note\""), "the note sits under its paragraph");
        assert!(!html.contains("name=\"note_"), "the author cannot annotate");
    })
    .await;
}

#[tokio::test]
async fn the_matters_report_is_for_leading_cadres_and_their_reviewers_only() {
    each_backend(|app: App| async move {
        let id = campaign(&app).await;
        let f = &app.fixture;
        let member = app.signed_in("wangjianguo").await;
        let (status, _) = member.page(&format!("/campaigns/{id}/matters")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "not a leading cadre");
        app.store.set_leading_cadre(&f.member_a.id, true).await.expect("flag");
        let (status, html) = member.page(&format!("/campaigns/{id}/matters")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let token = form_token(&html).expect("token");
        let missing = member
            .post(&format!("/campaigns/{id}/matters"), &[("csrf", &token), ("version", "0"), ("housing_yes", "1")])
            .await;
        assert_eq!(missing.status(), StatusCode::BAD_REQUEST, "a yes needs its details");
        let saved = member
            .post(
                &format!("/campaigns/{id}/matters"),
                &[
                    ("csrf", &token),
                    ("version", "0"),
                    ("housing_yes", "1"),
                    ("housing_text", "新购住房一套，120平方米"),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let twice = member
            .post(&format!("/campaigns/{id}/matters"), &[("csrf", &token), ("version", "0"), ("marriage_yes", "0")])
            .await;
        assert_eq!(twice.status(), StatusCode::CONFLICT, "a second tab cannot overwrite");

        let query = format!("/campaigns/{id}/matters?member={}", f.member_a.id);
        let (status, html) = app.signed_in("shuji_a").await.page(&query).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("新购住房一套") && !html.contains("name=\"housing_text\""),
            "the secretary reads, never edits"
        );
        assert_eq!(app.signed_in("gongwei").await.page(&query).await.0, StatusCode::OK);
        for login in ["lixiuying", "shenji", "xitong"] {
            let (status, html) = app.signed_in(login).await.page(&query).await;
            assert!(status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN, "{login}: {status}");
            assert!(!html.contains("新购住房"), "{login} must not read it");
        }
        assert!(app.audit("view_matters").await.iter().any(|e| e.outcome == "ok"), "reads are audited");

        // A year whose notice leaves the report out: not even a leading cadre files one.
        let mut without = mingjing_review::Campaign::builtin("2021-county").expect("built in");
        without.matters_report.clear();
        let definition = toml::to_string(&without).expect("toml");
        let new =
            NewCampaign {
                org_id: &f.county.id, year: 2022, title: "不要求报告", notice: "", definition: &definition
            };
        let other = app.store.create_campaign(&new, START_MS).await.expect("campaign").id;
        let (status, html) = member.page(&format!("/campaigns/{other}/matters")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("本次活动不要求填写有关事项报告"), "{html}");
        let (_, editor) = member.page(&format!("/campaigns/{other}")).await;
        assert!(!editor.contains("/matters\""), "no link to a form the campaign does not ask for");
        let (_, editor) = member.page(&format!("/campaigns/{id}")).await;
        assert!(editor.contains(&format!("/campaigns/{id}/matters\"")), "the link where it is asked for");
    })
    .await;
}

#[tokio::test]
async fn two_servers_on_one_database_review_against_each_others_materials() {
    each_backend(|app: App| async move {
        let id = campaign(&app).await;
        // A colleague submits through the test's server; the second server starts after that
        // and must still see it, then the first must see what goes through the second.
        submit(&app, "lixiuying", &id, EXAMPLE).await;
        let second = TestServer::on_url(&app.db_url).await;
        let other = App { base: second.url(""), ..app.clone() };
        submit(&other, "wangjianguo", &id, EXAMPLE).await;
        let material = app.store.material_of(&id, &app.fixture.member_a.id).await.expect("q").expect("m");
        let (_, html) = app.signed_in("shuji_a").await.page(&format!("/materials/{}", material.id)).await;
        assert!(html.contains("与李秀英的材料相同"), "the second server saw the first's material");

        let member_b = app.store.material_of(&id, &app.fixture.member_b.id).await.expect("q").expect("m");
        let report = mingjing_web::materials::review_material(&second.state, &member_b).await.expect("review");
        let copy = report.copy.expect("copy report");
        assert!(copy.copies.iter().any(|c| c.source == material.id), "and the second sees the first's in turn");
        second.stop().await.expect("stop");
    })
    .await;
}

#[tokio::test]
async fn editing_the_campaign_reviews_a_waiting_material_again() {
    each_backend(|app: App| async move {
        let id = campaign(&app).await;
        submit(&app, "wangjianguo", &id, EXAMPLE).await;
        let material = app.store.material_of(&id, &app.fixture.member_a.id).await.expect("q").expect("m");
        let secretary = app.signed_in("shuji_a").await;
        let page = format!("/materials/{}", material.id);
        let (_, before) = secretary.page(&page).await;
        assert!(before.contains("检视方面覆盖 5/5"), "{before}");
        assert_eq!(secretary.page(&page).await.1, before, "the kept rendering is the same page");

        let mut definition = mingjing_review::Campaign::builtin("2021-county").expect("built in");
        definition.aspects.member.push(mingjing_review::campaign::Aspect {
            title: "在严守财经纪律方面".to_owned(),
            keywords: vec!["财经纪律".to_owned()],
        });
        let definition = toml::to_string(&definition).expect("toml");
        app.clock.advance(std::time::Duration::from_secs(60));
        let edit = NewCampaign {
            org_id: &app.fixture.county.id,
            year: 2021,
            title: "2021年度组织生活会",
            notice: "",
            definition: &definition,
        };
        app.store.update_campaign(&id, 1, &edit, app.clock.now_ms()).await.expect("edit");

        let (_, after) = secretary.page(&page).await;
        assert!(after.contains("检视方面覆盖 5/6") && after.contains("未见：在严守财经纪律方面"), "{after}");
    })
    .await;
}

#[tokio::test]
async fn a_submission_whose_review_was_lost_in_a_crash_is_reviewed_when_opened() {
    each_backend(|app: App| async move {
        let id = campaign(&app).await;
        submit(&app, "wangjianguo", &id, EXAMPLE).await;
        let material = app.store.material_of(&id, &app.fixture.member_a.id).await.expect("q").expect("m");
        // As if the server died between storing the submission and storing its review.
        let pool = sqlx::AnyPool::connect(&app.db_url).await.expect("the database");
        sqlx::query("DELETE FROM reviews").execute(&pool).await.expect("lose the review");
        pool.close().await;
        let (_, html) = app.signed_in("shuji_a").await.page(&format!("/materials/{}", material.id)).await;
        assert!(html.contains("检视方面覆盖 5/5"), "{html}");
        assert!(app.store.review_of(&material.id, material.version).await.expect("q").is_some(), "and stored");
    })
    .await;
}
