//! The 组织生活会 record over HTTP on both backends: the secretary records and locks it,
//! the superior reads it and appends corrections, members read it with only their own
//! criticism; bad input, two tabs, a locked record, a double lock and other branches' ids
//! are each refused in Chinese without losing anything saved.

use mingjing_storage::{MeetingContent, MeetingError, Member, NewAccount, NewCampaign, NewMember, Role, Standing};
use mingjing_web::hash_password;
use reqwest::StatusCode;

use crate::helpers::{App, Browser, PASSWORD, START_MS, each_backend, form_token, location};

/// Two more members of branch A (one 预备党员), and an account for the first.
struct Branch {
    wang: Member,
    li: Member,
    zhang: Member,
}

async fn branch(app: &App) -> Branch {
    let f = &app.fixture;
    let add = |name: &'static str, standing| {
        let store = app.store.clone();
        let org = f.branch_a.id.clone();
        async move {
            let new = NewMember {
                org_id: &org,
                name,
                standing,
                joined_on: None,
                post: None,
                phone: None,
                leading_cadre: false,
            };
            store.add_member(&new, START_MS).await.expect("a member")
        }
    };
    let li = add("李红", Standing::Full).await;
    let zhang = add("张新", Standing::Probationary).await;
    let hash = hash_password(PASSWORD).expect("hash");
    let account = NewAccount {
        login: "lihong",
        phone: None,
        display_name: "李红",
        role: Role::Member,
        org_id: &f.branch_a.id,
        member_id: Some(&li.id),
        password_hash: &hash,
        must_change_password: false,
    };
    app.store.create_account(&account, START_MS).await.expect("an account");
    // The members' campaign page (the material editor) needs a whole campaign definition.
    let definition =
        toml::to_string(&mingjing_review::Campaign::builtin("2021-county").expect("built in")).expect("toml");
    let c = &f.campaign;
    let new =
        NewCampaign { org_id: &c.org_id, year: c.year, title: &c.title, notice: &c.notice, definition: &definition };
    app.store.update_campaign(&c.id, c.version, &new, START_MS).await.expect("the campaign");
    Branch { wang: f.member_a.clone(), li, zhang }
}

fn path(app: &App) -> String {
    format!("/campaigns/{}/orgs/{}/meeting", app.fixture.campaign.id, app.fixture.branch_a.id)
}

/// A complete form: 王建国 and 李红 present, 张新 absent on business; 王建国 criticises
/// 李红 and 李红 criticises 张新.
fn complete(b: &Branch, csrf: &str, version: i64) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("csrf", csrf.to_owned()),
        ("version", version.to_string()),
        ("date", "2026-01-15".to_owned()),
        ("time", "09:00".to_owned()),
        ("place", "中心三楼会议室".to_owned()),
        ("agenda", "通报上年度整改情况\r\n支部书记代表支委对照检查\r\n党员逐一对照检查、相互批评".to_owned()),
        ("observer_name", "赵组织".to_owned()),
        ("observer_post", "县直机关工委委员".to_owned()),
        ("rectification_report", "上年度查摆问题 5 个，已全部整改到位。".to_owned()),
        ("minutes", "会议由陈书记主持，全体党员逐一发言。".to_owned()),
        ("att_member_0", b.wang.id.clone()),
        ("att_0", "present".to_owned()),
        ("att_member_1", b.li.id.clone()),
        ("att_1", "present".to_owned()),
        ("att_member_2", b.zhang.id.clone()),
        ("att_2", "absent".to_owned()),
        ("reason_2", "在市里参加培训".to_owned()),
        ("crit_from_0", b.wang.id.clone()),
        ("crit_to_0", b.li.id.clone()),
        ("crit_text_0", "落实群众诉求办理不够及时".to_owned()),
        ("crit_from_1", b.li.id.clone()),
        ("crit_to_1", b.zhang.id.clone()),
        ("crit_text_1", "参加集中学习不够积极".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    fields.push(("crit_from_2".to_owned(), String::new()));
    fields
}

