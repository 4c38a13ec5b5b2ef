use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::*;

/// A valid ID number: 110101 (Beijing Dongcheng), born `birth` (YYYYMMDD), sequence `seq` (3 digits).
fn id(birth: &str, seq: &str) -> String {
    let first17 = format!("110101{birth}{seq}");
    let check = check_digit(&first17).expect("17 digits");
    format!("{first17}{check}")
}

fn csv_rows(text: &str) -> Roster {
    read("花名册.csv", text.as_bytes()).expect("a roster")
}

const HEADER: &str = "姓名,性别,公民身份号码,所在党支部,人员类别,入党时间,职务,手机号\n";

#[test]
fn check_digits_follow_gb_11643() {
    // The standard's own example.
    assert_eq!(check_digit("11010519491231002"), Some('X'));
    assert_eq!(check_digit("44052418800101001"), Some('4'));
    assert_eq!(check_digit("1101051949123100"), None);
    assert_eq!(mask("11010519491231002X"), "1101**********002X");
}

#[test]
fn a_clean_csv_gives_clean_rows_with_birth_and_gender_from_the_id() {
    let text = format!("{HEADER}王 伟,男,{},第一党支部,正式党员,2001-07-01,科员,13800000001\n", id("19800101", "011"));
    let roster = csv_rows(&text);
    assert_eq!(roster.rows.len(), 1);
    let row = &roster.rows[0];
    assert!(row.is_ok(), "{:?}", row.problems);
    assert_eq!(row.name, "王伟");
    assert_eq!(row.birth_date.as_deref(), Some("1980-01-01"));
    assert_eq!(row.gender.as_deref(), Some("男"));
    assert_eq!(row.category, Some(Category::Full));
    assert_eq!(row.joined_on.as_deref(), Some("2001-07-01"));
    assert_eq!(row.branch.as_deref(), Some("第一党支部"));
    assert_eq!(row.line, 2);
}

#[test]
fn dates_come_in_every_usual_shape() {
    for (text, want) in [
        ("2001-07-01", "2001-07-01"),
        ("2001/7/1", "2001-07-01"),
        ("2001.07", "2001-07"),
        ("2001年7月1日", "2001-07-01"),
        ("2001年7月", "2001-07"),
        ("20010701", "2001-07-01"),
        ("2001-07-01 00:00:00", "2001-07-01"),
    ] {
        assert_eq!(parse_date(&Cell::Text(text.into())), Ok(Some(want.into())), "{text}");
    }
    assert_eq!(parse_date(&Cell::Date(37073.0)), Ok(Some("2001-07-01".into())));
    assert_eq!(parse_date(&Cell::Number(37073.0)), Ok(Some("2001-07-01".into())));
    assert_eq!(parse_date(&Cell::Number(2001.07)), Ok(Some("2001-07".into())));
    for bad in ["2001-02-30", "2001-13-01", "明年", "2001", "1800-01-01"] {
        assert!(parse_date(&Cell::Text(bad.into())).is_err(), "{bad}");
    }
    assert!(parse_date(&Cell::Number(2001.1)).unwrap_err().contains("有歧义"));
    assert_eq!(parse_date(&Cell::Empty), Ok(None));
}

#[test]
fn every_problem_of_every_row_is_reported() {
    let good = id("19800101", "011");
    let mut bad_check = id("19900202", "022");
    bad_check.replace_range(17.., if bad_check.ends_with('1') { "2" } else { "1" });
    let text = format!(
        "{HEADER}\
         张三,男,{good},第一党支部,正式党员,2001-02-30,科员,\n\
         ,女,,第一党支部,预备党员,2020-01-01,,\n\
         李四,男,4.10102198001011E+17,第一党支部,正式党员,2001-07-01,,\n\
         王五,男,{bad_check},第一党支部,积极分子,2001-07-01,,\n\
         张三,男,{good},第一党支部,正式党员,2001-07-01,,\n"
    );
    let roster = csv_rows(&text);
    let problems: Vec<String> = roster.rows.iter().map(|r| r.problems.join("；")).collect();
    assert!(problems[0].contains("入党时间") && problems[0].contains("不可能的日期"), "{problems:?}");
    assert!(problems[1].contains("缺少姓名"), "{problems:?}");
    assert!(problems[2].contains(id_number::EXCEL_FLOAT), "{problems:?}");
    assert!(problems[3].contains("校验位不正确") && problems[3].contains("积极分子"), "{problems:?}");
    assert!(problems[4].contains("与第 2 行是同一人"), "{problems:?}");
    assert_eq!(roster.error_rows(), 5);
}

