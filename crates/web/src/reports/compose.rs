//! The report's first draft, written from what the system already holds about the branch in the campaign (最多报一次:
//! nothing here is typed again): gathered in a few queries, then composed as plain text by a pure function.

use mingjing_storage::{Grade, Presence, RectificationStatus, StudySession};

use crate::prep::Branch;
use crate::talks::coverage;
use crate::{AppError, AppState};

/// What the draft says, gathered from the store.
#[derive(Debug, Default, Clone)]
pub struct Facts {
    pub org_name: String,
    pub campaign_title: String,
    pub year: i64,
    /// Today in Beijing, `YYYY-MM-DD`: the report's date line.
    pub today: String,
    pub meeting: Option<MeetingFacts>,
    /// `(day, place)` of each study session, by day.
    pub study: Vec<(String, String)>,
    pub talks_held: usize,
    pub talk_pairs_required: usize,
    pub talk_pairs_done: usize,
    pub opinions: i64,
    pub members: i64,
    pub materials_submitted: i64,
    pub materials_approved: i64,
    pub ballot: Option<BallotFacts>,
    /// Names per grade of the committee's decisions, in [`Grade::ALL`] order.
    pub decisions: [Vec<String>; 4],
    /// This year's rectification items, one line each (from the ledger); None leaves the section out.
    pub rectification: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone)]
pub struct MeetingFacts {
    pub date: String,
    pub time: String,
    pub place: String,
    pub locked: bool,
    pub present: usize,
    /// `(name, reason)` of each absentee.
    pub absent: Vec<(String, String)>,
    pub observer: String,
    pub last_year: String,
    /// `(name, criticisms given, criticisms received)` of each member named in the criticism entries.
    pub speakers: Vec<(String, usize, usize)>,
    pub criticisms: usize,
}

#[derive(Debug, Default, Clone)]
pub struct BallotFacts {
    pub eligible: i64,
    pub ballots: i64,
    /// Votes per grade over every graded member, in [`Grade::ALL`] order.
    pub votes: [i64; 4],
}

/// Gathers the facts of `branch` in its campaign.
pub async fn gather(state: &AppState, branch: &Branch, today: String) -> Result<Facts, AppError> {
    let facts_today = today.clone();
    let store = &state.store;
    let (campaign, org) = (&branch.campaign, &branch.org);
    let name = |id: &str| branch.member_name(id);
    let meeting =
        store.meeting(&campaign.id, &org.id).await?.map(|m| meeting_facts(&m.content, m.lock.is_some(), &name));
    let mut study: Vec<(String, String)> = store
        .study_sessions(&campaign.id, &org.id)
        .await?
        .iter()
        .map(|s: &StudySession| (s.held_on.clone(), s.place.clone()))
        .collect();
    study.sort();
    let talks = store.talks(&campaign.id, &org.id).await?;
    let settings = store.talk_settings(&campaign.id).await?;
    let seats: Vec<(&str, coverage::Seat)> =
        branch.roster.iter().map(|m| (m.id.as_str(), crate::talks::seat(m))).collect();
    let covered = coverage::coverage(
        &seats,
        talks.iter().map(|t| (t.first_member_id.as_str(), t.second_member_id.as_str())),
        &crate::talks::rules(&settings),
    );
    let opinions = store.opinion_counts_under(&campaign.id, &org.path).await?.values().sum();
    let progress = store.campaign_progress(&campaign.id, &org.path).await?;
    let rounds = store.ballot_rounds(&campaign.id, &org.id).await?;
    let ballot = match rounds.iter().filter(|r| r.is_closed()).max_by_key(|r| r.closed_at) {
        Some(round) => {
            let results = store.ballot_results(&round.id).await?;
            let mut votes = [0i64; 4];
            for (_, line) in &results.counts {
                for (total, n) in votes.iter_mut().zip(line) {
                    *total += n;
                }
            }
            Some(BallotFacts { eligible: round.eligible, ballots: round.ballots, votes })
        }
        None => None,
    };
    let mut decisions: [Vec<String>; 4] = Default::default();
    for decision in store.grade_decisions_in(&campaign.id, &org.id).await? {
        decisions[decision.grade.index()].push(name(&decision.member_id));
    }
    Ok(Facts {
        org_name: org.name.clone(),
        campaign_title: campaign.title.clone(),
        year: campaign.year,
        today,
        meeting,
        study,
        talks_held: talks.len(),
        talk_pairs_required: covered.required_pairs,
        talk_pairs_done: covered.done_pairs,
        opinions,
        members: progress.iter().map(|p| p.members).sum(),
        materials_submitted: progress.iter().map(|p| p.submitted + p.returned + p.approved).sum(),
        materials_approved: progress.iter().map(|p| p.approved).sum(),
        ballot,
        decisions,
        rectification: Some(rectification_lines(state, branch, &facts_today).await?),
    })
}

