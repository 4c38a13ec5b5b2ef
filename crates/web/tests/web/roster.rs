//! The roster import and export through the browser, on both backends, with real `.xlsx` files: every row's problem
//! shown in the preview, nothing written before the confirmation, one import however often it is confirmed, and the
//! export read back cell by cell.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::helpers::{App, Browser, each_backend, form_token, location};

/// A valid ID number born on `birth` (YYYYMMDD) with sequence `seq` (3 digits).
fn id(birth: &str, seq: &str) -> String {
    let first17 = format!("410102{birth}{seq}");
    format!("{first17}{}", mingjing_roster::check_digit(&first17).expect("17 digits"))
}

/// One row of a test roster; `None` cells stay empty.
enum Value<'a> {
    Text(&'a str),
    Number(f64),
    Date(u16, u8, u8),
}

const HEADERS: [&str; 6] = ["姓名", "公民身份号码", "所在党支部", "人员类别", "入党时间", "职务"];

fn xlsx(rows: &[Vec<Value<'_>>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (col, header) in (0u16..).zip(HEADERS) {
        sheet.write_string(0, col, header).expect("a header cell");
    }
    for (r, row) in (1u32..).zip(rows) {
        for (c, value) in (0u16..).zip(row) {
            match value {
                Value::Text(t) => sheet.write_string(r, c, *t).map(|_| ()),
                Value::Number(n) => sheet.write_number(r, c, *n).map(|_| ()),
                Value::Date(y, m, d) => sheet
                    .write_datetime_with_format(r, c, ExcelDateTime::from_ymd(*y, *m, *d).expect("a date"), &date)
                    .map(|_| ()),
            }
            .expect("a cell");
        }
    }
    book.save_to_buffer().expect("an xlsx")
}

/// Uploads `bytes` as `name` to the import page of `org_id`; returns the response.
async fn upload(browser: &Browser, org_id: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let page = format!("/orgs/{org_id}/roster/import");
    let token = browser.token(&page).await;
    let form = Form::new().text("csrf", token).part("file", Part::bytes(bytes).file_name(name.to_owned()));
    browser.post_multipart(&page, form).await
}