#[test]
fn gbk_csv_and_utf8_bom_and_utf16_tabs_all_read() {
    let text = format!("{HEADER}赵六,女,{},第二党支部,预备党员,2024年7月1日,,\n", id("19950505", "022"));
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(text.as_bytes());
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in text.replace(',', "\t").encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    for bytes in [gbk.into_owned(), bom, utf16] {
        let roster = read("花名册.csv", &bytes).expect("a roster");
        assert_eq!(roster.rows[0].name, "赵六");
        assert_eq!(roster.rows[0].category, Some(Category::Probationary));
        assert!(roster.rows[0].is_ok(), "{:?}", roster.rows[0].problems);
    }
}

#[test]
fn headers_are_found_below_a_title_and_in_their_many_names() {
    let text = format!(
        "示范县党员花名册,,,,\n\n序号,党员姓名,身份证号码,加入党组织日期,党员类别,联系电话,备注\n1,孙七,{},2010.07,正式,0371-1234567,无\n",
        id("19700303", "033")
    );
    let roster = csv_rows(&text);
    let fields: Vec<Field> = roster.recognized.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, vec![Field::Name, Field::IdNumber, Field::JoinedOn, Field::Category, Field::Phone]);
    assert_eq!(roster.ignored, vec!["序号".to_owned(), "备注".to_owned()]);
    let row = &roster.rows[0];
    assert!(row.is_ok(), "{:?}", row.problems);
    assert_eq!((row.line, row.joined_on.as_deref(), row.branch.as_deref()), (4, Some("2010-07"), None));
}

#[test]
fn whole_file_problems_have_their_own_messages() {
    assert_eq!(read("a.csv", b""), Err(ReadError::Empty));
    assert_eq!(read("a.csv", &[b'a'; MAX_BYTES + 1]), Err(ReadError::TooLarge));
    assert_eq!(read("a.csv", "序号,备注\n1,2\n".as_bytes()), Err(ReadError::NoHeader));
    assert_eq!(read("a.csv", "姓名,人员类别\n".as_bytes()), Err(ReadError::NoRows));
    assert_eq!(read("a.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0, 0]), Err(ReadError::OldExcel));
    assert_eq!(read("a.xlsx", b"PK\x03\x04 not really"), Err(ReadError::Xlsx));
    assert_eq!(read("a.csv", &[0xFF, 0x80, 0x81, 0x00]), Err(ReadError::Encoding));
    let many = format!("姓名,人员类别\n{}", "某某,正式党员\n".repeat(MAX_ROWS + 1));
    assert_eq!(read("a.csv", many.as_bytes()), Err(ReadError::TooManyRows));
}

#[test]
fn known_branches_and_people_already_on_the_roster() {
    let on_roster = id("19800101", "011");
    let text = format!(
        "{HEADER}甲,男,{on_roster},第一党支部,正式党员,,,\n乙,女,,不存在党支部,正式党员,,,\n丙,男,,,正式党员,,,\n丁,女,,重名支部,正式党员,,,\n"
    );
    let mut roster = csv_rows(&text);
    let known = Known {
        default_org_id: "root".into(),
        orgs: vec![
            ("第一党支部".into(), "b1".into()),
            ("重名支部".into(), "x1".into()),
            ("重名支部".into(), "x2".into()),
        ],
        id_numbers: [on_roster].into_iter().collect(),
        name_births: HashSet::new(),
    };
    check_against(&mut roster.rows, &known);
    let r = &roster.rows;
    assert_eq!(r[0].org_id.as_deref(), Some("b1"));
    assert!(r[0].problems.iter().any(|p| p.contains("已在党员名册上")));
    assert!(r[1].problems.iter().any(|p| p.contains("不在本组织的下属组织中")) && r[1].org_id.is_none());
    assert_eq!(r[2].org_id.as_deref(), Some("root"));
    assert!(r[2].is_ok());
    assert!(r[3].problems.iter().any(|p| p.contains("有多个名为")));
}

#[test]
fn a_real_xlsx_with_a_float_id_a_serial_date_and_a_text_date() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (col, header) in ["姓名", "身份证号", "人员类别", "入党时间"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "周八").unwrap();
    sheet.write_number(1, 1, 410102198001011000.0).unwrap();
    sheet.write_string(1, 2, "正式党员").unwrap();
    sheet.write_datetime_with_format(1, 3, ExcelDateTime::from_ymd(2001, 7, 1).unwrap(), &date).unwrap();
    sheet.write_string(2, 0, "吴九").unwrap();
    sheet.write_string(2, 1, id("19850606", "045")).unwrap();
    sheet.write_string(2, 2, "预备党员").unwrap();
    sheet.write_string(2, 3, "2001/7/1").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let roster = read("花名册.xlsx", &bytes).expect("a roster");
    assert_eq!(roster.rows.len(), 2);
    assert_eq!(roster.rows[0].problems, vec![id_number::EXCEL_FLOAT.to_owned()]);
    assert_eq!(roster.rows[0].joined_on.as_deref(), Some("2001-07-01"));
    assert!(roster.rows[1].is_ok(), "{:?}", roster.rows[1].problems);
    assert_eq!(roster.rows[1].line, 3);
}

#[test]
fn garbage_never_panics() {
    let mut seed = 7u64;
    for len in [1usize, 3, 17, 100, 1000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (seed >> 33) as u8
            })
            .collect();
        let _ = read("x.csv", &bytes);
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&bytes);
        let _ = read("x.xlsx", &zip);
    }
}

