//! The meeting record on both backends: versioned saves, the rules checked in the write,
//! the lock (by this crate and by the database's triggers), the hash and the note chain.

use super::*;
use crate::testing::each_backend;
use crate::{NewAccount, NewCampaign, NewMember, OrgKind, Role, Standing, Store};

/// A branch of three (one 预备党员), another branch of one, the secretary's account and a campaign.
struct Setup {
    campaign: String,
    branch: String,
    members: Vec<String>,
    outsider: String,
    secretary: String,
}

async fn setup(store: &Store) -> Result<Setup, StoreError> {
    let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
    let branch = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 0).await?;
    let other = store.create_org(Some(&county.id), "第二党支部", OrgKind::Branch, 0).await?;
    let mut members = Vec::new();
    for (name, standing) in [("陈书记", Standing::Full), ("李红", Standing::Full), ("王新", Standing::Probationary)]
    {
        let new = NewMember {
            org_id: &branch.id,
            name,
            standing,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
        };
        members.push(store.add_member(&new, 0).await?.id);
    }
    let outsider = NewMember {
        org_id: &other.id,
        name: "外支部",
        standing: Standing::Full,
        joined_on: None,
        post: None,
        phone: None,
        leading_cadre: false,
    };
    let outsider = store.add_member(&outsider, 0).await?.id;
    let secretary = store
        .create_account(
            &NewAccount {
                login: "shuji",
                phone: None,
                display_name: "陈书记",
                role: Role::Secretary,
                org_id: &branch.id,
                member_id: Some(&members[0]),
                password_hash: "h",
                must_change_password: false,
            },
            0,
        )
        .await?;
    let campaign = store
        .create_campaign(
            &NewCampaign { org_id: &county.id, year: 2025, title: "2025年度", notice: "", definition: "" },
            0,
        )
        .await?;
    Ok(Setup { campaign: campaign.id, branch: branch.id, members, outsider, secretary: secretary.id })
}

/// A complete record for the setup's branch.
fn complete(s: &Setup) -> MeetingContent {
    MeetingContent {
        date: "2026-01-15".into(),
        time: "09:00".into(),
        place: "三楼会议室".into(),
        agenda: vec!["通报上年度整改情况".into(), "对照检查".into(), "相互批评".into()],
        observer_name: "赵组织".into(),
        observer_post: "县直机关工委委员".into(),
        rectification_report: "上年度整改事项三项，均已完成。".into(),
        minutes: "会议由陈书记主持。".into(),
        attendance: vec![
            MeetingAttendance { member_id: s.members[0].clone(), presence: Presence::Present },
            MeetingAttendance { member_id: s.members[1].clone(), presence: Presence::Present },
            MeetingAttendance {
                member_id: s.members[2].clone(),
                presence: Presence::Absent { reason: "外出培训".into() },
            },
        ],
        criticisms: vec![Criticism {
            from_member_id: s.members[0].clone(),
            to_member_id: s.members[1].clone(),
            text: "理论学习不够主动。".into(),
        }],
    }
}

fn sorted(mut content: MeetingContent) -> MeetingContent {
    content.attendance.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    content
}

