//! The rectification ledger over HTTP on both backends: from an approved material's problem
//! sentence to an item with the engine's measure, progress with evidence, done by the owner
//! and verified by the secretary; publication, the export read back, the carry-over into the
//! next campaign with the meeting's report, the 年年有 flags; and every bad input refused in
//! Chinese without losing what was typed.

use calamine::{Data, Reader, Xlsx};
use mingjing_storage::{
    Member, NewAccount, NewCampaign, NewMember, NewRectification, OriginKind, RectificationStatus, Role, Standing,
};
use mingjing_web::hash_password;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::{App, Browser, PASSWORD, START_MS, each_backend, form_token, location};

const EXAMPLE: &str = include_str!("../../../../examples/material-2021-county.txt");
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// The fixture's campaign with a whole definition, 李红 in branch A with an account, and
/// 王建国's material approved by the secretary.
struct Setup {
    li: Member,
    material_id: String,
}

async fn setup(app: &App) -> Setup {
    let f = &app.fixture;
    let definition =
        toml::to_string(&mingjing_review::Campaign::builtin("2021-county").expect("built in")).expect("toml");
    let c = &f.campaign;
    let new =
        NewCampaign { org_id: &c.org_id, year: c.year, title: &c.title, notice: &c.notice, definition: &definition };
    app.store.update_campaign(&c.id, c.version, &new, START_MS).await.expect("the campaign");
    let li = NewMember {
        org_id: &f.branch_a.id,
        name: "李红",
        standing: Standing::Full,
        joined_on: None,
        post: None,
        phone: None,
        leading_cadre: false,
    };
    let li = app.store.add_member(&li, START_MS).await.expect("a member");
    account(app, "lihong", Role::Member, &li).await;
    let material = app
        .store
        .start_material(&c.id, &f.member_a.id, "member", EXAMPLE, &f.member_a_account.id, START_MS)
        .await
        .expect("a material");
    app.store.submit_material(&material.id, 1, START_MS).await.expect("submitted");
    let secretary = app.signed_in("shuji_a").await;
    // Opening it reviews it; then the secretary approves it.
    let page = format!("/materials/{}", material.id);
    let token = secretary.token(&page).await;
    let decided = secretary
        .post(&format!("{page}/decision"), &[("csrf", &token), ("version", "1"), ("decision", "approve")])
        .await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER, "{}", decided.text().await.unwrap_or_default());
    Setup { li, material_id: material.id }
}

async fn account(app: &App, login: &'static str, role: Role, member: &Member) {
    let hash = hash_password(PASSWORD).expect("hash");
    let new = NewAccount {
        login,
        phone: None,
        display_name: login,
        role,
        org_id: &member.org_id,
        member_id: Some(&member.id),
        password_hash: &hash,
        must_change_password: false,
    };
    app.store.create_account(&new, START_MS).await.expect("an account");
}

fn ledger(app: &App) -> String {
    format!("/campaigns/{}/orgs/{}/rectification", app.fixture.campaign.id, app.fixture.branch_a.id)
}

/// The first link on a page whose address contains `needle`, unescaped.
fn href(html: &str, needle: &str) -> String {
    let at = html.find(needle).unwrap_or_else(|| panic!("no link with {needle}: {html}"));
    let start = html[..at].rfind("href=\"").expect("a link") + "href=\"".len();
    let end = start + html[start..].find('"').expect("the link ends");
    unescape(&html[start..end])
}

/// Text as askama escaped it, back as typed.
fn unescape(text: &str) -> String {
    [("&#34;", "\""), ("&#39;", "'"), ("&#60;", "<"), ("&#62;", ">"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\"")]
        .iter()
        .fold(text.to_owned(), |t, (from, to)| t.replace(from, to))
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The value of a named hidden field.
fn field(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key).unwrap_or_else(|| panic!("no {name} on {html}")) + key.len();
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

async fn post(browser: &Browser, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    browser.post(path, fields).await
}

/// Files to upload: name and bytes.
type Files<'a> = Vec<(&'a str, Vec<u8>)>;