/// A minimal .xlsx package around one sheet and an optional shared-strings part, written by hand so that tests can put
/// anything a hostile file might hold into the XML.
fn package(sheet: &str, shared_strings: Option<&str>) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let content_types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
    let root_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{REL}"><sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let shared_rel = if shared_strings.is_some() {
        format!(r#"<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>"#)
    } else {
        String::new()
    };
    let workbook_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>{shared_rel}</Relationships>"#
    );
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", content_types.as_bytes()),
        ("_rels/.rels", root_rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ];
    if let Some(shared) = shared_strings {
        entries.push(("xl/sharedStrings.xml", shared.as_bytes()));
    }
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        writer.start_file(name, options).expect("test zip entry");
        writer.write_all(data).expect("test zip write");
    }
    writer.finish().expect("test zip").into_inner()
}

fn sheet_xml(doctype: &str, rows: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    )
}

fn inline_row(line: usize, cells: &[&str]) -> String {
    let cells: String = cells
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let column = char::from(b'A' + u8::try_from(i).expect("few columns"));
            format!(r#"<c r="{column}{line}" t="inlineStr"><is><t>{text}</t></is></c>"#)
        })
        .collect();
    format!(r#"<row r="{line}">{cells}</row>"#)
}

fn set_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Makes every entry of `package` declare `size` unpacked bytes, in its local header and in the central directory.
fn lie_about_sizes(package: &mut [u8], size: u32) {
    let locals: Vec<usize> =
        package.windows(4).enumerate().filter(|(_, w)| *w == b"PK\x03\x04").map(|(i, _)| i).collect();
    for at in locals {
        set_u32(package, at + 22, size);
    }
    let centrals: Vec<usize> =
        package.windows(4).enumerate().filter(|(_, w)| *w == b"PK\x01\x02").map(|(i, _)| i).collect();
    for at in centrals {
        set_u32(package, at + 24, size);
    }
}

#[test]
fn the_hand_made_package_reads_so_the_hostile_ones_below_test_something() {
    let rows = [inline_row(1, &["姓名", "性别"]), inline_row(2, &["张三", "男"])].concat();
    let roster = read("花名册.xlsx", &package(&sheet_xml("", &rows), None)).expect("a plain package reads");
    assert_eq!(roster.rows.len(), 1);
}

#[test]
fn xlsx_bombs_are_refused_even_when_they_lie_about_their_size() {
    // 300 MB of one shared string deflates to a few hundred KB.
    let huge = "党".repeat(100_000_000);
    let shared = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>{huge}</t></si></sst>"#
    );
    drop(huge);
    let rows = [inline_row(1, &["姓名"]), r#"<row r="2"><c r="A2" t="s"><v>0</v></c></row>"#.to_owned()].concat();
    let honest = package(&sheet_xml("", &rows), Some(&shared));
    drop(shared);
    assert!(honest.len() < MAX_BYTES, "the bomb must fit the upload limit: {}", honest.len());
    assert_eq!(read("花名册.xlsx", &honest).err(), Some(ReadError::TooLarge));

    let mut lying = honest;
    lie_about_sizes(&mut lying, 1000);
    let outcome = read("花名册.xlsx", &lying);
    assert!(matches!(outcome, Err(ReadError::TooLarge | ReadError::Xlsx)), "{outcome:?}");
}

#[test]
fn xml_entities_in_a_sheet_are_never_expanded() {
    // The "billion laughs": ten levels of ten references each would be 10^10 characters if expanded.
    let mut doctype = String::from(r#"<!DOCTYPE worksheet [<!ENTITY l0 "哈哈哈哈哈哈哈哈哈哈">"#);
    for level in 1..10 {
        let refs = format!("&l{};", level - 1).repeat(10);
        doctype.push_str(&format!(r#"<!ENTITY l{level} "{refs}">"#));
    }
    doctype.push_str(r#"<!ENTITY file SYSTEM "file:///etc/passwd">]>"#);
    let rows = [inline_row(1, &["姓名", "备注"]), inline_row(2, &["张三", "&l9;"]), inline_row(3, &["李四", "&file;"])]
        .concat();
    let outcome = read("花名册.xlsx", &package(&sheet_xml(&doctype, &rows), None));
    // Either refused as unreadable or read without the entities' text; never expanded, never the file's text.
    if let Ok(roster) = outcome {
        let text = format!("{roster:?}");
        assert!(!text.contains("哈哈哈哈哈哈哈哈哈哈哈"), "an entity was expanded");
        assert!(!text.contains("root:"), "an external entity was read");
    }
}
