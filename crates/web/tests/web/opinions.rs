//! 征求意见 through the browser, on both backends: the secretary opens a channel and gets a
//! link and QR code; anyone gives an opinion without signing in and without any cookie;
//! the member reads the opinions about them only from k on; the material page lists the
//! opinions the material does not answer; and nothing of the giver is stored or logged.

use std::sync::atomic::{AtomicU64, Ordering};

use std::time::Duration;

use reqwest::StatusCode;
use sqlx::Row;

use crate::helpers::{App, START_MS, each_backend, form_token, location};

/// A channel token the tests set up through the store.
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// A client with no cookie store, that sends no Origin or Referer and follows no redirect.
fn anonymous() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("an HTTP client")
}

/// A form id no other post of the test used.
fn form_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{:032x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn open_by_store(app: &App) {
    let f = &app.fixture;
    app.store.open_opinion_channel(&f.campaign.id, &f.branch_a.id, TOKEN, START_MS).await.expect("a channel");
}

/// Gives an opinion as a visitor with nothing but the link.
async fn give(app: &App, token: &str, addressee: &str, body: &str) -> reqwest::Response {
    give_with(app, token, addressee, body, &form_id()).await
}

async fn give_with(app: &App, token: &str, addressee: &str, body: &str, form: &str) -> reqwest::Response {
    anonymous()
        .post(format!("{}/o/{token}", app.base))
        .form(&[("addressee", addressee), ("body", body), ("form_id", form)])
        .send()
        .await
        .expect("the server answers")
}

fn channel_page(app: &App, org_id: &str) -> String {
    format!("/campaigns/{}/orgs/{org_id}/opinions", app.fixture.campaign.id)
}

fn mine(app: &App) -> String {
    format!("/campaigns/{}/opinions/mine", app.fixture.campaign.id)
}

/// The value of the hidden `form_id` field.
fn form_id_on(html: &str) -> String {
    let start = html.find(r#"name="form_id" value=""#).expect("a form id") + r#"name="form_id" value=""#.len();
    html[start..start + 32].to_owned()
}

#[tokio::test]
async fn a_secretary_opens_a_channel_and_anyone_gives_an_opinion_without_a_cookie() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let secretary = app.signed_in("shuji_a").await;
        let page = channel_page(&app, &f.branch_a.id);
        let (status, html) = secretary.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("尚未开启意见征集"), "{html}");
        let token = form_token(&html).expect("a form token");
        let opened = secretary.post(&format!("{page}/open"), &[("csrf", &token)]).await;
        assert_eq!(opened.status(), StatusCode::SEE_OTHER);
        let (_, html) = secretary.page(&page).await;
        assert!(html.contains("征集中") && html.contains("qr.svg") && html.contains("qr.png"), "{html}");
        let link_start = html.find(&format!("{}/o/", app.base)).expect("the public link on the page");
        let link = &html[link_start..link_start + app.base.len() + 3 + 32];
        let channel_token = link.rsplit('/').next().expect("a token").to_owned();
        assert!(channel_token.bytes().all(|b| b.is_ascii_hexdigit()), "{link}");
        assert_eq!(app.audit("opinion.open").await.len(), 1);

        let visitor = anonymous();
        let form = visitor.get(link).send().await.expect("the form");
        assert_eq!(form.status(), StatusCode::OK);
        assert!(form.headers().get("set-cookie").is_none(), "no cookie is set");
        assert_eq!(form.headers().get("cache-control").expect("no-store"), "no-store");
        let html = form.text().await.expect("a body");
        assert!(html.contains("县政务服务中心党支部征求意见") && html.contains("党支部委员会（班子）"), "{html}");
        assert!(html.contains(&f.member_a.name), "the branch's members to choose from");
        assert!(!html.contains(&f.member_b.name), "not another branch's");
        assert!(!html.contains(r#"name="csrf""#) && !html.contains("退出"), "no session, no token");

        let audit_before = app.store.audit_entries(None, 1000).await.expect("audit").len();
        let given = visitor
            .post(link)
            .form(&[
                ("addressee", f.member_a.id.as_str()),
                ("body", "希望多下基层听取群众意见"),
                ("form_id", &form_id_on(&html)),
            ])
            .send()
            .await
            .expect("posted");
        assert_eq!(given.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&given), format!("/o/{channel_token}?sent=1"));
        assert!(given.headers().get("set-cookie").is_none());
        let thanks = visitor.get(format!("{link}?sent=1")).send().await.expect("the thanks");
        assert!(thanks.text().await.expect("a body").contains("您的意见已收到"));
        let about = app.store.opinions_about(&f.campaign.id, &f.member_a.id).await.expect("opinions");
        assert_eq!(about.len(), 1);
        assert_eq!((about[0].body.as_str(), about[0].day.as_str()), ("希望多下基层听取群众意见", "2026-01-01"));
        assert_eq!(
            app.store.audit_entries(None, 1000).await.expect("audit").len(),
            audit_before,
            "giving an opinion writes no audit entry"
        );

        // The same form again (a double click, a reload): received once.
        let again = visitor
            .post(link)
            .form(&[
                ("addressee", f.member_a.id.as_str()),
                ("body", "希望多下基层听取群众意见"),
                ("form_id", &form_id_on(&html)),
            ])
            .send()
            .await
            .expect("posted");
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert!(again.text().await.expect("a body").contains("这条意见已经收到，无需重复提交"));
        assert_eq!(app.store.opinions_about(&f.campaign.id, &f.member_a.id).await.expect("opinions").len(), 1);

        // A page of the site may post it (Origin given), a foreign page may not.
        let own = visitor
            .post(link)
            .header("origin", &app.base)
            .form(&[("addressee", "committee"), ("body", "支部活动形式可以更丰富"), ("form_id", &form_id())])
            .send()
            .await
            .expect("posted");
        assert_eq!(own.status(), StatusCode::SEE_OTHER);
        let foreign = visitor
            .post(link)
            .header("origin", "https://evil.example")
            .form(&[("addressee", "committee"), ("body", "伪造的意见"), ("form_id", &form_id())])
            .send()
            .await
            .expect("posted");
        assert_eq!(foreign.status(), StatusCode::FORBIDDEN);

        let (_, html) = secretary.page(&page).await;
        assert!(html.contains("对党支部委员会的意见（1 条）") && html.contains("支部活动形式可以更丰富"), "{html}");
        assert!(html.contains("对王建国的意见（1 条）") && html.contains("2026-01-01"), "{html}");
        assert!(!html.contains("伪造的意见"));
        assert!(!app.audit("opinion.view").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_member_reads_opinions_about_them_only_from_k_on_shuffled_and_undated() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        open_by_store(&app).await;
        let member = app.signed_in("wangjianguo").await;
        let bodies: Vec<String> = (1..=5).map(|i| format!("第{i}条：开会时常迟到，影响支部工作")).collect();
        for body in &bodies[..4] {
            assert_eq!(give(&app, TOKEN, &f.member_a.id, body).await.status(), StatusCode::SEE_OTHER);
        }
        let (status, html) = member.page(&mine(&app)).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("目前少于 5 条") && html.contains("党支部书记会向您转达意见摘要"), "{html}");
        assert!(bodies.iter().all(|b| !html.contains(b.as_str())), "below k nothing is shown");
        assert!(!html.contains("4 条"), "not even how many");

        // The secretary relays a summary, which the member then reads.
        let secretary = app.signed_in("shuji_a").await;
        let page = channel_page(&app, &f.branch_a.id);
        let token = secretary.token(&page).await;
        let saved = secretary
            .post(
                &format!("{page}/summary"),
                &[
                    ("csrf", &token),
                    ("member_id", &f.member_a.id),
                    ("version", "0"),
                    ("body", "群众反映开会守时方面要注意"),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let (_, html) = member.page(&mine(&app)).await;
        assert!(html.contains("群众反映开会守时方面要注意"), "{html}");
        // A second window's stale save keeps its text and says why.
        let stale = secretary
            .post(
                &format!("{page}/summary"),
                &[("csrf", &token), ("member_id", &f.member_a.id), ("version", "0"), ("body", "另一个窗口写的摘要")],
            )
            .await;
        assert_eq!(stale.status(), StatusCode::CONFLICT);
        let stale = stale.text().await.expect("a body");
        assert!(stale.contains("另一个窗口写的摘要") && stale.contains("摘要已在别处"), "{stale}");

        assert_eq!(give(&app, TOKEN, &f.member_a.id, &bodies[4]).await.status(), StatusCode::SEE_OTHER);
        let mut orders = std::collections::HashSet::new();
        for _ in 0..8 {
            let (_, html) = member.page(&mine(&app)).await;
            assert!(bodies.iter().all(|b| html.contains(b.as_str())), "at k every opinion is shown: {html}");
            assert!(!html.contains("2026-01-01") && !html.contains("2026年"), "undated");
            let mut positions: Vec<usize> = bodies.iter().map(|b| html.find(b.as_str()).expect("shown")).collect();
            let order: Vec<usize> = {
                let mut idx: Vec<usize> = (0..positions.len()).collect();
                idx.sort_by_key(|&i| positions[i]);
                idx
            };
            positions.clear();
            orders.insert(order);
        }
        assert!(orders.len() > 1, "shuffled on every view");

        // The other branch's member sees none of it.
        let other = app.signed_in("lixiuying").await;
        let (_, html) = other.page(&mine(&app)).await;
        assert!(bodies.iter().all(|b| !html.contains(b.as_str())));
    })
    .await;
}

#[tokio::test]
async fn the_superior_sets_k_and_no_one_sets_it_below_three() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        // The fixture's campaign was opened by the county; a county-level admin manages it.
        let county_admin = mingjing_storage::NewAccount {
            login: "zuzhibu",
            phone: None,
            display_name: "钱部长",
            role: mingjing_storage::Role::SuperiorAdmin,
            org_id: &f.county.id,
            member_id: None,
            password_hash: &mingjing_web::hash_password(crate::helpers::PASSWORD).expect("hash"),
            must_change_password: false,
        };
        app.store.create_account(&county_admin, START_MS).await.expect("an account");
        let admin = app.signed_in("zuzhibu").await;
        let page = format!("/campaigns/{}/settings/opinions", f.campaign.id);
        let (status, html) = admin.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains(r#"value="5""#), "the default is 5: {html}");
        let token = form_token(&html).expect("a token");
        for (bad, message) in
            [("2", "不能少于 3 条"), ("0", "不能少于 3 条"), ("-1", "不能少于 3 条"), ("三", "整数"), ("", "整数")]
        {
            let refused = admin.post(&page, &[("csrf", &token), ("threshold", bad)]).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad}");
            let html = refused.text().await.expect("a body");
            assert!(html.contains(message), "{bad}: {html}");
        }
        assert_eq!(app.store.opinion_threshold(&f.campaign.id).await.expect("k"), 5, "nothing saved");
        let saved = admin.post(&page, &[("csrf", &token), ("threshold", "3")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.store.opinion_threshold(&f.campaign.id).await.expect("k"), 3);
        assert_eq!(app.audit("opinion.settings").await.len(), 1);

        // A secretary and a superior below the opening organization may not change it.
        for login in ["shuji_a", "gongwei"] {
            let other = app.signed_in(login).await;
            assert_eq!(other.get(&page).await.status(), StatusCode::NOT_FOUND, "{login}");
        }

        // With k = 3 the member reads from the third opinion on.
        open_by_store(&app).await;
        let member = app.signed_in("wangjianguo").await;
        for i in 1..=3 {
            give(&app, TOKEN, &f.member_a.id, &format!("意见{i}号")).await;
            let (_, html) = member.page(&mine(&app)).await;
            assert_eq!(html.contains("意见1号"), i == 3, "after {i}: {html}");
        }
    })
    .await;
}