/// The ledger's items, one line each, after a line of counts.
async fn rectification_lines(state: &AppState, branch: &Branch, today: &str) -> Result<Vec<String>, AppError> {
    let items = state.store.rectification_ledger(&branch.campaign.id, &branch.org.id).await?;
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let verified = items.iter().filter(|i| i.status == RectificationStatus::Verified).count();
    let overdue = items.iter().filter(|i| i.overdue(today)).count();
    let mut lines = vec![format!("整改清单共 {} 项，已验收 {verified} 项，逾期 {overdue} 项。", items.len())];
    for (n, item) in items.iter().enumerate() {
        let whose = item.member_id.as_deref().map_or_else(|| "支部".to_owned(), |id| branch.member_name(id));
        let late = if item.overdue(today) { "（逾期）" } else { "" };
        lines.push(format!(
            "{}. {whose}：{}。整改措施：{}；责任人：{}；期限：{}；状态：{}{late}。",
            n + 1,
            item.problem.trim_end_matches('。'),
            item.measure.trim_end_matches('。'),
            branch.member_name(&item.owner_member_id),
            item.deadline,
            item.status.label()
        ));
    }
    Ok(lines)
}

fn meeting_facts(
    content: &mingjing_storage::MeetingContent,
    locked: bool,
    name: &dyn Fn(&str) -> String,
) -> MeetingFacts {
    let absent: Vec<(String, String)> = content
        .attendance
        .iter()
        .filter_map(|a| match &a.presence {
            Presence::Absent { reason } => Some((name(&a.member_id), reason.clone())),
            Presence::Present => None,
        })
        .collect();
    // In the order they first appear in the entries: the roster's order depends on the database's collation.
    let mut ids: Vec<&str> = Vec::new();
    for c in &content.criticisms {
        for id in [c.from_member_id.as_str(), c.to_member_id.as_str()] {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let speakers = ids
        .into_iter()
        .map(|id| {
            let given = content.criticisms.iter().filter(|c| c.from_member_id == id).count();
            let received = content.criticisms.iter().filter(|c| c.to_member_id == id).count();
            (name(id), given, received)
        })
        .collect();
    let observer = match (content.observer_name.trim(), content.observer_post.trim()) {
        ("", _) => String::new(),
        (who, "") => who.to_owned(),
        (who, post) => format!("{who}（{post}）"),
    };
    MeetingFacts {
        date: content.date.clone(),
        time: content.time.clone(),
        place: content.place.clone(),
        locked,
        present: content.attendance.iter().filter(|a| a.presence == Presence::Present).count(),
        absent,
        observer,
        last_year: content.rectification_report.trim().to_owned(),
        speakers,
        criticisms: content.criticisms.len(),
    }
}

/// The draft as plain text, in the usual order of such a report: preparation, the meeting, the appraisal, the
/// rectification.
pub fn compose(f: &Facts) -> String {
    let mut out = Vec::new();
    out.push(format!("{}关于{}情况的报告", f.org_name, f.campaign_title));
    out.push(String::new());
    let when = f.meeting.as_ref().filter(|m| !m.date.is_empty()).map(|m| {
        let place = if m.place.is_empty() { String::new() } else { format!("在{}", m.place) };
        format!("于{}{}{}", m.date, if m.time.is_empty() { String::new() } else { format!(" {}", m.time) }, place)
    });
    out.push(format!(
        "按照《{}》的部署，{}{}召开{}年度组织生活会，开展民主评议党员。现将有关情况报告如下。",
        f.campaign_title,
        f.org_name,
        when.unwrap_or_default(),
        f.year
    ));
    out.push(String::new());
    out.push("一、会前准备".to_owned());
    if f.study.is_empty() {
        out.push("（一）学习研讨。尚未记录学习研讨。".to_owned());
    } else {
        let days: Vec<String> = f.study.iter().map(|(day, _)| day.clone()).collect();
        out.push(format!("（一）学习研讨。开展集中学习研讨 {} 次（{}）。", f.study.len(), days.join("、")));
    }
    out.push(format!(
        "（二）谈心谈话。开展谈心谈话 {} 次，按要求应谈 {} 对，已谈 {} 对{}。",
        f.talks_held,
        f.talk_pairs_required,
        f.talk_pairs_done,
        if f.talk_pairs_done >= f.talk_pairs_required { "，全部谈到" } else { "" }
    ));
    out.push(format!("（三）征求意见。通过意见征集渠道收到意见 {} 条。", f.opinions));
    out.push(format!(
        "（四）对照检查材料。应撰写 {} 人，已提交 {} 人，经支部审核通过 {} 人。",
        f.members, f.materials_submitted, f.materials_approved
    ));
    out.push(String::new());
    out.push("二、组织生活会召开情况".to_owned());
    match &f.meeting {
        None => out.push("组织生活会尚未记录。".to_owned()),
        Some(m) => meeting_part(&mut out, m),
    }
    out.push(String::new());
    out.push("三、民主评议党员情况".to_owned());
    appraisal_part(&mut out, f);
    if let Some(items) = &f.rectification {
        out.push(String::new());
        out.push("四、整改落实情况".to_owned());
        if items.is_empty() {
            out.push("整改清单中还没有整改事项。".to_owned());
        } else {
            out.extend(items.iter().cloned());
        }
    }
    out.push(String::new());
    out.push(f.org_name.clone());
    out.push(f.today.clone());
    out.join("\n")
}

fn meeting_part(out: &mut Vec<String>, m: &MeetingFacts) {
    let expected = m.present + m.absent.len();
    let mut line = format!("应到 {expected} 人，实到 {} 人", m.present);
    if m.absent.is_empty() {
        line.push('。');
    } else {
        let who: Vec<String> = m.absent.iter().map(|(name, reason)| format!("{name}（{reason}）")).collect();
        line.push_str(&format!("，缺席 {} 人：{}。", m.absent.len(), who.join("、")));
    }
    out.push(line);
    if !m.observer.is_empty() {
        out.push(format!("列席指导：{}。", m.observer));
    }
    if !m.last_year.is_empty() {
        out.push(format!("上年度整改情况：{}", m.last_year));
    }
    if m.criticisms == 0 {
        out.push("批评和自我批评：尚未记录批评意见。".to_owned());
    } else {
        let each: Vec<String> = m
            .speakers
            .iter()
            .map(|(name, given, received)| format!("{name}提出 {given} 条、收到 {received} 条"))
            .collect();
        out.push(format!("批评和自我批评：共提出批评意见 {} 条，其中{}。", m.criticisms, each.join("；")));
    }
    if !m.locked {
        out.push("（会议记录尚未锁定。）".to_owned());
    }
}

fn appraisal_part(out: &mut Vec<String>, f: &Facts) {
    match &f.ballot {
        None => out.push("民主测评尚未完成。".to_owned()),
        Some(b) => {
            let votes: Vec<String> =
                Grade::ALL.iter().zip(b.votes).map(|(g, n)| format!("{} {n} 票", g.label())).collect();
            out.push(format!(
                "民主测评：应参加 {} 人，收回有效票 {} 张；测评票中{}。",
                b.eligible,
                b.ballots,
                votes.join("、")
            ));
        }
    }
    if f.decisions.iter().all(Vec::is_empty) {
        out.push("组织评定：尚未作出。".to_owned());
        return;
    }
    let grades: Vec<String> = Grade::ALL
        .iter()
        .zip(&f.decisions)
        .map(|(g, names)| match (g, names.len()) {
            (_, 0) => format!("{} 0 名", g.label()),
            // 合格 is most of the branch: a count says it.
            (Grade::Competent, n) => format!("{} {n} 名", g.label()),
            (_, n) => format!("{} {n} 名（{}）", g.label(), names.join("、")),
        })
        .collect();
    out.push(format!("组织评定：{}。", grades.join("、")));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            org_name: "第一党支部".into(),
            campaign_title: "2025年度组织生活会".into(),
            year: 2025,
            today: "2026-02-01".into(),
            meeting: Some(MeetingFacts {
                date: "2026-01-15".into(),
                time: "09:00".into(),
                place: "三楼会议室".into(),
                locked: true,
                present: 2,
                absent: vec![("张新".into(), "在市里参加培训".into())],
                observer: "赵组织（县直机关工委委员）".into(),
                last_year: "上年度问题 5 个已整改。".into(),
                speakers: vec![("王建国".into(), 1, 0), ("李红".into(), 1, 1), ("张新".into(), 0, 1)],
                criticisms: 2,
            }),
            study: vec![("2026-01-05".into(), "会议室".into()), ("2026-01-10".into(), "会议室".into())],
            talks_held: 3,
            talk_pairs_required: 3,
            talk_pairs_done: 2,
            opinions: 4,
            members: 3,
            materials_submitted: 3,
            materials_approved: 2,
            ballot: Some(BallotFacts { eligible: 3, ballots: 2, votes: [1, 3, 0, 0] }),
            decisions: [vec!["李红".into()], vec!["王建国".into()], vec![], vec![]],
            rectification: None,
        }
    }

    #[test]
    fn the_draft_states_every_fact_it_was_given() {
        let text = compose(&facts());
        for expected in [
            "第一党支部关于2025年度组织生活会情况的报告",
            "于2026-01-15 09:00在三楼会议室召开2025年度组织生活会",
            "开展集中学习研讨 2 次（2026-01-05、2026-01-10）",
            "开展谈心谈话 3 次，按要求应谈 3 对，已谈 2 对。",
            "收到意见 4 条",
            "应撰写 3 人，已提交 3 人，经支部审核通过 2 人",
            "应到 3 人，实到 2 人，缺席 1 人：张新（在市里参加培训）。",
            "列席指导：赵组织（县直机关工委委员）。",
            "上年度整改情况：上年度问题 5 个已整改。",
            "共提出批评意见 2 条，其中王建国提出 1 条、收到 0 条；李红提出 1 条、收到 1 条；张新提出 0 条、收到 1 条。",
            "应参加 3 人，收回有效票 2 张；测评票中优秀 1 票、合格 3 票、基本合格 0 票、不合格 0 票。",
            "组织评定：优秀 1 名（李红）、合格 1 名、基本合格 0 名、不合格 0 名。",
        ] {
            assert!(text.contains(expected), "{expected} in:\n{text}");
        }
        assert!(!text.contains("尚未锁定") && !text.contains("四、整改"), "{text}");
        assert!(text.ends_with("第一党支部\n2026-02-01"));
    }

    #[test]
    fn what_is_not_recorded_yet_is_said_so_not_invented() {
        let f = Facts { meeting: None, ballot: None, decisions: Default::default(), study: Vec::new(), ..facts() };
        let text = compose(&f);
        assert!(text.contains("组织生活会尚未记录。") && text.contains("民主测评尚未完成。"), "{text}");
        assert!(text.contains("组织评定：尚未作出。") && text.contains("尚未记录学习研讨"), "{text}");
        assert!(text.contains("按照《2025年度组织生活会》的部署，第一党支部召开"), "{text}");
        let with_ledger = compose(&Facts { rectification: Some(vec!["1. 问题：…".into()]), ..facts() });
        assert!(with_ledger.contains("四、整改落实情况\n1. 问题：…"), "{with_ledger}");
    }
}
