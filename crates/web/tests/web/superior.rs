//! The branch's report upward and the superior's view of a campaign over HTTP, on both backends: the report's life
//! (drafted from the data, submitted once, returned with a reason, resubmitted, acknowledged; members and other
//! roles refused), and the view's numbers for a seeded subtree, overdue flags as the clock moves, drill-down scope,
//! the copy-ratio histogram, and the `.xlsx` read back.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};
use mingjing_storage::{
    Attendance, Criticism, MeetingAttendance, MeetingContent, Member, NewCampaign, NewMember, NewRectification,
    NewStudySession, NewTalk, OriginKind, Presence, ReportStatus, Standing, StoredReview,
};
use reqwest::StatusCode;

use crate::helpers::{App, DAY_MS, START_MS, each_backend, form_token, location};

/// Materials by 2026-01-20, the meeting by 2026-01-31, the report by 2026-02-10.
const DEFINITION: &str = "id = \"2025-test\"\nyear = 2025\nname = \"测试\"\n[deadlines]\nmaterials = 2026-01-20\n\
                          meeting = 2026-01-31\nreport = 2026-02-10\n[[aspects.member]]\ntitle = \"政治\"\n";

async fn set_deadlines(app: &App) {
    let c = &app.fixture.campaign;
    let new =
        NewCampaign { org_id: &c.org_id, year: c.year, title: &c.title, notice: &c.notice, definition: DEFINITION };
    app.store.update_campaign(&c.id, c.version, &new, START_MS).await.expect("the campaign");
}

async fn add_member(app: &App, org_id: &str, name: &'static str) -> Member {
    let new = NewMember {
        org_id,
        name,
        standing: Standing::Full,
        joined_on: None,
        post: None,
        phone: None,
        leading_cadre: false,
    };
    app.store.add_member(&new, START_MS).await.expect("a member")
}

/// Branch A's meeting: 王建国 present, 李红 absent on business; 王建国 criticises 李红. Locked.
async fn meeting(app: &App, li: &Member) {
    let f = &app.fixture;
    let content = MeetingContent {
        date: "2026-01-15".into(),
        time: "09:00".into(),
        place: "中心三楼会议室".into(),
        agenda: vec!["对照检查".into()],
        observer_name: "赵组织".into(),
        observer_post: "县直机关工委委员".into(),
        rectification_report: "上年度问题已整改。".into(),
        minutes: "会议由陈书记主持。".into(),
        attendance: vec![
            MeetingAttendance { member_id: f.member_a.id.clone(), presence: Presence::Present },
            MeetingAttendance {
                member_id: li.id.clone(),
                presence: Presence::Absent { reason: "在市里参加培训".into() },
            },
        ],
        criticisms: vec![Criticism {
            from_member_id: f.member_a.id.clone(),
            to_member_id: li.id.clone(),
            text: "落实群众诉求不够及时".into(),
        }],
    };
    let (c, o, by) = (&f.campaign.id, &f.branch_a.id, &f.secretary_a.id);
    let saved = app.store.save_meeting(c, o, 0, &content, by, START_MS).await.expect("saved");
    app.store.lock_meeting(c, o, saved.version, by, START_MS).await.expect("locked");
}

fn report_path(app: &App) -> String {
    format!("/campaigns/{}/orgs/{}/report", app.fixture.campaign.id, app.fixture.branch_a.id)
}