/// Uploads and follows to the preview: (preview path, its HTML).
async fn preview(browser: &Browser, org_id: &str, name: &str, bytes: Vec<u8>) -> (String, String) {
    let response = upload(browser, org_id, name, bytes).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", response.text().await.unwrap_or_default());
    let path = location(&response).to_owned();
    let (status, html) = browser.page(&path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    (path, html)
}

#[tokio::test]
async fn every_problem_is_shown_and_nothing_is_written_until_a_clean_file_is_confirmed_once() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let admin = app.signed_in("gongwei").await;
        let before = app.store.members_under(&f.committee.path).await.unwrap().len();
        let good_a = id("19800101", "011");
        let rows = vec![
            vec![
                Value::Text("周八"),
                Value::Number(4.10102198001011e17),
                Value::Text("县财政局党支部"),
                Value::Text("正式党员"),
                Value::Date(2001, 7, 1),
            ],
            vec![
                Value::Text("吴九"),
                Value::Text(&good_a),
                Value::Text("县财政局党支部"),
                Value::Text("正式党员"),
                Value::Text("2001-02-30"),
            ],
            vec![
                Value::Text("郑十"),
                Value::Text(&good_a),
                Value::Text("县财政局党支部"),
                Value::Text("预备党员"),
                Value::Text("2024.07"),
            ],
            vec![
                Value::Text("钱一"),
                Value::Text(""),
                Value::Text("不存在的党支部"),
                Value::Text("正式党员"),
                Value::Text("2001/7/1"),
            ],
        ];
        let (path, html) = preview(&admin, &f.committee.id, "花名册.xlsx", xlsx(&rows)).await;
        assert!(html.contains("身份证号被Excel转成了数字，请将该列设为文本后重新导出"), "{html}");
        assert!(html.contains("不可能的日期"), "{html}");
        assert!(html.contains("与第 3 行是同一人"), "{html}");
        assert!(html.contains("所在支部“不存在的党支部”不在本组织的下属组织中"), "{html}");
        assert!(html.contains("4101**********") && !html.contains(&good_a), "ID numbers are masked");
        assert!(!html.contains("确认导入"), "no confirm button while rows have problems");
        let token = form_token(&html).unwrap();
        let refused = admin.post(&format!("{path}/confirm"), &[("csrf", &token)]).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(refused.text().await.unwrap().contains("还有 4 行有问题，不能导入"));
        assert_eq!(app.store.members_under(&f.committee.path).await.unwrap().len(), before, "nothing written");

        // A clean file, confirmed twice in a row and twice at once: one import.
        let good_b = id("19900202", "022");
        let rows = vec![
            vec![
                Value::Text("吴九"),
                Value::Text(&good_a),
                Value::Text("县财政局党支部"),
                Value::Text("正式党员"),
                Value::Date(2001, 7, 1),
                Value::Text("科长"),
            ],
            vec![
                Value::Text("郑十"),
                Value::Text(&good_b),
                Value::Text(""),
                Value::Text("预备党员"),
                Value::Text("2024年7月1日"),
            ],
        ];
        let (path, html) = preview(&admin, &f.committee.id, "花名册.xlsx", xlsx(&rows)).await;
        assert!(html.contains("确认导入") && html.contains("共 2 人"), "{html}");
        let confirm = format!("{path}/confirm");
        let fields = [("csrf", token.as_str())];
        let (first, second) = tokio::join!(admin.post(&confirm, &fields), admin.post(&confirm, &fields));
        let mut statuses = [first.status(), second.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
        let third = admin.post(&confirm, &fields).await;
        assert_eq!(third.status(), StatusCode::CONFLICT);
        assert!(third.text().await.unwrap().contains("已经导入，不会重复导入"));
        let after = app.store.members_under(&f.committee.path).await.unwrap();
        assert_eq!(after.len(), before + 2);
        let wu = after.iter().find(|m| m.name == "吴九").unwrap();
        assert_eq!((wu.org_id.as_str(), wu.joined_on.as_deref()), (f.branch_b.id.as_str(), Some("2001-07-01")));
        let zheng = after.iter().find(|m| m.name == "郑十").unwrap();
        assert_eq!(zheng.org_id, f.committee.id, "no branch given: the organization imported into");
        assert_eq!(app.audit("roster.import").await.len(), 1);

        // Uploading the same people again finds them on the roster.
        let (_, html) = preview(&admin, &f.committee.id, "花名册.xlsx", xlsx(&rows)).await;
        assert!(html.contains("已在党员名册上（身份证号相同）"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn gbk_csv_oversized_and_malformed_files_get_chinese_answers() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let secretary = app.signed_in("shuji_a").await;
        let text = format!("姓名,身份证号,人员类别,入党时间\r\n孙七,{},正式党员,2010.07\r\n", id("19700303", "033"));
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let (_, html) = preview(&secretary, &f.branch_a.id, "花名册.csv", gbk.into_owned()).await;
        assert!(html.contains("孙七") && html.contains("2010-07") && html.contains("确认导入"), "{html}");

        let big = upload(&secretary, &f.branch_a.id, "花名册.csv", vec![b'a'; 6 * 1024 * 1024]).await;
        assert_eq!(big.status(), StatusCode::BAD_REQUEST);
        assert!(big.text().await.unwrap().contains("文件超过 5 MB"));

        for (name, bytes, message) in [
            ("花名册.xlsx", b"PK\x03\x04garbage".to_vec(), "无法读取这个 Excel 文件"),
            ("花名册.xls", vec![0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3], "不支持旧版 .xls 文件"),
            ("花名册.csv", "序号,备注\n1,2\n".as_bytes().to_vec(), "没有找到表头"),
            ("花名册.csv", Vec::new(), "请选择花名册文件"),
        ] {
            let response = upload(&secretary, &f.branch_a.id, name, bytes).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
            assert!(response.text().await.unwrap().contains(message), "{name}: {message}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_export_reads_back_with_text_id_numbers_and_is_audited() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let admin = app.signed_in("gongwei").await;
        let number = id("19800101", "011");
        let rows = vec![vec![
            Value::Text("吴九"),
            Value::Text(&number),
            Value::Text("县财政局党支部"),
            Value::Text("正式党员"),
            Value::Date(2001, 7, 1),
            Value::Text("科长"),
        ]];
        let (path, html) = preview(&admin, &f.committee.id, "花名册.xlsx", xlsx(&rows)).await;
        let token = form_token(&html).unwrap();
        assert_eq!(admin.post(&format!("{path}/confirm"), &[("csrf", &token)]).await.status(), StatusCode::SEE_OTHER);

        let response = admin.get(&format!("/orgs/{}/roster.xlsx", f.committee.id)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let disposition = response.headers().get("content-disposition").unwrap().to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"), "{disposition}");
        let bytes = response.bytes().await.unwrap().to_vec();
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("an xlsx");
        let sheet = book.worksheet_range("党员花名册").expect("the sheet");
        let header: Vec<String> = sheet.rows().next().unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(&header[..4], ["序号", "姓名", "性别", "身份证号"]);
        let wu = sheet.rows().find(|r| r.get(1) == Some(&Data::String("吴九".into()))).expect("吴九 exported");
        assert_eq!(wu[3], Data::String(number.clone()), "the ID number is text, all 18 characters");
        assert_eq!(wu[7], Data::String("县财政局党支部".into()));
        assert_eq!(wu[9], Data::String("2001-07-01".into()));
        assert_eq!(sheet.rows().count(), 1 + 3, "header, the fixture's two members and the imported one");

        let exports = app.audit("roster.export").await;
        assert_eq!(exports.len(), 1);
        assert_eq!(exports[0].target.as_deref(), Some(format!("org:{}", f.committee.id).as_str()));
    })
    .await;
}

#[tokio::test]
async fn roster_pages_are_refused_to_every_role_and_branch_that_must_not_reach_them() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let import_a = format!("/orgs/{}/roster/import", f.branch_a.id);
        let export_a = format!("/orgs/{}/roster.xlsx", f.branch_a.id);
        for login in ["wangjianguo", "shenji", "xitong"] {
            let browser = app.signed_in(login).await;
            assert_eq!(browser.page(&import_a).await.0, StatusCode::FORBIDDEN, "{login}");
            assert_eq!(browser.get(&export_a).await.status(), StatusCode::FORBIDDEN, "{login}");
        }
        let secretary = app.signed_in("shuji_a").await;
        assert_eq!(secretary.page(&format!("/orgs/{}/roster/import", f.branch_b.id)).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            secretary.get(&format!("/orgs/{}/roster.xlsx", f.branch_b.id)).await.status(),
            StatusCode::NOT_FOUND
        );

        // A preview belongs to whoever uploaded it.
        let admin = app.signed_in("gongwei").await;
        let rows = vec![vec![Value::Text("吴九"), Value::Text(""), Value::Text(""), Value::Text("正式党员")]];
        let (path, _) = preview(&admin, &f.branch_a.id, "花名册.xlsx", xlsx(&rows)).await;
        assert_eq!(secretary.page(&path).await.0, StatusCode::NOT_FOUND);
        let token = secretary.token("/").await;
        let stolen = secretary.post(&format!("{path}/confirm"), &[("csrf", &token)]).await;
        assert_eq!(stolen.status(), StatusCode::NOT_FOUND);
        assert!(app.audit("roster.export").await.is_empty(), "refused exports leave no export entry");
    })
    .await;
}

#[tokio::test]
async fn a_long_roster_is_previewed_a_hundred_rows_at_a_time_problems_first() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let secretary = app.signed_in("shuji_a").await;
        let mut text = "姓名,身份证号,人员类别,入党时间\n".to_owned();
        for i in 0..250 {
            let joined = if i == 240 { "2010-13-40" } else { "2010-07-01" };
            text.push_str(&format!("党员{i:03},{},正式党员,{joined}\n", id("19700303", &format!("{i:03}"))));
        }
        let (path, first) = preview(&secretary, &f.branch_a.id, "花名册.csv", text.into_bytes()).await;
        assert!(first.contains("共 250 人") && first.contains("第 1/3 页"), "{first}");
        assert!(
            first.contains("党员240") && first.contains("党员000") && !first.contains("党员150"),
            "the bad row first"
        );
        let (_, third) = secretary.page(&format!("{path}?page=3")).await;
        assert!(third.contains("党员249") && !third.contains("党员000") && third.contains("第 3/3 页"));
        let (status, _) = secretary.page(&format!("{path}?page=x")).await;
        assert_eq!(status, StatusCode::OK, "a page number that is not one shows the first page");
    })
    .await;
}