/// A progress note with files, as the form sends it.
async fn note(browser: &Browser, item: &str, body: &str, files: Files<'_>) -> reqwest::Response {
    let html = browser.page(&format!("/rectification/{item}")).await.1;
    let mut form = Form::new()
        .text("csrf", form_token(&html).expect("csrf"))
        .text("form_token", field(&html, "form_token"))
        .text("body", body.to_owned());
    for (name, bytes) in files {
        form = form.part("files", Part::bytes(bytes).file_name(name.to_owned()));
    }
    browser.post_multipart(&format!("/rectification/{item}/notes"), form).await
}

/// Raises an item from the first problem of the approved material; its id.
async fn raise_from_material(app: &App, secretary: &Browser, s: &Setup) -> String {
    let (_, html) = secretary.page(&format!("/materials/{}", s.material_id)).await;
    let new = href(&html, "/rectification/new?from=material");
    let (status, form) = secretary.page(&new).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let measure = field_text(&form, "measure");
    let fields = [
        ("csrf", form_token(&form).expect("csrf")),
        ("form_token", field(&form, "form_token")),
        ("from", "material".to_owned()),
        ("material", field(&form, "material")),
        ("section", field(&form, "section")),
        ("index", field(&form, "index")),
        ("subject", app.fixture.member_a.id.clone()),
        ("owner", app.fixture.member_a.id.clone()),
        ("measure", measure),
        ("deadline", "2026-06-30".to_owned()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = post(secretary, &ledger(app), &pairs).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER, "{}", created.text().await.unwrap_or_default());
    let to = location(&created).to_owned();
    assert!(to.ends_with("?created=1"), "{to}");
    to.trim_start_matches("/rectification/").trim_end_matches("?created=1").to_owned()
}

/// The text of a textarea.
fn field_text(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\"");
    let at = html.find(&key).unwrap_or_else(|| panic!("no {name}"));
    let start = at + html[at..].find('>').expect("tag ends") + 1;
    let end = start + html[start..].find("</textarea>").expect("textarea ends");
    unescape(&html[start..end])
}

