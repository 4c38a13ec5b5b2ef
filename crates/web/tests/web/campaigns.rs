//! Campaigns through the browser, on both backends: opened from a built-in year and from a blank form, refused with
//! every mistake in Chinese, edited with a version check, refused to everyone but the superior admin of the
//! subtree, and shown with their deadlines on the home page of each organization that takes part.

use mingjing_review::Campaign as Definition;
use mingjing_review::campaign::Step;
use mingjing_storage::{Campaign, NewAccount, NewCampaign, OrgKind, Role};
use mingjing_web::hash_password;
use reqwest::StatusCode;

use crate::helpers::{App, Browser, DAY_MS, PASSWORD, START_MS, each_backend, form_token, location};

/// The fields a browser would submit from the first form on `html`: inputs with their values (checkboxes only when
/// checked), textareas with their text, selects with their selected option.
fn form_fields(html: &str) -> Vec<(String, String)> {
    let form = &html[html.find("<form method=\"post\"").expect("a form")..];
    let form = &form[..form.find("</form>").expect("the form ends")];
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        let tag_end = rest.find('>').expect("tags close");
        let tag = &rest[..=tag_end];
        let name = attribute(tag, "name");
        if tag.starts_with("<input") {
            let checkbox = attribute(tag, "type").as_deref() == Some("checkbox");
            if let Some(name) = name.filter(|_| !checkbox || tag.contains(" checked")) {
                fields.push((name, attribute(tag, "value").unwrap_or_else(|| "on".to_owned())));
            }
        } else if tag.starts_with("<textarea") {
            let body = &rest[tag_end + 1..];
            let text = &body[..body.find("</textarea>").expect("textareas close")];
            fields.push((name.expect("named"), unescape(text)));
        } else if tag.starts_with("<select") {
            let body = &rest[tag_end + 1..];
            let options = &body[..body.find("</select>").expect("selects close")];
            let selected = options.split("<option").find(|o| o.contains(" selected")).expect("an option is selected");
            fields.push((name.expect("named"), attribute(selected, "value").expect("a value")));
        }
        rest = &rest[tag_end..];
    }
    fields
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Replaces (or adds) a field's value.
fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

async fn post_fields(browser: &Browser, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    browser.post(path, &pairs).await
}

/// The blank form, filled in with a valid campaign for the committee.
async fn blank_filled(admin: &Browser) -> Vec<(String, String)> {
    let (status, html) = admin.page("/campaigns/new?from=blank").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let mut fields = form_fields(&html);
    set(&mut fields, "title", "2025年度县直机关组织生活会");
    set(&mut fields, "year", "2025");
    set(&mut fields, "member_aspects", "（一）政治纪律：两个维护、政治方向\n（二）组织纪律：民主集中制");
    set(&mut fields, "notice", "请各支部按时召开。");
    set(&mut fields, "deadline_materials", "2026-01-20");
    set(&mut fields, "deadline_meeting", "2026-01-31");
    fields
}

async fn opened_under(app: &App) -> Vec<Campaign> {
    app.store.campaigns_opened_under(&app.fixture.committee).await.expect("campaigns")
}

#[tokio::test]
async fn a_campaign_opened_from_a_builtin_year_keeps_its_definition() {
    each_backend(|app: App| async move {
        let admin = app.signed_in("gongwei").await;
        let (status, choose) = admin.page("/campaigns/new").await;
        assert_eq!(status, StatusCode::OK, "{choose}");
        assert!(choose.contains("/campaigns/new?from=2025-annual") && choose.contains("空白"), "{choose}");
        let (status, html) = admin.page("/campaigns/new?from=2025-annual").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("政治纪律：政治立场、两个维护、政治方向"), "{html}");
        let response = post_fields(&admin, "/campaigns/new", &form_fields(&html)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", response.text().await.unwrap_or_default());
        assert_eq!(location(&response), "/campaigns");

        let stored = opened_under(&app).await;
        assert_eq!(stored.len(), 1);
        let campaign = &stored[0];
        assert_eq!(
            (campaign.org_id.as_str(), campaign.year, campaign.version),
            (app.fixture.committee.id.as_str(), 2025, 1)
        );
        let def = Definition::from_toml(&campaign.definition).expect("the stored definition loads");
        let builtin = Definition::builtin("2025-annual").expect("built in");
        assert_eq!(def.id, campaign.id);
        assert_eq!(
            (def.aspects, def.deadlines, def.notice_title),
            (builtin.aspects, builtin.deadlines, builtin.notice_title)
        );
        let audit = app.audit("campaign.create").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].target.as_deref(), Some(campaign.id.as_str()));

        let (_, list) = admin.page("/campaigns").await;
        assert!(list.contains(&format!("/campaigns/{}/edit", campaign.id)), "{list}");
        assert!(list.contains("上级部署，不能修改"), "the county's campaign is followed, not edited: {list}");
    })
    .await;
}