#[tokio::test]
async fn saves_are_versioned_and_come_back_whole() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        assert!(store.meeting(&s.campaign, &s.branch).await?.is_none());
        let schedule = MeetingContent {
            date: "2026-01-15".into(),
            agenda: vec!["一".into(), "二".into()],
            ..MeetingContent::default()
        };
        let first = store.save_meeting(&s.campaign, &s.branch, 0, &schedule, &s.secretary, 1).await.unwrap();
        assert_eq!((first.version, first.lock.is_none()), (1, true));
        assert_eq!(first.content, schedule);
        let full = complete(&s);
        let second = store.save_meeting(&s.campaign, &s.branch, 1, &full, &s.secretary, 2).await.unwrap();
        assert_eq!(second.version, 2);
        assert_eq!(sorted(second.content.clone()), sorted(full.clone()));
        assert_eq!(second.content.agenda, full.agenda, "the agenda keeps its order");

        // A second tab still at version 1, and a second "first save", are refused; nothing changes.
        let late = store.save_meeting(&s.campaign, &s.branch, 1, &schedule, &s.secretary, 3).await;
        assert!(matches!(late, Err(MeetingError::Stale)), "{late:?}");
        let again = store.save_meeting(&s.campaign, &s.branch, 0, &schedule, &s.secretary, 3).await;
        assert!(matches!(again, Err(MeetingError::Stale)), "{again:?}");
        let stored = store.meeting(&s.campaign, &s.branch).await?.expect("stored");
        assert_eq!((stored.version, sorted(stored.content)), (2, sorted(full)));
        assert_eq!(store.criticisms_addressed_to(&s.campaign, &s.members[1]).await?, 1);
        assert_eq!(store.criticisms_addressed_to(&s.campaign, &s.members[0]).await?, 0);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_rules_are_checked_in_the_write_and_a_refused_save_writes_nothing() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        store.save_meeting(&s.campaign, &s.branch, 0, &complete(&s), &s.secretary, 1).await.unwrap();
        let mut bad = complete(&s);
        bad.attendance[2].presence = Presence::Absent { reason: " ".into() };
        bad.criticisms.push(Criticism {
            from_member_id: s.members[1].clone(),
            to_member_id: s.members[1].clone(),
            text: "自己批评自己".into(),
        });
        bad.criticisms.push(Criticism {
            from_member_id: s.outsider.clone(),
            to_member_id: s.members[1].clone(),
            text: "外支部的意见".into(),
        });
        bad.minutes = "改过的记录".into();
        match store.save_meeting(&s.campaign, &s.branch, 1, &bad, &s.secretary, 2).await {
            Err(MeetingError::Invalid(problems)) => assert_eq!(
                problems,
                vec![
                    RecordProblem::AbsentWithoutReason { member_id: s.members[2].clone() },
                    RecordProblem::CriticismToSelf { member_id: s.members[1].clone() },
                    RecordProblem::NotInBranch { member_id: s.outsider.clone() },
                ]
            ),
            other => panic!("{other:?}"),
        }
        let stored = store.meeting(&s.campaign, &s.branch).await?.expect("stored");
        assert_eq!((stored.version, stored.content.minutes.as_str()), (1, "会议由陈书记主持。"));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_locked_record_cannot_change_by_any_path_and_its_hash_holds() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        let (c, b, by) = (&s.campaign, &s.branch, &s.secretary);
        let mut partial = complete(&s);
        partial.attendance.pop();
        partial.minutes.clear();
        partial.time.clear();
        store.save_meeting(c, b, 0, &partial, by, 1).await.unwrap();
        match store.lock_meeting(c, b, 1, by, 2).await {
            Err(MeetingError::Incomplete(gaps)) => assert_eq!(
                gaps,
                vec![
                    LockGap::NoDate,
                    LockGap::AttendanceMissing { member_ids: vec![s.members[2].clone()] },
                    LockGap::NoMinutes
                ]
            ),
            other => panic!("{other:?}"),
        }
        assert!(store.meeting(c, b).await?.expect("stored").lock.is_none(), "an incomplete record stays open");
        let content = complete(&s);
        store.save_meeting(c, b, 1, &content, by, 3).await.unwrap();
        assert!(matches!(store.lock_meeting(c, b, 1, by, 4).await, Err(MeetingError::Stale)), "locks what was seen");
        let note_early = store.add_meeting_note(c, b, by, "陈书记", "更正", 4).await;
        assert!(matches!(note_early, Err(MeetingError::NotLocked)), "{note_early:?}");

        let locked = store.lock_meeting(c, b, 2, by, 5).await.unwrap();
        let lock = locked.lock.clone().expect("locked");
        assert_eq!((lock.at, lock.by.as_str(), locked.version), (5, by.as_str(), 3));
        assert_eq!(lock.content_hash, content_hash(c, b, &content), "the hash of the record as saved");
        assert_eq!(locked.hash_holds(), Some(true));

        // Through this crate: a save, a save from the page that was locked, a second lock.
        let mut edit = content.clone();
        edit.minutes = "锁定后改动".into();
        for seen in [2, 3] {
            let refused = store.save_meeting(c, b, seen, &edit, by, 6).await;
            assert!(matches!(refused, Err(MeetingError::Locked)), "{refused:?}");
        }
        assert!(matches!(store.lock_meeting(c, b, 3, by, 6).await, Err(MeetingError::Locked)));

        // Around this crate: the triggers refuse every statement on a locked record's rows.
        let id = locked.id.clone();
        for statement in [
            "UPDATE meetings SET minutes = 'x' WHERE id = $1",
            "UPDATE meetings SET locked_at = NULL, content_hash = NULL WHERE id = $1",
            "DELETE FROM meetings WHERE id = $1",
            "UPDATE meeting_agenda SET item = 'x' WHERE meeting_id = $1",
            "DELETE FROM meeting_agenda WHERE meeting_id = $1",
            "UPDATE meeting_attendance SET present = 1 WHERE meeting_id = $1",
            "DELETE FROM meeting_attendance WHERE meeting_id = $1",
            "UPDATE meeting_criticisms SET body = 'x' WHERE meeting_id = $1",
            "DELETE FROM meeting_criticisms WHERE meeting_id = $1",
            "INSERT INTO meeting_agenda (meeting_id, position, item) VALUES ($1, 99, 'x')",
        ] {
            let outcome = sqlx::query(statement).bind(&id).execute(store.pool()).await;
            assert!(outcome.is_err(), "{statement} must fail on a locked record");
        }
        let after = store.meeting(c, b).await?.expect("stored");
        assert_eq!(after, locked, "nothing changed");
        assert_eq!(after.hash_holds(), Some(true));

        // Corrections are appended notes, chained to the record's hash, never editable.
        let first = store.add_meeting_note(c, b, by, "陈书记", "第二项议程时间应为 10:30。", 7).await.unwrap();
        assert_eq!(first.seq, 1);
        assert_eq!(first.chain_hash, note_hash(&lock.content_hash, &first));
        let (one, two) = tokio::join!(
            store.add_meeting_note(c, b, by, "赵组织", "补充甲", 8),
            store.add_meeting_note(c, b, by, "赵组织", "补充乙", 8),
        );
        let mut seqs = vec![one.unwrap().seq, two.unwrap().seq];
        seqs.sort_unstable();
        assert_eq!(seqs, vec![2, 3], "notes at the same moment each take their own place");
        let notes = store.meeting_notes(&id).await?;
        assert_eq!(notes.len(), 3);
        assert!(notes_chain_holds(&lock.content_hash, &notes));
        for statement in [
            "UPDATE meeting_notes SET body = 'x' WHERE meeting_id = $1",
            "DELETE FROM meeting_notes WHERE meeting_id = $1",
        ] {
            assert!(sqlx::query(statement).bind(&id).execute(store.pool()).await.is_err(), "{statement}");
        }
        assert_eq!(store.meeting_notes(&id).await?, notes);
        assert_eq!(store.meeting(c, b).await?.expect("stored").hash_holds(), Some(true), "notes leave the hash alone");
        let listed = store.meetings_under(c, "/").await?;
        assert_eq!(listed.get(b.as_str()).map(|m| (m.date.as_str(), m.locked)), Some(("2026-01-15", true)));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_same_record_hashes_alike_on_both_backends() {
    // The hash depends on the content only, not on the backend or the order rows come back in.
    each_backend(|store| async move {
        let s = setup(&store).await?;
        let content = complete(&s);
        let saved = store.save_meeting(&s.campaign, &s.branch, 0, &content, &s.secretary, 1).await.unwrap();
        let mut reversed = content.clone();
        reversed.attendance.reverse();
        assert_eq!(
            content_hash(&s.campaign, &s.branch, &saved.content),
            content_hash(&s.campaign, &s.branch, &reversed)
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn of_two_saves_at_the_same_moment_from_the_same_version_exactly_one_is_kept() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        let (c, b, by) = (&s.campaign, &s.branch, &s.secretary);
        store.save_meeting(c, b, 0, &complete(&s), by, 1).await.unwrap();
        let mut one = complete(&s);
        one.minutes = "甲".into();
        let mut two = complete(&s);
        two.minutes = "乙".into();
        let (first, second) =
            tokio::join!(store.save_meeting(c, b, 1, &one, by, 2), store.save_meeting(c, b, 1, &two, by, 2));
        let kept = match (first, second) {
            (Ok(m), Err(MeetingError::Stale)) | (Err(MeetingError::Stale), Ok(m)) => m,
            other => panic!("exactly one must win: {other:?}"),
        };
        let stored = store.meeting(c, b).await?.expect("stored");
        assert_eq!((stored.version, &stored.content.minutes), (2, &kept.content.minutes));
        // Both parts of the winner, none of the loser: the saves never mix.
        assert_eq!(stored.content.criticisms.len(), 1);
        assert_eq!(stored.content.attendance.len(), 3);
        Ok(())
    })
    .await;
}