/// The value of a hidden field on a page.
fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key).unwrap_or_else(|| panic!("no {name} in {html}")) + key.len();
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_report_is_drafted_from_the_data_submitted_once_returned_resubmitted_and_acknowledged() {
    each_backend(|app: App| async move {
        let f = app.fixture.clone();
        let li = add_member(&app, &f.branch_a.id, "李红").await;
        meeting(&app, &li).await;
        let path = report_path(&app);
        let secretary = app.signed_in("shuji_a").await;

        let (status, html) = secretary.page(&path).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        for fact in [
            "县政务服务中心党支部关于专题组织生活会和民主评议党员情况的报告",
            "于2026-01-15 09:00在中心三楼会议室召开2025年度组织生活会",
            "应到 2 人，实到 1 人，缺席 1 人：李红（在市里参加培训）。",
            "列席指导：赵组织（县直机关工委委员）。",
            "共提出批评意见 1 条，其中王建国提出 1 条、收到 0 条；李红提出 0 条、收到 1 条。",
            "民主测评尚未完成。",
            "四、整改落实情况\n整改清单中还没有整改事项。",
        ] {
            assert!(html.contains(fact), "{fact} in {html}");
        }
        assert!(!html.contains("落实群众诉求"), "the criticism's text stays in the minutes");
        assert!(!html.contains("<script>") && !html.contains(" style="), "CSP-safe");
        let csrf = form_token(&html).expect("token");
        let submission = hidden(&html, "submission");

        // A member of the branch may neither see nor submit it.
        let member = app.signed_in("wangjianguo").await;
        assert_eq!(member.get(&path).await.status(), StatusCode::NOT_FOUND);
        let member_csrf = member.token("/password").await;
        let refused = member
            .post(
                &path,
                &[
                    ("csrf", &member_csrf),
                    ("version", "0"),
                    ("submission", "x"),
                    ("body", "冒名"),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        assert!(app.store.branch_report(&f.campaign.id, &f.branch_a.id).await.expect("read").is_none());

        // An empty text is refused with a message, nothing saved.
        let empty = secretary
            .post(
                &path,
                &[("csrf", &csrf), ("version", "0"), ("submission", &submission), ("body", "  "), ("action", "submit")],
            )
            .await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.text().await.expect("body").contains("报告内容是空的"));

        let body = "经修改的报告：会议于2026-01-15召开。";
        let form = [
            ("csrf", csrf.as_str()),
            ("version", "0"),
            ("submission", &submission),
            ("body", body),
            ("action", "submit"),
        ];
        let sent = secretary.post(&path, &form).await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER, "{}", sent.text().await.unwrap_or_default());
        // The same form again (a double click, a resent request): refused, one submission.
        let twice = secretary.post(&path, &form).await;
        assert_eq!(twice.status(), StatusCode::CONFLICT);
        assert!(twice.text().await.expect("body").contains("已经上报过了"));
        let stored = app.store.branch_report(&f.campaign.id, &f.branch_a.id).await.expect("read").expect("saved");
        assert_eq!((stored.status, stored.submissions.len()), (ReportStatus::Submitted, 1));
        assert_eq!(stored.body, body);

        // Read-only now: an edit from a stale page is refused and keeps what was typed.
        let (_, html) = secretary.page(&path).await;
        assert!(!html.contains("<textarea id=\"report-body\""), "no editor once submitted: {html}");
        let late = secretary
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("version", "1"),
                    ("submission", "other"),
                    ("body", "晚到的修改"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(late.status(), StatusCode::CONFLICT);
        let late = late.text().await.expect("body");
        assert!(late.contains("已上报") && late.contains("晚到的修改"), "{late}");

        // The secretary cannot answer their own report; the superior returns it, with a reason.
        let decision = format!("{path}/decision");
        let own = secretary.post(&decision, &[("csrf", &csrf), ("seq", "1"), ("decision", "acknowledge")]).await;
        assert_eq!(own.status(), StatusCode::FORBIDDEN);
        let superior = app.signed_in("gongwei").await;
        let (status, html) = superior.page(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(body) && html.contains("退回修改"), "{html}");
        let sup_csrf = form_token(&html).expect("token");
        let no_reason = superior
            .post(&decision, &[("csrf", &sup_csrf), ("seq", "1"), ("decision", "return"), ("reason", " ")])
            .await;
        assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_reason.text().await.expect("body").contains("请写明退回的原因"));
        let reason = "缺少学习研讨情况";
        let returned = superior
            .post(&decision, &[("csrf", &sup_csrf), ("seq", "1"), ("decision", "return"), ("reason", reason)])
            .await;
        assert_eq!(returned.status(), StatusCode::SEE_OTHER);
        assert!(location(&returned).ends_with("done=returned"));

        // The secretary sees why, edits and submits again with a fresh form.
        let (_, html) = secretary.page(&path).await;
        assert!(html.contains(reason) && html.contains("<textarea id=\"report-body\""), "{html}");
        let version = hidden(&html, "version");
        let saved = secretary
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("submission", ""),
                    ("body", "补充了学习研讨"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let (_, html) = secretary.page(&path).await;
        let (version, submission) = (hidden(&html, "version"), hidden(&html, "submission"));
        let resent = secretary
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("submission", &submission),
                    ("body", "第二稿"),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(resent.status(), StatusCode::SEE_OTHER);

        let acknowledged =
            superior.post(&decision, &[("csrf", &sup_csrf), ("seq", "2"), ("decision", "acknowledge")]).await;
        assert_eq!(acknowledged.status(), StatusCode::SEE_OTHER);
        let again = superior.post(&decision, &[("csrf", &sup_csrf), ("seq", "2"), ("decision", "acknowledge")]).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        let stored = app.store.branch_report(&f.campaign.id, &f.branch_a.id).await.expect("read").expect("saved");
        assert_eq!(stored.status, ReportStatus::Acknowledged);
        let bodies: Vec<&str> = stored.submissions.iter().map(|s| s.body.as_str()).collect();
        assert_eq!(bodies, [body, "第二稿"], "every version kept as submitted");
        let (_, html) = superior.page(&path).await;
        assert!(html.contains("第 2 次上报") && html.contains("第 1 次上报") && html.contains(reason), "{html}");

        assert_eq!(app.audit("report.submit").await.iter().filter(|e| e.outcome == "ok").count(), 2);
        assert_eq!(app.audit("report.return").await.len(), 1);
        assert_eq!(app.audit("report.acknowledge").await.len(), 1);
        assert!(!app.audit("access_denied").await.is_empty(), "the member's attempt is on record");

        // Another branch's secretary, or a secretary's look at another branch's report: the same 404.
        let other = format!("/campaigns/{}/orgs/{}/report", f.campaign.id, f.branch_b.id);
        assert_eq!(secretary.get(&other).await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

/// The text of the table row that starts with `name`.
fn row(html: &str, name: &str) -> String {
    let start = html.find(&format!(">{name}<")).unwrap_or_else(|| panic!("{name} in {html}"));
    html[start..start + html[start..].find("</tr>").expect("the row ends")].to_owned()
}

/// Seeds the subtree: branch A has 王建国 and 李红 (a talk held, materials submitted, two opinions, its meeting
/// locked, its report submitted); branch B has 李秀英 and 周明 (a study session, one approved material).
async fn seed(app: &App) -> (Member, Member) {
    let f = &app.fixture;
    set_deadlines(app).await;
    let li = add_member(app, &f.branch_a.id, "李红").await;
    let zhou = add_member(app, &f.branch_b.id, "周明").await;
    let c = &f.campaign.id;
    let talk = NewTalk {
        campaign_id: c,
        org_id: &f.branch_a.id,
        one: &f.member_a.id,
        other: &li.id,
        held_on: "2026-01-03",
        points: "",
    };
    app.store.create_talk(&talk, "talk-1", &f.secretary_a.id, START_MS).await.expect("a talk");
    let attendance = [
        Attendance { member_id: f.member_b.id.clone(), present: true, absence_reason: None },
        Attendance { member_id: zhou.id.clone(), present: true, absence_reason: None },
    ];
    let study = NewStudySession {
        campaign_id: c,
        org_id: &f.branch_b.id,
        held_on: "2026-01-05",
        place: "会议室",
        readings: &[],
        notes: "",
        attendance: &attendance,
    };
    app.store.create_study_session(&study, "study-1", &f.superior.id, START_MS).await.expect("a session");
    let channel = app
        .store
        .open_opinion_channel(c, &f.branch_a.id, "abcdefghijklmnopqrstuvwxyz234567abcd", START_MS)
        .await
        .expect("a channel");
    for body in ["会议要提前通知", "多听群众意见"] {
        app.store.add_opinion(&channel.id, None, body, "2026-01-02").await.expect("an opinion");
    }
    meeting(app, &li).await;
    let item = NewRectification {
        campaign_id: c,
        org_id: &f.branch_a.id,
        member_id: Some(&f.member_a.id),
        owner_member_id: &f.member_a.id,
        origin_kind: OriginKind::Manual,
        origin_ref: "",
        problem: "理论学习不够深入",
        measure: "每月精读一篇原著",
        deadline: "2026-03-31",
        form_token: "item-1",
        by: &f.secretary_a.id,
    };
    app.store.add_rectification(&item, START_MS).await.expect("an item");
    app.store
        .submit_report(c, &f.branch_a.id, 0, "report-1", "报告", &f.secretary_a.id, START_MS)
        .await
        .expect("a report");
    // Materials with reviews: 王建国 0.05, 李红 copied 60 of 100 chars from 王建国 (0.62), 李秀英 0.15, 周明 0.95
    // and approved.
    let mut ids = Vec::new();
    for (member, ratio, report) in [
        (&f.member_a, 0.05, r#"{"chars": 100, "copies": []}"#.to_owned()),
        (&li, 0.62, String::new()),
        (&f.member_b, 0.15, r#"{"chars": 100, "copies": []}"#.to_owned()),
        (&zhou, 0.95, r#"{"chars": 100, "copies": []}"#.to_owned()),
    ] {
        let material = app
            .store
            .start_material(c, &member.id, "member", "材料正文", &f.secretary_a.id, START_MS)
            .await
            .expect("a material");
        let report = if report.is_empty() {
            format!(r#"{{"chars": 100, "copies": [{{"start": 0, "end": 60, "source": "{}"}}]}}"#, ids[0])
        } else {
            report
        };
        let review = StoredReview {
            material_id: material.id.clone(),
            version: material.version,
            report,
            copy_ratio: Some(ratio),
            net_copy_ratio: Some(ratio),
        };
        app.store.save_review(&review, START_MS).await.expect("a review");
        if member.id != zhou.id {
            app.store.submit_material(&material.id, material.version, START_MS).await.expect("submitted");
        }
        ids.push(material.id);
    }
    let zhou_material = app.store.material(&ids[3]).await.expect("material");
    let submitted = app.store.submit_material(&zhou_material.id, zhou_material.version, START_MS).await.expect("sent");
    let decision = mingjing_storage::NewDecision {
        reviewer: &f.superior.id,
        decision: mingjing_storage::Decision::Approve,
        comment: "",
        notes: &[],
    };
    app.store.decide_material(&submitted.id, submitted.version, &decision, START_MS).await.expect("approved");
    (li, zhou)
}

#[tokio::test]
async fn the_superior_sees_each_branch_step_by_step_with_overdue_steps_and_copy_statistics() {
    each_backend(|app: App| async move {
        let f = app.fixture.clone();
        seed(&app).await;
        let path = format!("/campaigns/{}/overview", f.campaign.id);
        let superior = app.signed_in("gongwei").await;
        let (status, html) = superior.page(&path).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(!html.contains("<script>") && !html.contains(" style="), "CSP-safe");
        // 支部数, 党员, 材料已提交, 材料已通过, 学习研讨, 谈心谈话, 意见, 已召开, 已锁定, 测评已结束, 报告已上报, 报告已确认
        let a = row(&html, "县政务服务中心党支部");
        assert!(
            a.contains("<td>1</td><td>2</td><td>2/2</td><td>0/2</td><td>0</td><td>1/1</td><td>2</td><td>1/1</td><td>1/1</td><td>0/1</td><td>1/1</td><td>0/1</td>"),
            "{a}"
        );
        let b = row(&html, "县财政局党支部");
        assert!(
            b.contains("<td>1</td><td>2</td><td>2/2</td><td>1/2</td><td>1</td><td>0/1</td><td>0</td><td>0/1</td><td>0/1</td><td>0/1</td><td>0/1</td><td>0/1</td>"),
            "{b}"
        );
        let committee = row(&html, "县直机关工委");
        assert!(committee.contains("<td>2</td><td>4</td><td>4/4</td><td>1/4</td><td>1</td><td>1/2</td><td>2</td><td>1/2</td>"), "{committee}");
        assert!(!html.contains("class=\"overdue\""), "nothing is late on 2026-01-01: {html}");
        assert!(html.contains("<th>整改已验收</th>"), "the ledger's column: {html}");
        assert!(a.contains("<td>1/1</td><td>0/1</td><td>0/1</td>"), "one item, not verified: {a}");
        assert!(b.contains("<td>0/0</td>"), "no items: {b}");

        // The histogram: 0.05 | 0.15 | 0.62 | 0.95.
        for (bucket, n) in [("0%–10%", 1), ("10%–20%", 1), ("20%–30%", 0), ("60%–70%", 1), ("90%–100%", 1)] {
            assert!(html.contains(&format!("<td>{bucket}</td><td>{n}</td>")), "{bucket}: {html}");
        }
        assert!(html.contains("<svg class=\"chart\"") && html.contains("复制比分布（材料份数）</title>"), "{html}");
        assert!(html.contains("<td>王建国（县政务服务中心党支部）的材料</td><td>1</td><td>60</td>"), "{html}");
        assert!(html.contains("王建国（县政务服务中心党支部）的材料</a></td><td><a") && html.contains("<td>60%</td>"), "{html}");

        // Past the materials' deadline: both branches are late with them (not every material approved); past the
        // meeting's, only branch B, whose meeting is not locked.
        app.clock.advance(std::time::Duration::from_millis((20 * DAY_MS) as u64));
        // Days later the session has long timed out: sign in again.
        let superior = app.signed_in("gongwei").await;
        let (_, html) = superior.page(&path).await;
        assert!(row(&html, "县政务服务中心党支部").contains("<span class=\"overdue\">对照检查材料</span>"), "{html}");
        assert!(row(&html, "县直机关工委").contains("对照检查材料 2 个支部"), "{html}");
        app.clock.advance(std::time::Duration::from_millis((11 * DAY_MS) as u64));
        let superior = app.signed_in("gongwei").await;
        let (_, html) = superior.page(&path).await;
        assert!(!row(&html, "县政务服务中心党支部").contains("组织生活会"), "{html}");
        assert!(row(&html, "县财政局党支部").contains("对照检查材料、组织生活会"), "{html}");

        // Drill-down to a branch: its steps one by one, no other branch.
        let (status, html) = superior.page(&format!("{path}?org={}", f.branch_a.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("本支部各步骤") && html.contains("已召开，记录已锁定") && html.contains("已上报，等待确认"), "{html}");
        assert!(!html.contains("县财政局党支部"), "{html}");
        assert!(html.contains(&format!("href=\"{path}\">县直机关工委</a>")), "the way back up: {html}");
    })
    .await;
}

#[tokio::test]
async fn each_viewer_sees_their_own_subtree_only_and_the_xlsx_reads_back() {
    each_backend(|app: App| async move {
        let f = app.fixture.clone();
        seed(&app).await;
        let path = format!("/campaigns/{}/overview", f.campaign.id);

        let secretary = app.signed_in("shuji_a").await;
        let (status, html) = secretary.page(&path).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("县政务服务中心党支部") && !html.contains("县财政局党支部"), "{html}");
        assert!(!html.contains("李秀英"), "no material of another branch: {html}");
        let drill = format!("{path}?org={}", f.branch_b.id);
        assert_eq!(secretary.get(&drill).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(secretary.get(&format!("{path}.xlsx?org={}", f.branch_b.id)).await.status(), StatusCode::NOT_FOUND);
        assert!(
            app.audit("access_denied")
                .await
                .iter()
                .any(|e| e.target.as_deref() == Some(&format!("org:{}", f.branch_b.id)[..]))
        );
        for login in ["wangjianguo", "shenji", "xitong"] {
            assert_eq!(app.signed_in(login).await.get(&path).await.status(), StatusCode::NOT_FOUND, "{login}");
        }

        let superior = app.signed_in("gongwei").await;
        let response = superior.get(&format!("{path}.xlsx")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-disposition"].to_str().expect("ASCII").contains(".xlsx"));
        let bytes = response.bytes().await.expect("the file");
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an xlsx");
        assert_eq!(book.sheet_names(), ["进度", "截止日期", "复制比分布", "被复制最多的来源", "最相似的材料"]);
        let progress = book.worksheet_range("进度").expect("the progress sheet");
        let header: Vec<String> = progress.rows().next().expect("a header").iter().map(ToString::to_string).collect();
        assert_eq!(header[0], "党组织");
        assert_eq!(header.last().map(String::as_str), Some("逾期"));
        let line = progress
            .rows()
            .find(|r| r[0].to_string().trim_start_matches('　') == "县财政局党支部")
            .expect("branch B's row");
        assert_eq!(line[1], Data::Float(1.0));
        assert_eq!(line[2], Data::Float(2.0), "members");
        assert_eq!(line[4], Data::Float(1.0), "approved");
        assert_eq!(line[5], Data::Float(1.0), "study sessions");
        let histogram = book.worksheet_range("复制比分布").expect("the histogram");
        let counts: Vec<f64> = histogram.rows().skip(1).map(|r| r[1].as_f64().unwrap_or(-1.0)).collect();
        assert_eq!(counts, [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
        let pairs = book.worksheet_range("最相似的材料").expect("the pairs");
        assert_eq!(pairs.rows().nth(1).map(|r| r[2].to_string()), Some("60%".to_owned()));
        assert_eq!(app.audit("overview.export").await.len(), 1);
    })
    .await;
}