#[tokio::test]
async fn a_campaign_from_scratch_reaches_the_chosen_branch_only() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let admin = app.signed_in("gongwei").await;
        let mut fields = blank_filled(&admin).await;
        set(&mut fields, "org_id", &f.branch_a.id);
        set(&mut fields, "committee_aspects", "政治担当\n班子建设：民主集中制");
        set(&mut fields, "matters_committee", "on");
        set(&mut fields, "standards", "党章\n合格党员标准");
        set(&mut fields, "readings", "《中国共产党章程》｜人民出版社");
        set(&mut fields, "mandated_phrases", "党的二十届四中全会精神");
        set(&mut fields, "deadline_talks", "2026/1/10");
        set(&mut fields, "deadline_report", "2026年2月10日");
        let response = post_fields(&admin, "/campaigns/new", &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", response.text().await.unwrap_or_default());

        let stored = opened_under(&app).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(
            (stored[0].org_id.as_str(), stored[0].notice.as_str()),
            (f.branch_a.id.as_str(), "请各支部按时召开。")
        );
        let def = Definition::from_toml(&stored[0].definition).expect("loads");
        let titles: Vec<&str> = def.aspects.member.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["政治纪律", "组织纪律"]);
        assert_eq!(def.aspects.committee[1].keywords, ["民主集中制"]);
        assert!(def.requires_matters_report(mingjing_review::Audience::Committee));
        assert_eq!(def.standards, ["党章", "合格党员标准"]);
        assert_eq!(def.readings[0].source.as_deref(), Some("人民出版社"));
        assert_eq!(def.deadline(Step::Talks).map(|d| d.to_string()).as_deref(), Some("2026-01-10"));
        assert_eq!(def.deadline(Step::Report).map(|d| d.to_string()).as_deref(), Some("2026-02-10"));

        let (_, home_a) = app.signed_in("wangjianguo").await.page("/").await;
        assert!(home_a.contains("2025年度县直机关组织生活会"), "{home_a}");
        let (_, home_b) = app.signed_in("lixiuying").await.page("/").await;
        assert!(!home_b.contains("2025年度县直机关组织生活会"), "branch B is not in it: {home_b}");
    })
    .await;
}

#[tokio::test]
async fn mistakes_are_shown_in_chinese_and_nothing_typed_is_lost() {
    each_backend(|app: App| async move {
        let admin = app.signed_in("gongwei").await;
        let valid = blank_filled(&admin).await;
        let cases: [(&str, &str, &str); 5] = [
            ("title", "  ", "请填写标题"),
            ("member_aspects", "", "请至少填写一个党员的检视方面"),
            (
                "deadline_materials",
                "2026-02-05",
                "对照检查材料的截止日期（2026-02-05）不能晚于组织生活会的截止日期（2026-01-31）",
            ),
            ("deadline_meeting", "2026-13-45", "组织生活会的截止日期“2026-13-45”不是有效的日期"),
            ("year", "去年", "年度应是四位数的年份"),
        ];
        for (field, value, message) in cases {
            let mut fields = valid.clone();
            set(&mut fields, field, value);
            let response = post_fields(&admin, "/campaigns/new", &fields).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            let html = response.text().await.expect("a body");
            assert!(html.contains("请修改以下内容后再保存") && html.contains(message), "{field}: {html}");
            assert!(html.contains("请各支部按时召开。"), "{field}: the notice typed is still there");
        }
        let mut foreign = valid.clone();
        set(&mut foreign, "org_id", &app.fixture.county.id);
        let response = post_fields(&admin, "/campaigns/new", &foreign).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.expect("a body").contains("请从列表中选择参加的党组织"));
        assert!(opened_under(&app).await.is_empty(), "nothing was saved");
        assert!(app.store.campaigns_opened_under(&app.fixture.county).await.expect("campaigns").len() == 1);
    })
    .await;
}

