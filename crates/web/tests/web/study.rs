//! Study sessions (学习研讨) through the browser, on both backends: the secretary records, edits and deletes; the
//! superior reads; members see their branch's sessions and only their own attendance; bad input is refused in
//! Chinese with nothing stored changed; ids from elsewhere are refused and audited.

use mingjing_storage::{Campaign, NewCampaign, NewMember, Standing};
use reqwest::StatusCode;

use crate::helpers::{App, START_MS, each_backend, form_token};

/// A campaign of the county with two required readings and a deadline for talks.
pub const DEFINITION: &str = r#"
id = "2025-test"
year = 2025
name = "2025年度组织生活会"
readings = [{ title = "《习近平新时代中国特色社会主义思想学习纲要》" }, { title = "《中国共产党章程》" }]

[deadlines]
talks = 2026-01-20

[aspects]
member = [{ title = "政治纪律" }]
"#;

pub async fn campaign(app: &App) -> Campaign {
    let new = NewCampaign {
        org_id: &app.fixture.county.id,
        year: 2025,
        title: "2025年度组织生活会",
        notice: "",
        definition: DEFINITION,
    };
    app.store.create_campaign(&new, START_MS).await.expect("a campaign")
}

/// The value of the hidden `submission` field on a page.
pub fn submission(html: &str) -> String {
    let marker = r#"name="submission" value=""#;
    let start = html.find(marker).expect("a submission token") + marker.len();
    html[start..].split('"').next().expect("a value").to_owned()
}

async fn add_member(app: &App, name: &'static str) -> String {
    let new = NewMember {
        org_id: &app.fixture.branch_a.id,
        name,
        standing: Standing::Full,
        joined_on: None,
        post: None,
        phone: None,
        leading_cadre: false,
    };
    app.store.add_member(&new, START_MS).await.expect("a member").id
}

