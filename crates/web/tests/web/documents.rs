//! The exports in official form over HTTP: a material, the meeting's minutes, the appraisal's results (.docx) and
//! the branch statistics (.xlsx), each opened by a real reader (LibreOffice to PDF, poppler, calamine); the Chinese
//! file name with its ASCII fallback; the in-page preview in WeChat; and refusals for those out of scope.

use mingjing_documents::testing::convert;
use mingjing_storage::{Criticism, MeetingAttendance, MeetingContent, NewCampaign, NewMember, Presence, Standing};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, USER_AGENT};

use crate::helpers::{App, START_MS, each_backend};

const MATERIAL: &str = include_str!("../../../../examples/material-2021-county.txt");
const WECHAT: &str = "Mozilla/5.0 (Linux; Android 13; V2148A) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36 \
                      XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64";

async fn bytes(response: reqwest::Response) -> (StatusCode, String, String, Vec<u8>) {
    let status = response.status();
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (kind, disposition) = (header(CONTENT_TYPE), header(CONTENT_DISPOSITION));
    (status, kind, disposition, response.bytes().await.expect("body").to_vec())
}

/// A submitted material of 王建国 (the real 2021 material) and a saved meeting record of branch A.
async fn seed(app: &App) -> String {
    let f = &app.fixture;
    let by = &f.member_a_account.id;
    let new = NewMember {
        org_id: &f.branch_a.id,
        name: "李红",
        standing: Standing::Full,
        joined_on: None,
        post: None,
        phone: None,
        leading_cadre: false,
    };
    let li = app.store.add_member(&new, START_MS).await.expect("a member");
    // The material page reviews against a whole campaign definition.
    let definition =
        toml::to_string(&mingjing_review::Campaign::builtin("2021-county").expect("built in")).expect("toml");
    let c = &f.campaign;
    let campaign =
        NewCampaign { org_id: &c.org_id, year: c.year, title: &c.title, notice: &c.notice, definition: &definition };
    app.store.update_campaign(&c.id, c.version, &campaign, START_MS).await.expect("the campaign");
    let material = app
        .store
        .start_material(&f.campaign.id, &f.member_a.id, "member", MATERIAL, by, START_MS)
        .await
        .expect("material");
    app.store.submit_material(&material.id, material.version, START_MS).await.expect("submitted");
    let content = MeetingContent {
        date: "2026-01-15".into(),
        time: "09:00".into(),
        place: "中心三楼会议室".into(),
        agenda: vec!["通报上年度整改情况".into(), "党员逐一对照检查、相互批评".into()],
        observer_name: "赵组织".into(),
        observer_post: "县直机关工委委员".into(),
        rectification_report: "上年度查摆问题 5 个，已全部整改到位。".into(),
        minutes: "会议由陈书记主持，全体党员逐一发言。".into(),
        attendance: vec![
            MeetingAttendance { member_id: f.member_a.id.clone(), presence: Presence::Present },
            MeetingAttendance {
                member_id: li.id.clone(),
                presence: Presence::Absent { reason: "在市里参加培训".into() },
            },
        ],
        criticisms: vec![Criticism {
            from_member_id: li.id.clone(),
            to_member_id: f.member_a.id.clone(),
            text: "落实群众诉求办理不够及时".into(),
        }],
    };
    app.store
        .save_meeting(&f.campaign.id, &f.branch_a.id, 0, &content, &f.secretary_a.id, START_MS)
        .await
        .expect("meeting");
    material.id
}