#[tokio::test]
async fn a_stale_edit_is_refused_and_keeps_what_was_typed() {
    each_backend(|app: App| async move {
        let admin = app.signed_in("gongwei").await;
        let response = post_fields(&admin, "/campaigns/new", &blank_filled(&admin).await).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let id = opened_under(&app).await[0].id.clone();
        let edit = format!("/campaigns/{id}/edit");

        let other_tab = app.signed_in("gongwei").await;
        let (_, first_html) = admin.page(&edit).await;
        let (_, second_html) = other_tab.page(&edit).await;
        let mut first = form_fields(&first_html);
        assert!(first.contains(&("version".to_owned(), "1".to_owned())), "{first_html}");
        set(&mut first, "title", "第一次修改");
        let saved = post_fields(&admin, &edit, &first).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{}", saved.text().await.unwrap_or_default());

        let mut second = form_fields(&second_html);
        set(&mut second, "title", "第二次修改");
        set(&mut second, "notice", "另一位管理员写的通知");
        let refused = post_fields(&other_tab, &edit, &second).await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        let html = refused.text().await.expect("a body");
        assert!(html.contains("已被修改") && html.contains("第 2 版"), "{html}");
        assert!(html.contains("第二次修改") && html.contains("另一位管理员写的通知"), "nothing typed is lost: {html}");
        let stored = app.store.campaign(&id).await.expect("stored");
        assert_eq!((stored.title.as_str(), stored.version), ("第一次修改", 2));

        // Saving the returned form again is a deliberate choice, and it goes through.
        let again = post_fields(&other_tab, &edit, &form_fields(&html)).await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        let stored = app.store.campaign(&id).await.expect("stored");
        assert_eq!((stored.title.as_str(), stored.version), ("第二次修改", 3));
        assert_eq!(app.audit("campaign.update").await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn only_the_superior_admin_opens_campaigns() {
    each_backend(|app: App| async move {
        let campaign = &app.fixture.campaign;
        for login in ["wangjianguo", "shuji_a", "shenji", "xitong"] {
            let browser = app.signed_in(login).await;
            for path in ["/campaigns/new", "/campaigns/new?from=blank", "/campaigns"] {
                assert_eq!(browser.get(path).await.status(), StatusCode::FORBIDDEN, "{login} {path}");
            }
            let edit = format!("/campaigns/{}/edit", campaign.id);
            assert_eq!(browser.get(&edit).await.status(), StatusCode::FORBIDDEN, "{login} {edit}");
            let token = browser.token("/password").await;
            let posted = browser
                .post(
                    "/campaigns/new",
                    &[("csrf", &token), ("title", "越权"), ("year", "2025"), ("member_aspects", "政治")],
                )
                .await;
            assert_eq!(posted.status(), StatusCode::FORBIDDEN, "{login}");
        }
        assert_eq!(app.store.campaigns_opened_under(&app.fixture.county).await.expect("campaigns").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn an_admin_of_another_subtree_cannot_edit() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let town =
            app.store.create_org(Some(&f.county.id), "城关镇党委", OrgKind::Committee, START_MS).await.expect("org");
        let hash = hash_password(PASSWORD).expect("hash");
        let new = NewAccount {
            login: "chengguan",
            phone: None,
            display_name: "钱组织",
            role: Role::SuperiorAdmin,
            org_id: &town.id,
            member_id: None,
            password_hash: &hash,
            must_change_password: false,
        };
        app.store.create_account(&new, START_MS).await.expect("account");
        let definition = toml::to_string(&Definition::builtin("2025-annual").expect("built in")).expect("toml");
        let theirs = app
            .store
            .create_campaign(
                &NewCampaign {
                    org_id: &f.committee.id,
                    year: 2025,
                    title: "工委的",
                    notice: "",
                    definition: &definition,
                },
                START_MS,
            )
            .await
            .expect("campaign");

        let stranger = app.signed_in("chengguan").await;
        let edit = format!("/campaigns/{}/edit", theirs.id);
        assert_eq!(stranger.get(&edit).await.status(), StatusCode::NOT_FOUND);
        let token = stranger.token("/campaigns/new?from=blank").await;
        let posted = stranger
            .post(
                &edit,
                &[("csrf", &token), ("version", "1"), ("title", "改掉"), ("year", "2025"), ("member_aspects", "政治")],
            )
            .await;
        assert_eq!(posted.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.store.campaign(&theirs.id).await.expect("stored").title, "工委的");
        assert!(
            app.audit("access_denied")
                .await
                .iter()
                .any(|e| e.target.as_deref() == Some(&*format!("campaign:{}", theirs.id)))
        );

        // The committee's admin may not edit what the county opened above them either.
        let admin = app.signed_in("gongwei").await;
        assert_eq!(admin.get(&format!("/campaigns/{}/edit", f.campaign.id)).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(admin.get(&edit).await.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_post_without_the_form_token_is_refused() {
    each_backend(|app: App| async move {
        let admin = app.signed_in("gongwei").await;
        let mut fields = blank_filled(&admin).await;
        fields.retain(|(name, _)| name != "csrf");
        let response = post_fields(&admin, "/campaigns/new", &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.text().await.expect("a body").contains("页面已过期"));
        set(&mut fields, "csrf", &"0".repeat(64));
        assert_eq!(post_fields(&admin, "/campaigns/new", &fields).await.status(), StatusCode::FORBIDDEN);
        assert!(opened_under(&app).await.is_empty());
        assert!(form_token(&admin.page("/campaigns/new?from=blank").await.1).is_some());
    })
    .await;
}

#[tokio::test]
async fn the_branch_home_page_counts_down_and_marks_passed_deadlines() {
    each_backend(|app: App| async move {
        let admin = app.signed_in("gongwei").await;
        let response = post_fields(&admin, "/campaigns/new", &blank_filled(&admin).await).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);

        let (status, home) = app.signed_in("shuji_a").await.page("/").await;
        assert_eq!(status, StatusCode::OK, "{home}");
        assert!(home.contains("对照检查材料") && home.contains("2026-01-20") && home.contains("还剩 19 天"), "{home}");
        assert!(home.contains("2026-01-31") && home.contains("还剩 30 天"), "{home}");
        assert!(!home.contains("deadline-overdue"), "{home}");

        // 25 days on: the materials deadline has passed, the meeting is still ahead. Sessions time out meanwhile.
        app.clock.set(START_MS + 25 * DAY_MS);
        let (_, home) = app.signed_in("shuji_a").await.page("/").await;
        assert!(home.contains("已过截止日期 6 天") && home.contains("还剩 5 天"), "{home}");
        let overdue = home.find("deadline-overdue").expect("the passed step is marked");
        let marked = &home[overdue..overdue + home[overdue..].find("</li>").expect("the step's line ends")];
        assert!(marked.contains("对照检查材料") && marked.contains("2026-01-20"), "{marked}");
        assert_eq!(home.matches("deadline-overdue").count(), 1, "only the passed step: {home}");

        let (_, member_home) = app.signed_in("wangjianguo").await.page("/").await;
        assert!(member_home.contains("已过截止日期 6 天"), "members see the deadlines too: {member_home}");
    })
    .await;
}

#[tokio::test]
async fn the_overview_counts_materials_per_branch_for_those_above_the_branches() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        app.store
            .start_material(&f.campaign.id, &f.member_a.id, "member", "初稿", &f.member_a_account.id, START_MS)
            .await
            .expect("a draft");
        let path = format!("/campaigns/{}/overview", f.campaign.id);
        let (status, html) = app.signed_in("gongwei").await.page(&path).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let row = |name: &str| {
            let start = html.find(name).unwrap_or_else(|| panic!("{name} in {html}"));
            html[start..start + html[start..].find("</tr>").expect("the row ends")].to_owned()
        };
        // 支部数, 党员, 材料已提交, 材料已通过: a draft is not submitted.
        assert!(row("县政务服务中心党支部").contains("<td>1</td><td>1</td><td>0/1</td><td>0/1</td>"), "{html}");
        assert!(row("县财政局党支部").contains("<td>1</td><td>1</td><td>0/1</td><td>0/1</td>"), "{html}");
        assert!(row("合计").contains("<th>2</th><th>2</th><th>0/2</th>"), "{html}");
        assert!(html.contains(&format!("href=\"/campaigns/{}\"", f.campaign.id)), "links the copy-ratio list");
        // A branch secretary follows their own branch (tests/web/superior.rs); members, the auditor and the
        // system admin see no progress at all.
        assert_eq!(app.signed_in("shuji_a").await.get(&path).await.status(), StatusCode::OK);
        for login in ["wangjianguo", "shenji", "xitong"] {
            assert_eq!(app.signed_in(login).await.get(&path).await.status(), StatusCode::NOT_FOUND, "{login}");
        }
    })
    .await;
}