#[tokio::test]
async fn the_secretary_records_a_session_that_members_and_the_superior_read() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let campaign = campaign(&app).await;
        let zhang = add_member(&app, "张红").await;
        let base = format!("/campaigns/{}/orgs/{}/study", campaign.id, f.branch_a.id);

        let secretary = app.signed_in("shuji_a").await;
        let index = secretary.get(&format!("/campaigns/{}/study", campaign.id)).await;
        assert_eq!(index.status(), StatusCode::SEE_OTHER);
        let (status, html) = secretary.page(&format!("/campaigns/{}", campaign.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("学习研讨") && html.contains("谈心谈话"), "links on the campaign page");

        let (status, form) = secretary.page(&format!("{base}/new")).await;
        assert_eq!(status, StatusCode::OK, "{form}");
        assert!(form.contains("《中国共产党章程》") && form.contains("王建国") && form.contains("张红"));
        let token = form_token(&form).unwrap();
        let submission = submission(&form);
        let attend_zhang = format!("attend.{zhang}");
        let reason_zhang = format!("reason.{zhang}");
        let attend_wang = format!("attend.{}", f.member_a.id);
        let fields = [
            ("csrf", token.as_str()),
            ("submission", submission.as_str()),
            ("version", "0"),
            ("held_on", "2025-12-10"),
            ("place", "三楼会议室"),
            ("reading", "《中国共产党章程》"),
            (attend_wang.as_str(), "present"),
            (attend_zhang.as_str(), "absent"),
            (reason_zhang.as_str(), "外出培训"),
            ("notes", "围绕党章逐条学习，交流了体会。"),
        ];
        let saved = secretary.post(&base, &fields).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let again = secretary.post(&base, &fields).await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER, "a double submit lands on the list too");
        let sessions = app.store.study_sessions(&campaign.id, &f.branch_a.id).await.unwrap();
        assert_eq!(sessions.len(), 1, "the same form twice records once");
        assert_eq!(app.audit("study.save").await.len(), 1);

        let (_, list) = secretary.page(&base).await;
        assert!(
            list.contains("三楼会议室") && list.contains("张红（外出培训）") && list.contains("出席 1 人"),
            "{list}"
        );

        let superior = app.signed_in("gongwei").await;
        let (status, list) = superior.page(&base).await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.contains("三楼会议室") && !list.contains("记录一次学习研讨"), "reads, records nothing");
        let (status, _) = superior.page(&format!("{base}/new")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, html) = superior.page(&format!("/campaigns/{}/study", campaign.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&base) && html.contains("县财政局党支部"), "the superior picks a branch");

        let member = app.signed_in("wangjianguo").await;
        let (status, list) = member.page(&base).await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.contains("三楼会议室") && list.contains("我的参加情况：</strong>出席"), "{list}");
        assert!(!list.contains("外出培训"), "others' reasons for absence are not shown to members");

        let outsider = app.signed_in("lixiuying").await;
        let (status, _) = outsider.page(&base).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let denied = app.audit("access_denied").await;
        assert!(denied.iter().any(|e| e.target.as_deref() == Some(&format!("org:{}", f.branch_a.id)[..])));
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_in_chinese_and_nothing_is_lost() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let campaign = campaign(&app).await;
        let base = format!("/campaigns/{}/orgs/{}/study", campaign.id, f.branch_a.id);
        let secretary = app.signed_in("shuji_a").await;
        let form = secretary.page(&format!("{base}/new")).await.1;
        let token = form_token(&form).unwrap();
        let attend = format!("attend.{}", f.member_a.id);
        let reason = format!("reason.{}", f.member_a.id);
        let long_notes = "很".repeat(2001);
        let post = |held_on: &'static str, absent: bool, notes: String, submission: &'static str| {
            let (secretary, base, token, attend, reason) = (&secretary, &base, &token, &attend, &reason);
            async move {
                let fields = [
                    ("csrf", token.as_str()),
                    ("submission", submission),
                    ("held_on", held_on),
                    ("place", "会议室"),
                    (attend.as_str(), if absent { "absent" } else { "present" }),
                    (reason.as_str(), ""),
                    ("notes", notes.as_str()),
                ];
                let response = secretary.post(base, &fields).await;
                (response.status(), response.text().await.unwrap())
            }
        };
        let (status, html) = post("2025-12-10", true, String::new(), "s1").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("王建国的缺席原因") && html.contains("会议室"), "the typed form comes back: {html}");
        let (status, html) = post("2026-01-05", false, String::new(), "s2").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("不能晚于今天"), "{html}");
        let (status, html) = post("2024-12-31", false, String::new(), "s3").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("日期应在 2025 年"), "{html}");
        let (status, html) = post("2025-12-10", false, long_notes, "s4").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("简要情况太长"), "{html}");
        // Someone from another branch smuggled into the attendance.
        let smuggled = format!("attend.{}", f.member_b.id);
        let fields = [
            ("csrf", token.as_str()),
            ("submission", "s5"),
            ("held_on", "2025-12-10"),
            ("place", "会议室"),
            (smuggled.as_str(), "present"),
        ];
        let response = secretary.post(&base, &fields).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.text().await.unwrap().contains("不在本支部党员名册上"));
        assert!(app.store.study_sessions(&campaign.id, &f.branch_a.id).await.unwrap().is_empty());

        // A member trying to record is refused and audited.
        let member = app.signed_in("wangjianguo").await;
        let member_token = form_token(&member.page(&format!("/campaigns/{}", campaign.id)).await.1).unwrap();
        let fields = [
            ("csrf", member_token.as_str()),
            ("submission", "m1"),
            ("held_on", "2025-12-10"),
            ("place", "会议室"),
            (attend.as_str(), "present"),
        ];
        assert_eq!(member.post(&base, &fields).await.status(), StatusCode::FORBIDDEN);
        assert!(app.audit("access_denied").await.iter().any(|e| e.detail.contains("无权记录学习研讨")));

        // Edit with a stale version; another branch's session through this branch's URL; then delete.
        let (ok, _) = post("2025-12-10", false, "初记".to_owned(), "s6").await;
        assert_eq!(ok, StatusCode::SEE_OTHER);
        let session = app.store.study_sessions(&campaign.id, &f.branch_a.id).await.unwrap().remove(0);
        let (status, edit) = secretary.page(&format!("{base}/{}/edit", session.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(edit.contains("初记") && edit.contains(r#"name="version" value="1""#));
        let update = |version: &'static str, notes: &'static str| {
            let (secretary, base, token, attend, id) = (&secretary, &base, &token, &attend, session.id.clone());
            async move {
                let fields = [
                    ("csrf", token.as_str()),
                    ("version", version),
                    ("held_on", "2025-12-11"),
                    ("place", "党员活动室"),
                    (attend.as_str(), "present"),
                    ("notes", notes),
                ];
                secretary.post(&format!("{base}/{id}"), &fields).await.status()
            }
        };
        assert_eq!(update("1", "改后").await, StatusCode::SEE_OTHER);
        assert_eq!(update("1", "旧页面").await, StatusCode::CONFLICT);
        assert_eq!(app.store.study_session(&session.id).await.unwrap().notes, "改后", "the stale edit lost nothing");

        let theirs = mingjing_storage::NewStudySession {
            campaign_id: &campaign.id,
            org_id: &f.branch_b.id,
            held_on: "2025-12-01",
            place: "财政局",
            readings: &[],
            notes: "",
            attendance: &[],
        };
        let (other, _) = app.store.create_study_session(&theirs, "b1", &f.superior.id, START_MS).await.unwrap();
        let (status, _) = secretary.page(&format!("{base}/{}/edit", other.id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let delete = [("csrf", token.as_str()), ("version", "1")];
        assert_eq!(
            secretary.post(&format!("{base}/{}/delete", other.id), &delete).await.status(),
            StatusCode::NOT_FOUND
        );
        assert!(app.store.study_session(&other.id).await.is_ok(), "the other branch's session stays");

        let delete = [("csrf", token.as_str()), ("version", "2")];
        assert_eq!(
            secretary.post(&format!("{base}/{}/delete", session.id), &delete).await.status(),
            StatusCode::SEE_OTHER
        );
        assert!(app.store.study_sessions(&campaign.id, &f.branch_a.id).await.unwrap().is_empty());
        assert_eq!(app.audit("study.delete").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_branch_outside_the_campaign_has_no_study_page() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        // Opened by the other branch: branch A does not take part.
        let new =
            NewCampaign { org_id: &f.branch_b.id, year: 2025, title: "财政局", notice: "", definition: DEFINITION };
        let campaign = app.store.create_campaign(&new, START_MS).await.unwrap();
        let secretary = app.signed_in("shuji_a").await;
        let (status, _) = secretary.page(&format!("/campaigns/{}/orgs/{}/study", campaign.id, f.branch_a.id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = secretary.page(&format!("/campaigns/{}/orgs/{}/study", f.campaign.id, f.committee.id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "only a branch has study pages");
        let (status, _) = secretary.page(&format!("/campaigns/{}/orgs/{}/study", f.campaign.id, f.branch_b.id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another branch's id");
        let auditor = app.signed_in("shenji").await;
        let (status, _) = auditor.page(&format!("/campaigns/{}/orgs/{}/study", f.campaign.id, f.branch_a.id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(app.audit("access_denied").await.len() >= 4);
    })
    .await;
}