#[tokio::test]
async fn every_export_opens_in_a_real_reader_with_its_text() {
    each_backend(|app: App| async move {
        let material = seed(&app).await;
        let f = &app.fixture;
        let branch = format!("/campaigns/{}/orgs/{}", f.campaign.id, f.branch_a.id);
        let secretary = app.signed_in("shuji_a").await;

        // The material, as 王建国 wrote it: several pages of 22 lines, in CJK fonts.
        let (html_status, html) = secretary.page(&format!("/materials/{material}")).await;
        assert_eq!(html_status, StatusCode::OK);
        assert!(html.contains(&format!("href=\"/materials/{material}/document.docx\"")), "the link: {html}");
        let (status, kind, disposition, body) =
            bytes(secretary.get(&format!("/materials/{material}/document.docx")).await).await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.contains("wordprocessingml"), "{kind}");
        assert!(disposition.starts_with("attachment; filename=\"material.docx\"; filename*=UTF-8''"), "{disposition}");
        assert!(disposition.contains("%E7%8E%8B%E5%BB%BA%E5%9B%BD"), "王建国 in the name: {disposition}");
        let pdf = convert(&body, "material.docx");
        let text = pdf.compact_text();
        assert!(
            text.contains("2021年度组织生活会个人对照检查材料")
                && text.contains("王建国")
                && text.contains("（已提交，待审核）")
        );
        assert!(text.contains("一、存在的主要问题"), "{text}");
        assert!((6..=8).contains(&pdf.pages), "{} pages", pdf.pages);

        // The minutes: every part of the record.
        let (status, _, disposition, body) =
            bytes(secretary.get(&format!("{branch}/meeting/minutes.docx")).await).await;
        assert_eq!(status, StatusCode::OK);
        assert!(disposition.contains("filename=\"minutes.docx\""));
        let pdf = convert(&body, "minutes.docx");
        let text = pdf.compact_text();
        for needle in [
            "县政务服务中心党支部组织生活会会议记录",
            "中心三楼会议室",
            "赵组织（县直机关工委委员）",
            "通报上年度整改情况",
            "上年度查摆问题5个",
            "李红（在市里参加培训）",
            "落实群众诉求办理不够及时",
            "记录尚未锁定",
            "2026年1月15日",
        ] {
            assert!(text.contains(needle), "{needle} not in the minutes: {text}");
        }
        assert!(pdf.pages <= 2, "{} pages", pdf.pages);

        // The branch statistics: read back with calamine, and converted.
        let (status, kind, _, body) = bytes(secretary.get(&format!("{branch}/statistics.xlsx")).await).await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.contains("spreadsheetml"), "{kind}");
        use calamine::{Reader, Xlsx};
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(body.clone())).expect("xlsx");
        assert_eq!(book.sheet_names(), ["统计", "党员"]);
        let totals = book.worksheet_range("统计").expect("sheet");
        let rows: Vec<Vec<String>> = totals.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect();
        assert!(rows.contains(&vec!["材料：已提交".to_owned(), "1".to_owned()]), "{rows:?}");
        assert!(rows.contains(&vec!["党员人数".to_owned(), "2".to_owned()]), "{rows:?}");
        let members = book.worksheet_range("党员").expect("sheet");
        let people: Vec<Vec<String>> = members.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect();
        assert_eq!(people[0][..5], ["序号", "姓名", "人员类别", "职务", "材料状态"]);
        let status = |name: &str| people.iter().find(|r| r[1] == name).map(|r| r[4].clone());
        assert_eq!(status("王建国").as_deref(), Some("已提交"));
        assert_eq!(status("李红").as_deref(), Some("未开始"));
        // Talks: the campaign's default settings require the pair; none was held yet.
        let missing = |name: &str| people.iter().find(|r| r[1] == name).map(|r| r[7].clone());
        assert_eq!(missing("王建国").as_deref(), Some("李红"));
        assert!(rows.contains(&vec!["已谈心谈话（对）".to_owned(), "0".to_owned()]), "{rows:?}");
        assert!(convert(&body, "statistics.xlsx").compact_text().contains("王建国"));

        // The appraisal has no closed round yet: nothing to export, said in Chinese.
        let (status, html) = secretary.page(&format!("{branch}/appraisal/results.docx")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(html.contains("民主测评还没有结束"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn wechat_gets_the_document_in_the_page_and_others_out_of_scope_get_nothing() {
    each_backend(|app: App| async move {
        let material = seed(&app).await;
        let f = &app.fixture;
        let branch = format!("/campaigns/{}/orgs/{}", f.campaign.id, f.branch_a.id);
        let secretary = app.signed_in("shuji_a").await;
        let response = secretary
            .client()
            .get(format!("{}{branch}/meeting/minutes.docx", app.base))
            .header(USER_AGENT, WECHAT)
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(CONTENT_DISPOSITION).is_none());
        let html = response.text().await.expect("html");
        assert!(
            html.contains("在浏览器打开") && html.contains("中心三楼会议室") && html.contains("class=\"official\""),
            "{html}"
        );
        assert!(!html.contains("<script>alert"), "escaped");
        let response = secretary
            .client()
            .get(format!("{}{branch}/statistics.xlsx", app.base))
            .header(USER_AGENT, WECHAT)
            .send()
            .await
            .expect("get");
        let html = response.text().await.expect("html");
        assert!(html.contains("在浏览器打开") && html.contains("<td>王建国</td>"), "{html}");

        // The author reads their own material's file; a member of another branch gets the same 404 as a wrong id.
        let author = app.signed_in("wangjianguo").await;
        assert_eq!(author.get(&format!("/materials/{material}/document.docx")).await.status(), StatusCode::OK);
        let other = app.signed_in("lixiuying").await;
        assert_eq!(other.get(&format!("/materials/{material}/document.docx")).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(other.get(&format!("{branch}/meeting/minutes.docx")).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(other.get(&format!("{branch}/statistics.xlsx")).await.status(), StatusCode::NOT_FOUND);
        // A member of the branch may not export its statistics; the auditor sees no business data.
        assert_eq!(author.get(&format!("{branch}/statistics.xlsx")).await.status(), StatusCode::NOT_FOUND);
        let auditor = app.signed_in("shenji").await;
        assert_eq!(auditor.get(&format!("{branch}/appraisal/results.docx")).await.status(), StatusCode::FORBIDDEN);
        assert!(!app.audit("material.export").await.is_empty(), "exports are audited");
    })
    .await;
}

#[tokio::test]
async fn the_appraisal_results_open_once_the_ballot_is_closed() {
    each_backend(|app: App| async move {
        seed(&app).await;
        let f = &app.fixture;
        let path = format!("/campaigns/{}/orgs/{}/appraisal", f.campaign.id, f.branch_a.id);
        let secretary = app.signed_in("shuji_a").await;
        let members = app.store.members_of(&f.branch_a.id).await.expect("roster");
        // A paper round for both members, counted 2 ballots: 王建国 2 优秀, 李红 1 合格 and 1 基本合格.
        let token = secretary.token(&path).await;
        let mut fields = vec![("csrf".to_owned(), token), ("method".to_owned(), "paper".to_owned())];
        for m in &members {
            fields.push((format!("p_{}", m.id), "on".into()));
            fields.push((format!("r_{}", m.id), "on".into()));
        }
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(secretary.post(&format!("{path}/rounds"), &pairs).await.status(), StatusCode::SEE_OTHER);
        let round = app.store.ballot_rounds(&f.campaign.id, &f.branch_a.id).await.expect("rounds")[0].clone();
        let token = secretary.token(&path).await;
        let mut tally = vec![("csrf".to_owned(), token), ("ballots".to_owned(), "2".to_owned())];
        for m in &members {
            let line = if m.name == "王建国" { ["2", "0", "0", "0"] } else { ["0", "1", "1", "0"] };
            for (g, n) in ["excellent", "competent", "basically_competent", "incompetent"].iter().zip(line) {
                tally.push((format!("t_{}_{g}", m.id), n.to_owned()));
            }
        }
        let pairs: Vec<(&str, &str)> = tally.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let counted = secretary.post(&format!("{path}/rounds/{}/tally", round.id), &pairs).await;
        assert_eq!(counted.status(), StatusCode::SEE_OTHER);

        let (_, page) = secretary.page(&path).await;
        assert!(page.contains(&format!("href=\"{path}/results.docx\"")), "the link: {page}");
        let (status, kind, disposition, body) = bytes(secretary.get(&format!("{path}/results.docx")).await).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert!(kind.contains("wordprocessingml") && disposition.contains("appraisal-results.docx"));
        let pdf = convert(&body, "results.docx");
        let text = pdf.compact_text();
        for needle in [
            "县政务服务中心党支部民主评议党员结果",
            "收回有效票2张",
            "王建国",
            "李红",
            "基本合格",
            "尚未评定",
            "三、后续处置",
        ] {
            assert!(text.contains(needle), "{needle} not in the results: {text}");
        }
        assert_eq!(pdf.pages, 1);
        // A member cannot export the branch's results.
        let member = app.signed_in("wangjianguo").await;
        assert_eq!(member.get(&format!("{path}/results.docx")).await.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn the_branch_report_opens_as_a_document_for_its_secretary_and_once_submitted_for_the_superior() {
    each_backend(|app: App| async move {
        seed(&app).await;
        let f = &app.fixture;
        let report = format!("/campaigns/{}/orgs/{}/report", f.campaign.id, f.branch_a.id);
        let docx = format!("{report}.docx");
        let secretary = app.signed_in("shuji_a").await;
        let (_, page) = secretary.page(&report).await;
        assert!(page.contains(&format!("href=\"{docx}\"")), "the link: {page}");

        // Nothing saved yet: the secretary gets the draft composed from the data, marked as a draft.
        let (status, kind, disposition, body) = bytes(secretary.get(&docx).await).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert!(kind.contains("wordprocessingml") && disposition.contains("filename=\"report.docx\""));
        let text = convert(&body, "report.docx").compact_text();
        for needle in ["县政务服务中心党支部关于", "（草稿，尚未上报）", "一、会前准备", "实到1人", "李红（在市里参加培训）"]
        {
            assert!(text.contains(needle), "{needle} not in the report: {text}");
        }

        // The superior gets nothing before the branch submits, then exactly what was submitted.
        let superior = app.signed_in("gongwei").await;
        let (status, html) = superior.page(&docx).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(html.contains("支部还没有上报情况报告"), "{html}");
        let submitted = "县政务服务中心党支部关于组织生活会情况的报告\n\n会议于1月15日召开，应到2人。\n\n县政务服务中心党支部\n2026-01-20";
        app.store
            .submit_report(&f.campaign.id, &f.branch_a.id, 0, "docx-1", submitted, &f.secretary_a.id, START_MS)
            .await
            .expect("submitted");
        let (status, _, _, body) = bytes(superior.get(&docx).await).await;
        assert_eq!(status, StatusCode::OK);
        let pdf = convert(&body, "report.docx");
        let text = pdf.compact_text();
        for needle in ["关于组织生活会情况的报告", "（已上报，待上级党组织确认）", "应到2人", "2026年1月20日"] {
            assert!(text.contains(needle), "{needle} not in the report: {text}");
        }
        assert_eq!(pdf.pages, 1);

        // A member of the branch, or of another, gets the same 404 as a wrong id.
        let member = app.signed_in("wangjianguo").await;
        assert_eq!(member.get(&docx).await.status(), StatusCode::NOT_FOUND);
        let other = app.signed_in("lixiuying").await;
        assert_eq!(other.get(&docx).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.audit("report.export").await.len(), 2);
    })
    .await;
}