#[tokio::test]
async fn empty_oversized_and_misaddressed_opinions_are_refused_with_the_text_kept() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        open_by_store(&app).await;
        for empty in ["", "   \n "] {
            let refused = give(&app, TOKEN, "committee", empty).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
            assert!(refused.text().await.expect("a body").contains("请填写意见内容"));
        }
        let long = "很".repeat(2001);
        let refused = give(&app, TOKEN, "committee", &long).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let html = refused.text().await.expect("a body");
        assert!(html.contains("意见不能超过 2000 字，现在是 2001 字"), "{html}");
        assert!(html.contains(&long), "the text is shown again");
        assert_eq!(give(&app, TOKEN, "committee", &"很".repeat(2000)).await.status(), StatusCode::SEE_OTHER);
        // Past what any browser's form sends, the server does not even read it.
        let huge = give(&app, TOKEN, "committee", &"很".repeat(30_000)).await;
        assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);

        for wrong in [f.member_b.id.as_str(), "nobody", ""] {
            let refused = give(&app, TOKEN, wrong, "给别的支部党员的意见").await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{wrong}");
            let html = refused.text().await.expect("a body");
            assert!(html.contains("请从名单中选择意见对象") && html.contains("给别的支部党员的意见"), "{html}");
        }
        let stale_form = give_with(&app, TOKEN, "committee", "没有表单编号", "").await;
        assert_eq!(stale_form.status(), StatusCode::BAD_REQUEST);
        assert!(stale_form.text().await.expect("a body").contains("没有表单编号"));
        assert!(app.store.opinions_about(&f.campaign.id, &f.member_b.id).await.expect("opinions").is_empty());
        let channel = app.store.opinion_channel_by_token(TOKEN).await.expect("lookup").expect("the channel");
        assert_eq!(app.store.opinions_of_channel(&channel.id).await.expect("opinions").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_closed_channel_and_an_unknown_link_get_a_chinese_page() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let secretary = app.signed_in("shuji_a").await;
        let page = channel_page(&app, &f.branch_a.id);
        let token = secretary.token(&page).await;
        let closing_unopened = secretary.post(&format!("{page}/close"), &[("csrf", &token)]).await;
        assert_eq!(closing_unopened.status(), StatusCode::CONFLICT);
        open_by_store(&app).await;
        assert_eq!(give(&app, TOKEN, "committee", "关闭前的意见").await.status(), StatusCode::SEE_OTHER);
        let closed = secretary.post(&format!("{page}/close"), &[("csrf", &token)]).await;
        assert_eq!(closed.status(), StatusCode::SEE_OTHER);
        assert!(secretary.page(&page).await.1.contains("已暂停"));

        let shown = anonymous().get(format!("{}/o/{TOKEN}", app.base)).send().await.expect("a page");
        assert_eq!(shown.status(), StatusCode::OK);
        let html = shown.text().await.expect("a body");
        assert!(
            html.contains("本次意见征集已经结束或暂停") && !html.contains("<form method=\"post\" action=\"/o/"),
            "{html}"
        );
        let refused = give(&app, TOKEN, "committee", "关闭后写的意见").await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        let html = refused.text().await.expect("a body");
        assert!(html.contains("本次意见征集已经结束或暂停") && html.contains("关闭后写的意见"), "kept to copy: {html}");

        for unknown in ["fedcba9876543210fedcba9876543210", "abc", "0123456789ABCDEF0123456789ABCDEF"] {
            let missing = anonymous().get(format!("{}/o/{unknown}", app.base)).send().await.expect("a page");
            assert_eq!(missing.status(), StatusCode::NOT_FOUND, "{unknown}");
            assert!(missing.text().await.expect("a body").contains("这个意见征集链接无效"));
            let posted = give(&app, unknown, "committee", "随便写写").await;
            assert_eq!(posted.status(), StatusCode::NOT_FOUND);
        }

        let reopened = secretary.post(&format!("{page}/open"), &[("csrf", &token)]).await;
        assert_eq!(reopened.status(), StatusCode::SEE_OTHER);
        assert_eq!(give(&app, TOKEN, "committee", "重新开启后的意见").await.status(), StatusCode::SEE_OTHER);
        let (_, html) = secretary.page(&page).await;
        assert!(html.contains("关闭前的意见") && html.contains("重新开启后的意见") && !html.contains("关闭后写的意见"));
        assert_eq!(app.audit("opinion.close").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_channel_takes_a_burst_then_waits_for_its_rate() {
    each_backend(|app: App| async move {
        open_by_store(&app).await;
        for i in 0..30 {
            let given = give(&app, TOKEN, "committee", &format!("第{i}条")).await;
            assert_eq!(given.status(), StatusCode::SEE_OTHER, "{i}");
        }
        let refused = give(&app, TOKEN, "committee", "第三十一条意见").await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        let html = refused.text().await.expect("a body");
        assert!(html.contains("请稍等一两分钟") && html.contains("第三十一条意见"), "{html}");
        app.clock.advance(Duration::from_secs(10));
        assert_eq!(give(&app, TOKEN, "committee", "第三十一条意见").await.status(), StatusCode::SEE_OTHER);
        let channel = app.store.opinion_channel_by_token(TOKEN).await.expect("lookup").expect("the channel");
        assert_eq!(app.store.opinions_of_channel(&channel.id).await.expect("opinions").len(), 31);
    })
    .await;
}

#[tokio::test]
async fn another_branch_and_members_are_refused() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let secretary = app.signed_in("shuji_a").await;
        let own = channel_page(&app, &f.branch_a.id);
        let token = secretary.token(&own).await;
        let other = channel_page(&app, &f.branch_b.id);
        for path in [other.clone(), format!("{other}/qr.svg"), format!("{other}/qr.png")] {
            assert_eq!(secretary.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        for action in ["open", "close"] {
            let refused = secretary.post(&format!("{other}/{action}"), &[("csrf", &token)]).await;
            assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{action}");
        }
        assert!(app.store.opinion_channel(&f.campaign.id, &f.branch_b.id).await.expect("lookup").is_none());
        assert!(!app.audit("access_denied").await.is_empty(), "the probing is audited");
        // A summary for another branch's member through one's own channel.
        let refused = secretary
            .post(
                &format!("{own}/summary"),
                &[("csrf", &token), ("member_id", &f.member_b.id), ("version", "0"), ("body", "摘要")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(app.store.opinion_summary(&f.campaign.id, &f.member_b.id).await.expect("lookup").is_none());

        let member = app.signed_in("wangjianguo").await;
        let denied = app.audit("access_denied").await.len();
        assert_eq!(member.get(&own).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.audit("access_denied").await.len(), denied + 1, "a member's probe is audited too");
        // The superior admin over both branches may open either, and sees the list.
        let superior = app.signed_in("gongwei").await;
        let token = superior.token(&other).await;
        assert_eq!(superior.post(&format!("{other}/open"), &[("csrf", &token)]).await.status(), StatusCode::SEE_OTHER);
        let (status, list) = superior.page(&format!("/campaigns/{}/opinions", f.campaign.id)).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(list.contains("县财政局党支部") && list.contains("征集中") && list.contains("未开启"), "{list}");
        let to_branch = secretary.get(&format!("/campaigns/{}/opinions", f.campaign.id)).await;
        assert_eq!(location(&to_branch), own);
    })
    .await;
}

#[tokio::test]
async fn the_qr_codes_are_svg_and_png_of_the_link() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let secretary = app.signed_in("shuji_a").await;
        let page = channel_page(&app, &f.branch_a.id);
        assert_eq!(secretary.get(&format!("{page}/qr.svg")).await.status(), StatusCode::NOT_FOUND, "not opened yet");
        open_by_store(&app).await;
        let svg = secretary.get(&format!("{page}/qr.svg")).await;
        assert_eq!(svg.status(), StatusCode::OK);
        assert_eq!(svg.headers().get("content-type").expect("a type"), "image/svg+xml");
        let svg = svg.text().await.expect("a body");
        assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        let png = secretary.get(&format!("{page}/qr.png")).await;
        assert_eq!(png.status(), StatusCode::OK);
        assert_eq!(png.headers().get("content-type").expect("a type"), "image/png");
        let bytes = png.bytes().await.expect("a body");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&bytes[12..16], b"IHDR");
        let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        assert!(width >= 480, "{width}");
        let image = image::load_from_memory(&bytes).expect("a PNG that decodes").to_luma8();
        assert_eq!(image.width(), image.height());
        assert!(image.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255), "black and white only");
        assert!(image.pixels().any(|p| p.0[0] == 0));
        // Members cannot fetch it.
        let member = app.signed_in("wangjianguo").await;
        assert_eq!(member.get(&format!("{page}/qr.png")).await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn nothing_of_the_giver_is_stored_or_logged() {
    let captured = crate::helpers::captured_logs();
    each_backend(|app: App| async move {
        let f = &app.fixture;
        open_by_store(&app).await;
        let given = anonymous()
            .post(format!("{}/o/{TOKEN}", app.base))
            .header("user-agent", "独特的浏览器/9.9")
            .form(&[("addressee", f.member_a.id.as_str()), ("body", "秘密标记意见甲乙丙"), ("form_id", &form_id())])
            .send()
            .await
            .expect("posted");
        assert_eq!(given.status(), StatusCode::SEE_OTHER);

        // The table holds the addressee, the text and the day, under a random key: no author, address,
        // browser, cookie or time of day.
        let pool = sqlx::AnyPool::connect(&app.db_url).await.expect("the database");
        let columns: Vec<String> = if app.db_url.starts_with("sqlite") {
            sqlx::query("SELECT name FROM pragma_table_info('opinions') ORDER BY name").fetch_all(&pool).await
        } else {
            sqlx::query(
                "SELECT column_name::text AS name FROM information_schema.columns \
                 WHERE table_name = 'opinions' ORDER BY column_name",
            )
            .fetch_all(&pool)
            .await
        }
        .expect("the columns")
        .iter()
        .map(|r| r.try_get("name").expect("a name"))
        .collect();
        assert_eq!(columns, ["body", "channel_id", "day", "id", "member_id"]);
        let row = sqlx::query("SELECT id, channel_id, member_id, body, day FROM opinions")
            .fetch_one(&pool)
            .await
            .expect("the row");
        let day: String = row.try_get("day").expect("a day");
        assert_eq!(day, "2026-01-01");
        let values: Vec<String> =
            ["id", "channel_id", "member_id", "body"].iter().map(|c| row.try_get(*c).expect("text")).collect();
        for value in &values {
            assert!(!value.contains("127.0.0.1") && !value.contains("独特的浏览器"), "{value}");
        }
        pool.close().await;
        let audit = app.store.audit_entries(None, 1000).await.expect("audit");
        assert!(
            audit
                .iter()
                .all(|e| !e.detail.contains("秘密标记") && !e.target.clone().unwrap_or_default().contains(TOKEN))
        );
    })
    .await;
    let logs = String::from_utf8_lossy(&captured.lock().expect("the log buffer")).into_owned();
    let post_lines: Vec<&str> = logs.lines().filter(|l| l.contains("method=POST") && l.contains("/o/")).collect();
    assert!(!post_lines.is_empty(), "the post's request was logged at all: {logs}");
    for line in &post_lines {
        assert!(line.contains(r#"route="/o/{token}""#), "the route pattern, not the path: {line}");
    }
    for secret in ["秘密标记意见甲乙丙", "%E7%A7%98", TOKEN, "独特的浏览器", "form_id"] {
        assert!(!logs.contains(secret), "the logs hold {secret}");
    }
}

#[tokio::test]
async fn the_material_page_lists_the_opinions_the_material_does_not_answer() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        open_by_store(&app).await;
        let example = include_str!("../../../../examples/material-2021-county.txt");
        let material = app
            .store
            .start_material(&f.campaign.id, &f.member_a.id, "member", example, &f.member_a_account.id, START_MS)
            .await
            .expect("a material");
        give(&app, TOKEN, &f.member_a.id, "理论学习不深入，学用脱节。").await;
        give(&app, TOKEN, &f.member_a.id, "单位食堂饭菜价格偏高。").await;
        give(&app, TOKEN, "committee", "支部委员会的意见不算在个人头上。").await;
        let page = format!("/materials/{}", material.id);

        let secretary = app.signed_in("shuji_a").await;
        let (status, html) = secretary.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("未回应的意见") && html.contains("征求到 2 条意见"), "{html}");
        assert!(html.contains("单位食堂饭菜价格偏高") && !html.contains("理论学习不深入，学用脱节"), "{html}");
        assert!(!html.contains("支部委员会的意见不算在个人头上"));

        // Below k the member does not see the section; from k on they do.
        let member = app.signed_in("wangjianguo").await;
        let (_, html) = member.page(&page).await;
        assert!(!html.contains("未回应的意见") && !html.contains("单位食堂饭菜价格偏高"), "{html}");
        for i in 0..3 {
            give(&app, TOKEN, &f.member_a.id, &format!("办事窗口第{i}次排长队。")).await;
        }
        let (_, html) = member.page(&page).await;
        assert!(html.contains("未回应的意见") && html.contains("单位食堂饭菜价格偏高"), "{html}");
        // And the member's editor links to the opinions (on a campaign whose definition the editor reads).
        let definition =
            toml::to_string(&mingjing_review::Campaign::builtin("2021-county").expect("built in")).expect("toml");
        let new = mingjing_storage::NewCampaign {
            org_id: &f.county.id,
            year: 2021,
            title: "2021年度组织生活会",
            notice: "",
            definition: &definition,
        };
        let real = app.store.create_campaign(&new, START_MS).await.expect("campaign");
        let (status, editor) = member.page(&format!("/campaigns/{}", real.id)).await;
        assert_eq!(status, StatusCode::OK, "{editor}");
        let link = format!("/campaigns/{}/opinions/mine", real.id);
        assert!(editor.contains(&link) && editor.contains("关于我的意见"), "{editor}");
        let (_, list) = secretary.page(&format!("/campaigns/{}", f.campaign.id)).await;
        assert!(list.contains(&format!("/campaigns/{}/opinions\"", f.campaign.id)) && list.contains("征求意见"));
    })
    .await;
}
