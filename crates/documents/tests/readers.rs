//! Every kind of file this crate writes, opened by real readers: LibreOffice converts it to PDF, poppler reads the
//! PDF's text, pages and fonts, calamine reads the workbooks back. Slow-ish (a LibreOffice start per file), so
//! one conversion per test checks as much as it can.

use mingjing_documents::testing::{convert, page_png};
use mingjing_documents::{Cell, OfficialDocument, Sheet, Table, layout, workbook};

const MATERIAL: &str = include_str!("../../../examples/material-2021-county.txt");

/// The lines the text needs on a page of 28 characters: each paragraph starts two characters in; the title (二号,
/// about 20 characters a line) and the empty line under it come first.
fn expected_lines(doc: &OfficialDocument) -> usize {
    let title = doc.title.chars().count().div_ceil(20);
    let body: usize = doc
        .blocks
        .iter()
        .map(|b| match b {
            mingjing_documents::Block::Heading1(t)
            | mingjing_documents::Block::Heading2(t)
            | mingjing_documents::Block::Paragraph(t) => (t.chars().count() + 2).div_ceil(28),
            mingjing_documents::Block::Table(_) => unreachable!(),
        })
        .sum();
    title + 1 + body
}

#[test]
fn a_real_material_fills_the_pages_22_lines_by_28_characters_would() {
    let doc = OfficialDocument::from_text("对照检查材料", MATERIAL).subtitle("张三");
    let pdf = convert(&doc.to_docx().expect("docx"), "material.docx");
    let text = pdf.compact_text();
    for needle in ["2021年度组织生活会个人对照检查材料", "存在的主要问题", "— 1 —", "— 2 —"]
    {
        assert!(text.contains(&needle.replace(' ', "")), "{needle} not in the PDF");
    }
    // The last paragraph's text is all there: nothing is cut off.
    let last: String =
        MATERIAL.lines().rev().find(|l| !l.trim().is_empty()).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains(&last), "the last paragraph is missing");
    let lines = expected_lines(&doc) + 1; // the subtitle line
    let expected = lines.div_ceil(layout::LINES_PER_PAGE as usize) as u32;
    eprintln!(
        "material: {} lines expected, {expected} pages expected, {} pages, fonts {:?}",
        lines, pdf.pages, pdf.fonts
    );
    assert!(pdf.pages.abs_diff(expected) <= 1 && pdf.pages >= 3, "{} pages, expected about {expected}", pdf.pages);
    // Only CJK-capable fonts set the text: no box glyphs from a Latin-only fallback.
    assert!(pdf.fonts.iter().any(|f| f.contains("CJK") || f.contains("Hei") || f.contains("Song")), "{:?}", pdf.fonts);
    if std::env::var_os("MINGJING_DOCUMENTS_PNG").is_some() {
        eprintln!("page 1: {}", page_png(&pdf.path, 1).display());
    }
}

#[test]
fn a_short_document_with_a_table_is_one_page() {
    let doc = OfficialDocument::new("第一党支部民主评议党员结果")
        .subtitle("（2025年度）")
        .heading1("一、测评情况")
        .paragraph("到会党员 12 名，收回有效票 12 张。")
        .heading2("（一）各等次得票")
        .table(Table::new(["姓名", "优秀", "合格", "基本合格", "不合格"]).row(["王五", "8", "4", "0", "0"]))
        .issuer("中共某某县第一党支部委员会")
        .date("2026年1月5日");
    let pdf = convert(&doc.to_docx().expect("docx"), "short.docx");
    assert_eq!(pdf.pages, 1);
    let text = pdf.compact_text();
    for needle in [
        "第一党支部民主评议党员结果",
        "（2025年度）",
        "一、测评情况",
        "（一）各等次得票",
        "基本合格",
        "王五",
        "中共某某县第一党支部委员会",
        "2026年1月5日",
        "—1—",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
    assert!(!text.contains("—2—"));
}

#[test]
fn a_workbook_reads_back_and_converts() {
    let mut members = Sheet::new("党员", ["姓名", "人员类别", "材料状态", "谈话次数"]);
    members.row(vec![Cell::from("张三"), Cell::from("正式党员"), Cell::from("已通过"), Cell::from(3i64)]);
    members.row(vec![Cell::from("欧阳明月"), Cell::from("预备党员"), Cell::from(""), Cell::from(0i64)]);
    let mut summary = Sheet::new("统计", ["项目", "数量"]);
    summary.row(vec![Cell::from("党员人数"), Cell::from(2usize)]);
    let bytes = workbook(&[members, summary]).expect("xlsx");

    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).expect("calamine opens it");
    assert_eq!(book.sheet_names(), ["党员", "统计"]);
    let range = book.worksheet_range("党员").expect("sheet");
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect();
    assert_eq!(rows[0], ["姓名", "人员类别", "材料状态", "谈话次数"]);
    assert_eq!(rows[2], ["欧阳明月", "预备党员", "", "0"]);

    let pdf = convert(&bytes, "stats.xlsx");
    let text = pdf.compact_text();
    for needle in ["姓名", "欧阳明月", "党员人数"] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
}
