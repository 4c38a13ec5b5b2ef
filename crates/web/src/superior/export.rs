//! The superior's view as an `.xlsx`: one sheet of progress (one row per organization, the same numbers as the
//! page), one of the deadlines, and the copy statistics; every header row frozen and every column sized.

use mingjing_review::campaign::Step;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::copies::bucket_label;
use super::progress::percent;
use super::{OrgLine, Overview};

/// The progress sheet's columns and widths.
const PROGRESS_COLUMNS: [(&str, f64); 17] = [
    ("党组织", 30.0),
    ("支部数", 8.0),
    ("党员", 8.0),
    ("材料已提交", 11.0),
    ("材料已通过", 11.0),
    ("学习研讨（次）", 14.0),
    ("谈心谈话已谈（对）", 18.0),
    ("谈心谈话应谈（对）", 18.0),
    ("收到意见（条）", 14.0),
    ("已召开组织生活会", 16.0),
    ("会议记录已锁定", 15.0),
    ("民主测评已结束", 15.0),
    ("报告已上报", 11.0),
    ("报告已确认", 11.0),
    ("整改已验收", 11.0),
    ("整改事项", 10.0),
    ("逾期", 40.0),
];

/// The steps a line is late with: for a branch their names, for a sum each with how many branches.
pub fn overdue_text(line: &OrgLine) -> String {
    let c = &line.counts;
    let late: Vec<String> = Step::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| c.steps_overdue[*i] > 0)
        .map(|(i, step)| {
            if line.org.kind == mingjing_storage::OrgKind::Branch {
                step.label().to_owned()
            } else {
                format!("{} {} 个支部", step.label(), c.steps_overdue[i])
            }
        })
        .collect();
    late.join("、")
}

fn header(sheet: &mut Worksheet, columns: &[(&str, f64)], bold: &Format) -> Result<(), XlsxError> {
    for (col, (title, width)) in (0u16..).zip(columns) {
        sheet.set_column_width(col, *width)?;
        sheet.write_string_with_format(0, col, *title, bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The workbook's bytes.
pub fn workbook(view: &Overview) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#F2E6E6");

    let sheet = book.add_worksheet();
    sheet.set_name("进度")?;
    header(sheet, &PROGRESS_COLUMNS, &bold)?;
    for (row, line) in (1u32..).zip(&view.lines) {
        let c = &line.counts;
        let name = format!("{}{}", "　".repeat(line.depth.min(4)), line.org.name);
        sheet.write_string(row, 0, name)?;
        let numbers = [
            c.branches,
            c.members,
            c.materials_submitted,
            c.materials_approved,
            c.study_sessions,
            c.talk_pairs_done,
            c.talk_pairs_required,
            c.opinions,
            c.meetings_held,
            c.meetings_locked,
            c.appraisals_closed,
            c.reports_submitted,
            c.reports_acknowledged,
            c.rectification.0,
            c.rectification.1,
        ];
        for (col, n) in (1u16..).zip(&numbers) {
            sheet.write_number(row, col, *n as f64)?;
        }
        sheet.write_string(row, 1 + numbers.len() as u16, overdue_text(line))?;
    }

    let sheet = book.add_worksheet();
    sheet.set_name("截止日期")?;
    header(sheet, &[("步骤", 16.0), ("截止日期", 12.0), ("已完成支部", 12.0), ("逾期支部", 10.0)], &bold)?;
    for (row, (i, d)) in (1u32..).zip(view.deadlines.iter().enumerate()) {
        sheet.write_string(row, 0, d.step.label())?;
        sheet.write_string(row, 1, if d.date.is_empty() { "未规定" } else { d.date.as_str() })?;
        sheet.write_number(row, 2, view.total.steps_done[i] as f64)?;
        sheet.write_number(row, 3, view.total.steps_overdue[i] as f64)?;
    }

    let sheet = book.add_worksheet();
    sheet.set_name("复制比分布")?;
    header(sheet, &[("去除规定表述后的复制比", 24.0), ("材料（份）", 12.0), ("占比", 8.0)], &bold)?;
    let reviewed = view.reviewed as i64;
    for (row, (i, n)) in (1u32..).zip(view.histogram.iter().enumerate()) {
        sheet.write_string(row, 0, bucket_label(i))?;
        sheet.write_number(row, 1, *n as f64)?;
        sheet.write_string(row, 2, percent(*n as i64, reviewed))?;
    }

    let sheet = book.add_worksheet();
    sheet.set_name("被复制最多的来源")?;
    header(sheet, &[("来源", 40.0), ("复制它的材料（份）", 18.0), ("被复制字数", 12.0)], &bold)?;
    for (row, s) in (1u32..).zip(&view.sources) {
        sheet.write_string(row, 0, &s.name)?;
        sheet.write_number(row, 1, s.materials as f64)?;
        sheet.write_number(row, 2, s.chars as f64)?;
    }

    let sheet = book.add_worksheet();
    sheet.set_name("最相似的材料")?;
    header(sheet, &[("材料一", 36.0), ("材料二", 36.0), ("相同内容占比", 14.0)], &bold)?;
    for (row, p) in (1u32..).zip(&view.pairs) {
        sheet.write_string(row, 0, &p.a)?;
        sheet.write_string(row, 1, &p.b)?;
        sheet.write_string(row, 2, format!("{:.0}%", p.share * 100.0))?;
    }
    book.save_to_buffer()
}