/// A change to a complete form that makes it wrong.
type Change<'a> = Box<dyn Fn(&mut Vec<(String, String)>) + Send + Sync + 'a>;

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    for (k, v) in fields.iter_mut() {
        if k == name {
            *v = value.to_owned();
        }
    }
}

async fn post(browser: &Browser, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(path, &pairs).await
}

/// The value of the hidden `version` field on a page.
fn version(html: &str) -> i64 {
    let key = "name=\"version\" value=\"";
    let start = html.find(key).map_or(0, |i| i + key.len());
    html[start..].split('"').next().and_then(|v| v.parse().ok()).unwrap_or(-1)
}

#[tokio::test]
async fn the_secretary_records_and_locks_and_everyone_reads_what_they_may() {
    each_backend(|app: App| async move {
        let b = branch(&app).await;
        let page = path(&app);
        let secretary = app.signed_in("shuji_a").await;

        // The campaign page links to the record.
        let (_, list) = secretary.page(&format!("/campaigns/{}", app.fixture.campaign.id)).await;
        assert!(list.contains(&format!("href=\"{page}\">组织生活会</a>")), "{list}");

        let (status, html) = secretary.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("张新（预备党员）") && html.contains("王建国（正式党员）"), "every member: {html}");
        assert!(!html.contains("<script>") && !html.contains(" style=") && !html.contains("onclick"), "CSP-safe");
        let token = form_token(&html).expect("token");
        let saved = post(&secretary, &page, &complete(&b, &token, 0)).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&saved), format!("{page}?saved=1"));
        let stored = app.store.meeting(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.unwrap().unwrap();
        assert_eq!(stored.content.agenda.len(), 3);
        assert_eq!(stored.content.attendance.len(), 3);

        // 王建国 reads the record with the criticism he gave, not the one between two others.
        let wang = app.signed_in("wangjianguo").await;
        let (status, html) = wang.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("落实群众诉求办理不够及时") && html.contains("在市里参加培训"), "{html}");
        assert!(!html.contains("参加集中学习不够积极"), "criticism between others is not shown");
        assert!(html.contains("另有 1 条"), "{html}");
        assert!(!html.contains("name=\"minutes\""), "no form for a member");
        let (_, editor) = wang.page(&format!("/campaigns/{}", app.fixture.campaign.id)).await;
        assert!(editor.contains(&format!("href=\"{page}\">组织生活会记录</a>")), "{editor}");
        assert!(!editor.contains("对我的批评意见"), "nothing addressed to him");

        // 李红 gave one and received one: she sees both, and her campaign page points to hers.
        let li = app.signed_in("lihong").await;
        let (_, html) = li.page(&page).await;
        assert!(html.contains("落实群众诉求办理不够及时") && html.contains("参加集中学习不够积极"), "{html}");
        assert!(html.contains("id=\"to-me\""));
        let (_, editor) = li.page(&format!("/campaigns/{}", app.fixture.campaign.id)).await;
        assert!(editor.contains(&format!("href=\"{page}#to-me\">对我的批评意见</a>")), "{editor}");

        // The superior reads everything; the list of branches shows the record.
        let superior = app.signed_in("gongwei").await;
        let (_, html) = superior.page(&page).await;
        assert!(html.contains("参加集中学习不够积极") && html.contains("赵组织"), "{html}");
        let (_, list) = superior.page(&format!("/campaigns/{}/meetings", app.fixture.campaign.id)).await;
        assert!(
            list.contains("县政务服务中心党支部") && list.contains("县财政局党支部") && list.contains("记录中"),
            "{list}"
        );

        // The lock: a confirmation, then the record with its hash.
        let (status, confirm) = secretary.page(&format!("{page}/lock")).await;
        assert_eq!(status, StatusCode::OK, "{confirm}");
        assert!(confirm.contains("确认锁定") && confirm.contains("出席 2 人，缺席 1 人"), "{confirm}");
        let lock = [("csrf", token.as_str()), ("version", &version(&confirm).to_string())];
        let locked = secretary.post(&format!("{page}/lock"), &lock).await;
        assert_eq!(locked.status(), StatusCode::SEE_OTHER);
        let stored = app.store.meeting(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.unwrap().unwrap();
        let hash = stored.lock.clone().expect("locked").content_hash;
        let expected =
            mingjing_storage::content_hash(&app.fixture.campaign.id, &app.fixture.branch_a.id, &stored.content);
        assert_eq!(hash, expected);
        let (_, html) = secretary.page(&page).await;
        assert!(html.contains(&hash) && html.contains("结果一致"), "{html}");
        assert!(!html.contains("name=\"minutes\""), "no form once locked");
        let (_, html) = wang.page(&page).await;
        assert!(html.contains(&hash), "members see the hash too");

        // A second click on the lock changes nothing.
        let again = secretary.post(&format!("{page}/lock"), &lock).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert!(again.text().await.unwrap().contains("已经锁定"));
        let after = app.store.meeting(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.unwrap().unwrap();
        assert_eq!(after, stored);

        // Corrections: the superior appends one; a member may not.
        let superior_token = form_token(&superior.page(&page).await.1).expect("token");
        let note = superior
            .post(
                &format!("{page}/notes"),
                &[("csrf", &superior_token), ("text", "列席人员职务应为县直机关工委副书记。")],
            )
            .await;
        assert_eq!(note.status(), StatusCode::SEE_OTHER);
        let (_, html) = wang.page(&page).await;
        assert!(html.contains("列席人员职务应为县直机关工委副书记。") && html.contains("赵组织"), "{html}");
        let wang_token = form_token(&html).expect("token");
        let refused = wang.post(&format!("{page}/notes"), &[("csrf", &wang_token), ("text", "我也要更正")]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let empty = superior.post(&format!("{page}/notes"), &[("csrf", &superior_token), ("text", "  ")]).await;
        assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
        assert!(empty.text().await.unwrap().contains("更正说明是空的"));
        let notes = app.store.meeting_notes(&stored.id).await.unwrap();
        assert_eq!(notes.len(), 1);
        assert!(mingjing_storage::notes_chain_holds(&hash, &notes));

        for (action, label) in [
            ("meeting.save", "保存组织生活会记录"),
            ("meeting.lock", "锁定组织生活会记录"),
            ("meeting.note", "添加组织生活会记录更正说明"),
            ("meeting.view", "查看组织生活会记录"),
        ] {
            assert!(app.audit(action).await.iter().any(|e| e.outcome == "ok"), "{action} audited");
            assert_eq!(mingjing_web::audit::action_label(action), Some(label));
        }
        assert!(app.audit("meeting.lock").await.iter().any(|e| e.outcome == "failed"), "the double lock too");
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_in_chinese_and_what_was_typed_comes_back() {
    each_backend(|app: App| async move {
        let b = branch(&app).await;
        let page = path(&app);
        let secretary = app.signed_in("shuji_a").await;
        let token = secretary.token(&page).await;
        let cases: Vec<(&str, Change<'_>, &str)> = vec![
            ("absent without reason", Box::new(|f| set(f, "reason_2", " ")), "张新缺席，请填写缺席原因"),
            ("criticism to oneself", Box::new(|f| set(f, "crit_to_0", &b.wang.id)), "王建国的批评意见不能提给本人"),
            (
                "a person from another branch",
                Box::new(|f| set(f, "crit_to_1", &app.fixture.member_b.id)),
                "所选人员不在本支部党员名单中",
            ),
            (
                "another branch's member in the attendance",
                Box::new(|f| set(f, "att_member_0", &app.fixture.member_b.id)),
                "所选人员不在本支部党员名单中",
            ),
            (
                "a criticism without its people",
                Box::new(|f| set(f, "crit_from_1", "")),
                "第 2 条批评意见请选择提出人和被批评人",
            ),
            ("a date that is no date", Box::new(|f| set(f, "date", "2026-02-30")), "会议日期的格式"),
            ("oversized minutes", Box::new(|f| set(f, "minutes", &"记".repeat(100_001))), "会议记录不超过"),
        ];
        for (what, change, message) in cases {
            let mut fields = complete(&b, &token, 0);
            set(&mut fields, "place", "我刚填的地点");
            change(&mut fields);
            let refused = post(&secretary, &page, &fields).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{what}");
            let html = refused.text().await.unwrap();
            assert!(html.contains(message), "{what}: {html}");
            assert!(html.contains("value=\"我刚填的地点\""), "{what}: what was typed comes back");
            assert!(
                html.contains("name=\"att_member_2\"") && !html.contains("name=\"att_member_3\""),
                "{what}: every member once"
            );
            assert!(app.store.meeting(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.unwrap().is_none());
        }

        // A member may read but not write; the attempt is audited.
        let wang = app.signed_in("wangjianguo").await;
        let wang_token = wang.token(&page).await;
        let refused = post(&wang, &page, &complete(&b, &wang_token, 0)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let lock = wang.post(&format!("{page}/lock"), &[("csrf", &wang_token), ("version", "1")]).await;
        assert_eq!(lock.status(), StatusCode::FORBIDDEN);
        let denied = app.audit("access_denied").await;
        assert!(denied.iter().any(|e| e.detail.contains("只有本支部书记")), "{denied:?}");

        // A record without a date, without minutes and without 张新's attendance cannot be locked.
        let mut fields = complete(&b, &token, 0);
        for name in ["date", "time", "minutes", "att_2", "reason_2"] {
            set(&mut fields, name, "");
        }
        assert_eq!(post(&secretary, &page, &fields).await.status(), StatusCode::SEE_OTHER);
        let (_, confirm) = secretary.page(&format!("{page}/lock")).await;
        for gap in
            ["还没有填写会议日期和时间", "以下党员的出席情况还没有记录：张新", "会议记录（发言和讨论情况）还是空的"]
        {
            assert!(confirm.contains(gap), "{gap}: {confirm}");
        }
        assert!(!confirm.contains("确认锁定"), "no confirmation while something is missing");
        let forced = secretary.post(&format!("{page}/lock"), &[("csrf", &token), ("version", "1")]).await;
        assert_eq!(forced.status(), StatusCode::BAD_REQUEST);
        assert!(forced.text().await.unwrap().contains("还没有填写会议日期和时间"));
        let stored = app.store.meeting(&app.fixture.campaign.id, &app.fixture.branch_a.id).await.unwrap().unwrap();
        assert!(stored.lock.is_none());
        let early = secretary.post(&format!("{page}/notes"), &[("csrf", &token), ("text", "更正")]).await;
        assert_eq!(early.status(), StatusCode::CONFLICT, "notes wait for the lock");
    })
    .await;
}

#[tokio::test]
async fn two_tabs_and_a_locked_record_lose_nothing() {
    each_backend(|app: App| async move {
        let b = branch(&app).await;
        let page = path(&app);
        let (campaign, org) = (app.fixture.campaign.id.clone(), app.fixture.branch_a.id.clone());
        let secretary = app.signed_in("shuji_a").await;
        let token = secretary.token(&page).await;
        assert_eq!(post(&secretary, &page, &complete(&b, &token, 0)).await.status(), StatusCode::SEE_OTHER);

        // Tab A and tab B both show version 1; A saves first.
        let mut tab_a = complete(&b, &token, 1);
        set(&mut tab_a, "minutes", "甲窗口的记录");
        assert_eq!(post(&secretary, &page, &tab_a).await.status(), StatusCode::SEE_OTHER);
        let mut tab_b = complete(&b, &token, 1);
        set(&mut tab_b, "minutes", "乙窗口的记录");
        let late = post(&secretary, &page, &tab_b).await;
        assert_eq!(late.status(), StatusCode::CONFLICT);
        let html = late.text().await.unwrap();
        assert!(html.contains("已在另一个窗口或设备上保存为第 2 版") && html.contains("乙窗口的记录"), "{html}");
        assert_eq!(version(&html), 2, "saving again is a deliberate choice over version 2");
        let stored = app.store.meeting(&campaign, &org).await.unwrap().unwrap();
        assert_eq!(stored.content.minutes, "甲窗口的记录");
        // A second first save (two tabs on an empty record) is the same conflict.
        let first_again = post(&secretary, &page, &complete(&b, &token, 0)).await;
        assert_eq!(first_again.status(), StatusCode::CONFLICT);

        // Lock, then try to edit: through the form and straight through storage.
        let locked = secretary.post(&format!("{page}/lock"), &[("csrf", &token), ("version", "2")]).await;
        assert_eq!(locked.status(), StatusCode::SEE_OTHER);
        let stored = app.store.meeting(&campaign, &org).await.unwrap().unwrap();
        for seen in ["2", "3"] {
            let mut edit = complete(&b, &token, 0);
            set(&mut edit, "version", seen);
            set(&mut edit, "minutes", "锁定后想改的记录");
            let refused = post(&secretary, &page, &edit).await;
            assert_eq!(refused.status(), StatusCode::CONFLICT, "version {seen}");
            let html = refused.text().await.unwrap();
            assert!(html.contains("会议记录已经锁定，不能再修改") && html.contains("锁定后想改的记录"), "{html}");
            assert!(!html.contains(">保存</button>"), "no save button on a locked record");
        }
        let direct = app
            .store
            .save_meeting(&campaign, &org, 3, &MeetingContent::default(), &app.fixture.secretary_a.id, START_MS)
            .await;
        assert!(matches!(direct, Err(MeetingError::Locked)), "{direct:?}");
        assert_eq!(app.store.meeting(&campaign, &org).await.unwrap().unwrap(), stored, "nothing changed");
        assert_eq!(stored.hash_holds(), Some(true));
        assert!(app.audit("meeting.save").await.iter().any(|e| e.outcome == "failed" && e.detail.contains("已锁定")));
    })
    .await;
}

#[tokio::test]
async fn other_branches_ids_in_the_url_are_refused_and_audited() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let own = path(&app);
        let other = format!("/campaigns/{}/orgs/{}/meeting", f.campaign.id, f.branch_b.id);
        let guessed = format!("/campaigns/{}/orgs/0192f0c4a8e97c3b8d1e2f3a4b5c6d7e/meeting", f.campaign.id);
        let no_campaign = format!("/campaigns/0192f0c4a8e97c3b8d1e2f3a4b5c6d7e/orgs/{}/meeting", f.branch_a.id);
        let secretary = app.signed_in("shuji_a").await;
        let token = secretary.token(&own).await;
        for path in [&other, &guessed, &no_campaign, &format!("{other}/lock")] {
            assert_eq!(secretary.page(path).await.0, StatusCode::NOT_FOUND, "{path}");
        }
        let write = secretary.post(&other, &[("csrf", &token), ("version", "0"), ("minutes", "越权")]).await;
        assert_eq!(write.status(), StatusCode::NOT_FOUND, "writing another branch's record");
        assert!(app.store.meeting(&f.campaign.id, &f.branch_b.id).await.unwrap().is_none());
        let member_b = app.signed_in("lixiuying").await;
        assert_eq!(member_b.page(&own).await.0, StatusCode::NOT_FOUND, "a member of another branch");
        assert_eq!(member_b.page(&other).await.0, StatusCode::OK, "her own branch's");
        for login in ["shenji", "xitong"] {
            assert_eq!(app.signed_in(login).await.page(&own).await.0, StatusCode::NOT_FOUND, "{login}");
        }
        let denied = app.audit("access_denied").await;
        assert!(denied.iter().filter(|e| e.target.as_deref().is_some_and(|t| t.starts_with("meeting:"))).count() >= 8);
        // A branch secretary's list is their own record.
        let list = secretary.get(&format!("/campaigns/{}/meetings", f.campaign.id)).await;
        assert_eq!(location(&list), own);
    })
    .await;
}