#[tokio::test]
async fn from_a_problem_sentence_to_a_verified_item() {
    each_backend(|app: App| async move {
        let s = setup(&app).await;
        let secretary = app.signed_in("shuji_a").await;
        let (_, material) = secretary.page(&format!("/materials/{}", s.material_id)).await;
        assert!(material.contains("查摆的问题") && material.contains("列入整改清单"), "{material}");
        let new = href(&material, "/rectification/new?from=material");
        let (_, form) = secretary.page(&new).await;
        assert!(form.contains("理论学习不深入。"), "the problem is quoted: {form}");
        // The measure is the one the engine pairs with the problem.
        let review: mingjing_review::Review =
            serde_json::from_str(&app.store.review_of(&s.material_id, 1).await.expect("db").expect("reviewed").report)
                .expect("a review");
        let expected = review.listed_problems()[0].measure.clone().expect("the first problem is answered");
        assert_eq!(field_text(&form, "measure"), expected);

        let item = raise_from_material(&app, &secretary, &s).await;
        let stored = app.store.rectification(&item).await.expect("stored");
        assert_eq!((stored.origin_kind, stored.status), (OriginKind::Material, RectificationStatus::NotStarted));
        assert!(stored.problem.starts_with("理论学习不深入。") && stored.origin_ref.starts_with(&s.material_id));

        // The owner works on it: in progress, a note with a photo, done.
        let owner = app.signed_in("wangjianguo").await;
        let (status, page) = owner.page(&format!("/rectification/{item}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let csrf = form_token(&page).expect("csrf");
        let moved = post(
            &owner,
            &format!("/rectification/{item}/status"),
            &[("csrf", &csrf), ("version", "1"), ("status", "in_progress")],
        )
        .await;
        assert_eq!(moved.status(), StatusCode::SEE_OTHER);
        let noted =
            note(&owner, &item, "已精读《论党的自我革命》，撰写心得一篇", vec![("学习心得.png", PNG.to_vec())]).await;
        assert_eq!(noted.status(), StatusCode::SEE_OTHER, "{}", noted.text().await.unwrap_or_default());
        let (_, page) = owner.page(&format!("/rectification/{item}")).await;
        assert!(page.contains("学习心得.png") && page.contains("撰写心得一篇"), "{page}");
        let file = owner.get(&href(&page, "/rectification/attachments/")).await;
        assert_eq!(file.headers()["content-type"], "image/png");
        assert_eq!(file.bytes().await.expect("bytes").as_ref(), PNG);
        let done = post(
            &owner,
            &format!("/rectification/{item}/status"),
            &[("csrf", &csrf), ("version", "2"), ("status", "done")],
        )
        .await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        // The owner cannot verify; a member of another branch cannot even see it.
        let refused =
            post(&owner, &format!("/rectification/{item}/verify"), &[("csrf", &csrf), ("version", "3")]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let stranger = app.signed_in("lixiuying").await;
        assert_eq!(stranger.get(&format!("/rectification/{item}")).await.status(), StatusCode::NOT_FOUND);

        let (_, page) = secretary.page(&format!("/rectification/{item}")).await;
        assert!(page.contains("验收销号") && page.contains("已完成"), "{page}");
        let csrf = form_token(&page).expect("csrf");
        let verified = post(
            &secretary,
            &format!("/rectification/{item}/verify"),
            &[("csrf", &csrf), ("version", "3"), ("note", "佐证材料齐全")],
        )
        .await;
        assert_eq!(verified.status(), StatusCode::SEE_OTHER);
        let (_, page) = secretary.page(&format!("/rectification/{item}")).await;
        assert!(page.contains("已验收") && page.contains("佐证材料齐全"), "{page}");
        assert!(!page.contains("/rectification/{item}/notes"), "closed");

        for (action, n) in [
            ("rectification.create", 1),
            ("rectification.status", 2),
            ("rectification.note", 1),
            ("rectification.verify", 1),
        ] {
            let entries = app.audit(action).await;
            assert_eq!(entries.iter().filter(|e| e.outcome == "ok").count(), n, "{action}");
            assert!(entries.iter().all(|e| !e.detail.contains("心得")), "no note contents in the log");
        }

        // The export, read back: frozen Chinese header, the item as it stands.
        let export = secretary.get(&format!("{}/export.xlsx", ledger(&app))).await;
        assert_eq!(export.status(), StatusCode::OK);
        let bytes = export.bytes().await.expect("bytes").to_vec();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
        let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(rows[0][..4], ["序号", "整改对象", "存在的问题", "问题来源"]);
        assert_eq!(rows.len(), 2);
        assert!(
            rows[1][2].starts_with("理论学习不深入。") && rows[1][7] == "已验收" && rows[1][5] == "王建国",
            "{:?}",
            rows[1]
        );
    })
    .await;
}

#[tokio::test]
async fn a_double_submit_raises_one_item_and_two_tabs_lose_nothing_silently() {
    each_backend(|app: App| async move {
        let s = setup(&app).await;
        let secretary = app.signed_in("shuji_a").await;
        let (_, form) = secretary.page(&format!("{}/new?from=manual", ledger(&app))).await;
        let csrf = form_token(&form).expect("csrf");
        let token = field(&form, "form_token");
        let fields = [
            ("csrf", csrf.as_str()),
            ("form_token", token.as_str()),
            ("from", "manual"),
            ("problem", "支部“三会一课”记录不规范"),
            ("subject", ""),
            ("owner", s.li.id.as_str()),
            ("measure", "每次会后三日内整理记录"),
            ("deadline", "2026-03-31"),
        ];
        let first = post(&secretary, &ledger(&app), &fields).await;
        let second = post(&secretary, &ledger(&app), &fields).await;
        assert_eq!((first.status(), second.status()), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
        let id = location(&first).trim_start_matches("/rectification/").trim_end_matches("?created=1").to_owned();
        assert_eq!(location(&second), format!("/rectification/{id}?again=1"));
        let (_, page) = secretary.page(location(&second)).await;
        assert!(page.contains("没有重复建立"));
        let items =
            app.store.rectification_ledger(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.expect("db");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].member_id, None, "a branch item");

        // Two tabs: the second change of the same version is refused with the latest shown.
        let li = app.signed_in("lihong").await;
        let csrf = li.token(&format!("/rectification/{id}")).await;
        let path = format!("/rectification/{id}/status");
        let one = post(&li, &path, &[("csrf", &csrf), ("version", "1"), ("status", "in_progress")]).await;
        assert_eq!(one.status(), StatusCode::SEE_OTHER);
        let two = post(&li, &path, &[("csrf", &csrf), ("version", "1"), ("status", "done")]).await;
        assert_eq!(two.status(), StatusCode::CONFLICT);
        assert!(two.text().await.unwrap_or_default().contains("已在另一个窗口或由其他人修改"));
        let edit = post(
            &secretary,
            &format!("/rectification/{id}/edit"),
            &[
                ("csrf", &form_token(&form).expect("csrf")),
                ("version", "1"),
                ("owner", &s.li.id),
                ("measure", "我在旧页面上改的措施"),
                ("deadline", "2026-03-31"),
            ],
        )
        .await;
        assert_eq!(edit.status(), StatusCode::CONFLICT);
        let html = edit.text().await.unwrap_or_default();
        assert!(html.contains("我在旧页面上改的措施"), "what was typed is kept: {html}");
        assert_eq!(app.store.rectification(&id).await.expect("db").status, RectificationStatus::InProgress);
    })
    .await;
}

#[tokio::test]
async fn every_bad_input_is_refused_in_chinese_keeping_what_was_typed() {
    each_backend(|app: App| async move {
        let s = setup(&app).await;
        let secretary = app.signed_in("shuji_a").await;
        let (_, form) = secretary.page(&format!("{}/new?from=manual", ledger(&app))).await;
        let csrf = form_token(&form).expect("csrf");
        let token = field(&form, "form_token");
        let cases: [(&[(&str, &str)], &str); 6] = [
            (
                &[("problem", "问题甲"), ("measure", ""), ("deadline", "2026-06-30"), ("owner", &s.li.id)],
                "请填写整改措施",
            ),
            (
                &[("problem", ""), ("measure", "措施乙"), ("deadline", "2026-06-30"), ("owner", &s.li.id)],
                "请填写存在的问题",
            ),
            (&[("problem", "问题丙"), ("measure", "措施丙"), ("deadline", "2026-02-30"), ("owner", &s.li.id)], "格式"),
            (
                &[("problem", "问题丁"), ("measure", "措施丁"), ("deadline", "2025-12-01"), ("owner", &s.li.id)],
                "不能早于今天",
            ),
            (
                &[("problem", "问题戊"), ("measure", "措施戊"), ("deadline", "2026-06-30"), ("owner", "")],
                "请从本支部党员中选择整改责任人",
            ),
            (
                &[
                    ("problem", "问题己"),
                    ("measure", "措施己"),
                    ("deadline", "2026-06-30"),
                    ("owner", &app.fixture.member_b.id),
                ],
                "请从本支部党员中选择整改责任人",
            ),
        ];
        for (fields, message) in cases {
            let mut all =
                vec![("csrf", csrf.as_str()), ("form_token", token.as_str()), ("from", "manual"), ("subject", "")];
            all.extend_from_slice(fields);
            let refused = post(&secretary, &ledger(&app), &all).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{message}");
            let html = refused.text().await.unwrap_or_default();
            assert!(html.contains(message), "{message}: {html}");
            let typed = fields[0].1;
            assert!(typed.is_empty() || html.contains(typed), "the problem typed is kept: {html}");
        }
        // A material that is not approved cannot be a source; nor can a problem that does not exist.
        let draft = app
            .store
            .start_material(
                &app.fixture.campaign.id,
                &s.li.id,
                "member",
                EXAMPLE,
                &app.fixture.member_a_account.id,
                START_MS,
            )
            .await
            .expect("a draft");
        let (status, html) = secretary
            .page(&format!("{}/new?from=material&material={}&section=0&index=0", ledger(&app), draft.id))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("只能从审核通过的材料中选取问题"), "{html}");
        let (status, html) = secretary
            .page(&format!("{}/new?from=material&material={}&section=9&index=9", ledger(&app), s.material_id))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("所选问题不存在"), "{html}");
        assert!(
            app.store
                .rectification_ledger(&app.fixture.campaign.id, &app.fixture.branch_a.id)
                .await
                .expect("db")
                .is_empty()
        );

        // Evidence: the kind by its bytes, the size, the text.
        let item = raise_from_material(&app, &secretary, &s).await;
        let owner = app.signed_in("wangjianguo").await;
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(5 * 1024 * 1024 + 1, b' ');
        let bad: [(&str, Files<'_>, &str); 4] = [
            (
                "改名的程序",
                vec![("证明.pdf", b"MZ\x90\0\x03".to_vec())],
                "不是 PDF、JPG、PNG、Word（.docx）或 Excel（.xlsx）文件",
            ),
            ("太大的文件", vec![("扫描件.pdf", big)], "超过了 5 MB 的上限"),
            ("", vec![("照片.png", PNG.to_vec())], "请填写整改进展"),
            ("空文件", vec![("空.png", Vec::new())], "是空的"),
        ];
        for (body, files, message) in bad {
            let refused = note(&owner, &item, body, files).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{message}");
            let html = refused.text().await.unwrap_or_default();
            assert!(html.contains(message), "{message}: {html}");
            assert!(html.contains(body), "the text typed is kept");
        }
        assert!(app.store.rectification_notes(&item).await.expect("db").is_empty(), "nothing half-saved");
        let csrf = owner.token(&format!("/rectification/{item}")).await;
        let unknown = post(
            &owner,
            &format!("/rectification/{item}/status"),
            &[("csrf", &csrf), ("version", "1"), ("status", "verified")],
        )
        .await;
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
        assert!(unknown.text().await.unwrap_or_default().contains("请选择未开始、整改中或已完成"));
    })
    .await;
}

#[tokio::test]
async fn members_see_their_own_items_until_the_ledger_is_published_and_superiors_read() {
    each_backend(|app: App| async move {
        let s = setup(&app).await;
        let secretary = app.signed_in("shuji_a").await;
        raise_from_material(&app, &secretary, &s).await;
        let li = app.signed_in("lihong").await;
        let (status, html) = li.page(&ledger(&app)).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("只显示您本人的整改事项") && !html.contains("理论学习不深入"), "{html}");
        // Superiors read, and raise nothing.
        let superior = app.signed_in("gongwei").await;
        let (status, html) = superior.page(&ledger(&app)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("理论学习不深入") && !html.contains("/new?from=manual"), "{html}");
        let (status, _) = superior.page(&format!("{}/new?from=manual", ledger(&app))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Publication opens the whole ledger to the branch.
        let csrf = secretary.token(&ledger(&app)).await;
        let published = post(&secretary, &format!("{}/publish", ledger(&app)), &[("csrf", &csrf)]).await;
        assert_eq!(published.status(), StatusCode::SEE_OTHER);
        let (_, html) = li.page(&ledger(&app)).await;
        assert!(html.contains("理论学习不深入") && html.contains("已向本支部公开"), "{html}");
        // Reading is not changing: 李红 is not the owner.
        let item =
            app.store.rectification_ledger(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.expect("db")[0]
                .id
                .clone();
        let csrf = li.token(&format!("/rectification/{item}")).await;
        let refused = post(
            &li,
            &format!("/rectification/{item}/status"),
            &[("csrf", &csrf), ("version", "1"), ("status", "done")],
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(!app.audit("rectification.publish").await.is_empty());
        // Home pages link to the ledger.
        let (_, home) = app.signed_in("wangjianguo").await.page("/").await;
        assert!(home.contains(&format!("/campaigns/{}/rectification", app.fixture.campaign.id)), "{home}");
    })
    .await;
}

#[tokio::test]
async fn a_secretary_who_owns_an_item_cannot_verify_it() {
    each_backend(|app: App| async move {
        let s = setup(&app).await;
        account(&app, "shuji_li", Role::Secretary, &s.li).await;
        let f = &app.fixture;
        let new = NewRectification {
            campaign_id: &f.campaign.id,
            org_id: &f.branch_a.id,
            member_id: Some(&s.li.id),
            owner_member_id: &s.li.id,
            origin_kind: OriginKind::Manual,
            origin_ref: "",
            problem: "联系群众不够",
            measure: "每月走访",
            deadline: "2026-06-30",
            form_token: "t",
            by: &f.secretary_a.id,
        };
        let item = app.store.add_rectification(&new, START_MS).await.expect("an item");
        let li = app.signed_in("shuji_li").await;
        let csrf = li.token(&format!("/rectification/{}", item.id)).await;
        let done = post(
            &li,
            &format!("/rectification/{}/status", item.id),
            &[("csrf", &csrf), ("version", "1"), ("status", "done")],
        )
        .await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        let (_, page) = li.page(&format!("/rectification/{}", item.id)).await;
        assert!(page.contains("不能自己验收销号") && !page.contains("/verify\""), "{page}");
        let refused =
            post(&li, &format!("/rectification/{}/verify", item.id), &[("csrf", &csrf), ("version", "2")]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused.text().await.unwrap_or_default().contains("不能为自己的事项验收销号"));
        assert_eq!(app.store.rectification(&item.id).await.expect("db").status, RectificationStatus::Done);
    })
    .await;
}

#[tokio::test]
async fn next_year_carries_unfinished_items_fills_the_meeting_report_and_flags_repeats() {
    each_backend(|app: App| async move {
        let s = setup(&app).await;
        let secretary = app.signed_in("shuji_a").await;
        let item = raise_from_material(&app, &secretary, &s).await;
        let f = &app.fixture;
        let definition =
            toml::to_string(&mingjing_review::Campaign::builtin("2021-county").expect("built in")).expect("toml");
        let next = NewCampaign {
            org_id: &f.county.id,
            year: 2026,
            title: "2026年度组织生活会",
            notice: "",
            definition: &definition,
        };
        let next = app.store.create_campaign(&next, START_MS).await.expect("next year");
        let next_ledger = format!("/campaigns/{}/orgs/{}/rectification", next.id, f.branch_a.id);
        let (_, html) = secretary.page(&next_ledger).await;
        assert!(html.contains("上年结转") && html.contains("理论学习不深入") && html.contains("未开始"), "{html}");
        // The meeting's report starts from last year's ledger until the secretary writes it.
        let (_, meeting) = secretary.page(&format!("/campaigns/{}/orgs/{}/meeting", next.id, f.branch_a.id)).await;
        let report = field_text(&meeting, "rectification_report");
        assert!(
            report.contains("整改台账共 1 项") && report.contains("王建国") && report.contains("未开始，未销号"),
            "{report}"
        );
        // 年年有: this year's material repeats last year's problems.
        let material = app
            .store
            .start_material(&next.id, &f.member_a.id, "member", EXAMPLE, &f.member_a_account.id, START_MS)
            .await
            .expect("this year's material");
        app.store.submit_material(&material.id, 1, START_MS).await.expect("submitted");
        let (_, page) = secretary.page(&format!("/materials/{}", material.id)).await;
        assert!(page.contains("年年有") && page.contains("与上年查摆的问题"), "{page}");
        let old = app.store.rectification(&item).await.expect("db");
        assert!(page.contains(&old.problem.chars().take(10).collect::<String>()));
        // Last year's material page has no last year.
        let (_, page) = secretary.page(&format!("/materials/{}", s.material_id)).await;
        assert!(!page.contains("年年有"), "{page}");
    })
    .await;
}

/// Submits the new-item form on `form` with its hidden origin fields and `typed`.
async fn submit_new(app: &App, browser: &Browser, form: &str, typed: &[(&str, &str)]) -> reqwest::Response {
    let mut fields: Vec<(&str, String)> = vec![("csrf", form_token(form).expect("csrf"))];
    for name in ["form_token", "from", "material", "section", "index", "pos", "opinion"] {
        fields.push((name, field(form, name)));
    }
    fields.extend(typed.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post(browser, &ledger(app), &pairs).await
}

#[tokio::test]
async fn items_are_raised_from_a_criticism_and_from_an_opinion() {
    each_backend(|app: App| async move {
        let s = setup(&app).await;
        let f = &app.fixture;
        let criticism = mingjing_storage::Criticism {
            from_member_id: f.member_a.id.clone(),
            to_member_id: s.li.id.clone(),
            text: "参加集中学习不够积极，笔记记得少".to_owned(),
        };
        let content = mingjing_storage::MeetingContent { criticisms: vec![criticism], ..Default::default() };
        app.store
            .save_meeting(&f.campaign.id, &f.branch_a.id, 0, &content, &f.secretary_a.id, START_MS)
            .await
            .expect("minutes");
        let channel = app
            .store
            .open_opinion_channel(&f.campaign.id, &f.branch_a.id, "abcdefghijklmnopqrstuvwxyz234567abcd", START_MS)
            .await
            .expect("a channel");
        app.store.add_opinion(&channel.id, None, "支部活动形式单一", "2026-01-01").await.expect("an opinion");

        let secretary = app.signed_in("shuji_a").await;
        let (status, sources) = secretary.page(&format!("{}/sources", ledger(&app))).await;
        assert_eq!(status, StatusCode::OK, "{sources}");
        assert!(
            sources.contains("参加集中学习不够积极")
                && sources.contains("支部活动形式单一")
                && sources.contains("理论学习不深入")
        );

        let (_, form) = secretary.page(&href(&sources, "from=criticism")).await;
        assert!(
            form.contains("参加集中学习不够积极，笔记记得少") && !form.contains("name=\"problem\""),
            "quoted, not editable: {form}"
        );
        let typed = [
            ("subject", s.li.id.as_str()),
            ("owner", s.li.id.as_str()),
            ("measure", "每次集中学习记笔记"),
            ("deadline", "2026-04-30"),
            ("problem", "篡改的问题"),
        ];
        let created = submit_new(&app, &secretary, &form, &typed).await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER, "{}", created.text().await.unwrap_or_default());
        let (_, form) = secretary.page(&href(&sources, "from=opinion")).await;
        assert!(field_text(&form, "problem") == "支部活动形式单一", "{form}");
        let typed = [
            ("subject", ""),
            ("owner", s.li.id.as_str()),
            ("measure", "每季度组织一次主题党日"),
            ("deadline", "2026-04-30"),
            ("problem", "支部活动形式单一，吸引力不强"),
        ];
        let created = submit_new(&app, &secretary, &form, &typed).await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER, "{}", created.text().await.unwrap_or_default());

        let items = app.store.rectification_ledger(&f.campaign.id, &f.branch_a.id).await.expect("db");
        let found: Vec<(OriginKind, &str, Option<&str>)> =
            items.iter().map(|i| (i.origin_kind, i.problem.as_str(), i.member_id.as_deref())).collect();
        assert_eq!(
            found,
            vec![
                (OriginKind::Criticism, "参加集中学习不够积极，笔记记得少", Some(s.li.id.as_str())),
                (OriginKind::Opinion, "支部活动形式单一，吸引力不强", None),
            ],
            "the criticism is quoted as recorded whatever the form says"
        );
        // A criticism that is not in the minutes.
        let (status, html) = secretary.page(&format!("{}/new?from=criticism&pos=7", ledger(&app))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("会议记录中没有这条批评意见"));
    })
    .await;
}

#[tokio::test]
async fn an_item_past_its_deadline_is_flagged_overdue_until_done() {
    each_backend(|app: App| async move {
        let s = setup(&app).await;
        let f = &app.fixture;
        let new = NewRectification {
            campaign_id: &f.campaign.id,
            org_id: &f.branch_a.id,
            member_id: Some(&s.li.id),
            owner_member_id: &s.li.id,
            origin_kind: OriginKind::Manual,
            origin_ref: "",
            problem: "谈心谈话不够经常",
            measure: "每季度谈心一次",
            deadline: "2026-01-10",
            form_token: "t",
            by: &f.secretary_a.id,
        };
        let item = app.store.add_rectification(&new, START_MS).await.expect("an item");
        let secretary = app.signed_in("shuji_a").await;
        let (_, html) = secretary.page(&ledger(&app)).await;
        assert!(!html.contains("逾期"), "in time: {html}");
        app.advance_minutes(12 * 24 * 60);
        // Twelve days on, the session is long gone.
        let secretary = app.signed_in("shuji_a").await;
        let (_, html) = secretary.page(&ledger(&app)).await;
        assert!(html.contains("逾期 1 项") && html.contains("is-overdue"), "{html}");
        let (_, page) = secretary.page(&format!("/rectification/{}", item.id)).await;
        assert!(page.contains(">逾期<"), "{page}");
        let export =
            secretary.get(&format!("{}/export.xlsx", ledger(&app))).await.bytes().await.expect("bytes").to_vec();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(export)).expect("an xlsx");
        let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
        assert_eq!(sheet.get_value((1, 8)), Some(&Data::String("逾期".to_owned())));
        // Done is not overdue, even late.
        let csrf = secretary.token(&format!("/rectification/{}", item.id)).await;
        let done = post(
            &secretary,
            &format!("/rectification/{}/status", item.id),
            &[("csrf", &csrf), ("version", "1"), ("status", "done")],
        )
        .await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        let (_, html) = secretary.page(&ledger(&app)).await;
        assert!(!html.contains("is-overdue"), "{html}");
    })
    .await;
}
