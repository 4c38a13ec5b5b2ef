//! The ledger's rules on both backends: no self-verification, version checks, one-time
//! tokens, overdue, attachment limits and the carry-over into a later campaign.

use super::*;
use crate::testing::each_backend;
use crate::{NewAccount, NewCampaign, NewMember, OrgKind, Role, Standing};

struct Setup {
    county: String,
    campaign: String,
    branch: String,
    /// 王建国 (with an account), 李红.
    members: Vec<String>,
    outsider: String,
    secretary: String,
    member_account: String,
}

async fn setup(store: &Store) -> Result<Setup, StoreError> {
    let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
    let branch = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 0).await?;
    let other = store.create_org(Some(&county.id), "第二党支部", OrgKind::Branch, 0).await?;
    let add = |org: String, name: &'static str| async move {
        let new = NewMember {
            org_id: &org,
            name,
            standing: Standing::Full,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
        };
        store.add_member(&new, 0).await.map(|m| m.id)
    };
    let members = vec![add(branch.id.clone(), "王建国").await?, add(branch.id.clone(), "李红").await?];
    let outsider = add(other.id.clone(), "外支部").await?;
    let account = |login: &'static str, role, member: Option<String>| {
        let org = branch.id.clone();
        async move {
            let new = NewAccount {
                login,
                phone: None,
                display_name: login,
                role,
                org_id: &org,
                member_id: member.as_deref(),
                password_hash: "h",
                must_change_password: false,
            };
            store.create_account(&new, 0).await.map(|a| a.id)
        }
    };
    let secretary = account("shuji", Role::Secretary, None).await?;
    let member_account = account("wang", Role::Member, Some(members[0].clone())).await?;
    let campaign = store
        .create_campaign(
            &NewCampaign { org_id: &county.id, year: 2025, title: "2025年度", notice: "", definition: "" },
            0,
        )
        .await?;
    Ok(Setup {
        county: county.id,
        campaign: campaign.id,
        branch: branch.id,
        members,
        outsider,
        secretary,
        member_account,
    })
}

fn new_item<'a>(s: &'a Setup, token: &'a str) -> NewRectification<'a> {
    NewRectification {
        campaign_id: &s.campaign,
        org_id: &s.branch,
        member_id: Some(&s.members[0]),
        owner_member_id: &s.members[0],
        origin_kind: OriginKind::Material,
        origin_ref: "m:1:0.0",
        problem: "理论学习不够深入，学用脱节",
        measure: "每月精读一篇原著，写出心得",
        deadline: "2026-06-30",
        form_token: token,
        by: &s.secretary,
    }
}

#[tokio::test]
async fn the_owner_never_verifies_their_own_item_and_a_second_person_does() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        let item = store.add_rectification(&new_item(&s, "t1"), 10).await.map_err(into_store)?;
        assert_eq!((item.status, item.version), (RectificationStatus::NotStarted, 1));
        let early = store.verify_rectification(&item.id, 1, &s.secretary, "", 11).await;
        assert!(matches!(early, Err(RectificationError::NotDone)), "{early:?}");
        let done = store
            .set_rectification_status(&item.id, 1, RectificationStatus::Done, &s.member_account, 12)
            .await
            .map_err(into_store)?;
        assert_eq!((done.done_by.as_deref(), done.done_at), (Some(s.member_account.as_str()), Some(12)));
        let own = store.verify_rectification(&item.id, done.version, &s.member_account, "", 13).await;
        assert!(matches!(own, Err(RectificationError::SelfVerification)), "{own:?}");
        let stale = store.verify_rectification(&item.id, 1, &s.secretary, "", 13).await;
        assert!(matches!(stale, Err(RectificationError::Stale)), "{stale:?}");
        let verified = store
            .verify_rectification(&item.id, done.version, &s.secretary, "材料齐全", 14)
            .await
            .map_err(into_store)?;
        assert_eq!(verified.status, RectificationStatus::Verified);
        assert_eq!(
            (verified.verified_by.as_deref(), verified.verify_note.as_str()),
            (Some(s.secretary.as_str()), "材料齐全")
        );
        // Closed: no status change, edit or note any more.
        let reopen = store.set_rectification_status(
            &item.id,
            verified.version,
            RectificationStatus::InProgress,
            &s.secretary,
            15,
        );
        assert!(matches!(reopen.await, Err(RectificationError::Verified)));
        let edit = RectificationEdit { owner_member_id: &s.members[1], measure: "x", deadline: "2026-01-01" };
        let edited = store.edit_rectification(&item.id, verified.version, &edit, &s.secretary, 15).await;
        assert!(matches!(edited, Err(RectificationError::Verified)));
        let note = store.add_rectification_note(&item.id, "补充", &[], "n1", &s.secretary, 15).await;
        assert!(matches!(note, Err(RectificationError::Verified)));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_database_itself_keeps_a_verified_item_with_its_verifier_and_a_done_one_with_who() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        let item = store.add_rectification(&new_item(&s, "t1"), 10).await.map_err(into_store)?;
        let bare = sqlx::query("UPDATE rectification_items SET status = 'verified' WHERE id = $1")
            .bind(&item.id)
            .execute(store.pool())
            .await;
        assert!(bare.is_err(), "a verified item without its verifier");
        let bare = sqlx::query("UPDATE rectification_items SET status = 'done' WHERE id = $1")
            .bind(&item.id)
            .execute(store.pool())
            .await;
        assert!(bare.is_err(), "a done item without who marked it");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn two_tabs_and_double_submits_change_nothing_twice() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        let item = store.add_rectification(&new_item(&s, "once"), 10).await.map_err(into_store)?;
        let again = store.add_rectification(&new_item(&s, "once"), 11).await;
        assert!(matches!(again, Err(RectificationError::AlreadySubmitted(ref id)) if *id == item.id), "{again:?}");
        assert_eq!(store.rectification_ledger(&s.campaign, &s.branch).await?.len(), 1);

        let edit = RectificationEdit { owner_member_id: &s.members[1], measure: "新措施", deadline: "2026-05-01" };
        let edited = store.edit_rectification(&item.id, 1, &edit, &s.secretary, 12).await.map_err(into_store)?;
        assert_eq!((edited.version, edited.owner_member_id.as_str()), (2, s.members[1].as_str()));
        let lost = store.edit_rectification(&item.id, 1, &edit, &s.secretary, 13).await;
        assert!(matches!(lost, Err(RectificationError::Stale)), "{lost:?}");
        let lost = store.set_rectification_status(&item.id, 1, RectificationStatus::InProgress, &s.secretary, 13).await;
        assert!(matches!(lost, Err(RectificationError::Stale)), "{lost:?}");

        let note = store.add_rectification_note(&item.id, "已学习两篇", &[], "note-1", &s.member_account, 14).await;
        let note = note.map_err(into_store)?;
        let twice = store.add_rectification_note(&item.id, "已学习两篇", &[], "note-1", &s.member_account, 15).await;
        assert!(matches!(twice, Err(RectificationError::AlreadySubmitted(ref id)) if *id == note.id), "{twice:?}");
        assert_eq!(store.rectification_notes(&item.id).await?.len(), 1);

        let outsider = NewRectification { owner_member_id: &s.outsider, form_token: "other", ..new_item(&s, "") };
        let refused = store.add_rectification(&outsider, 16).await;
        assert!(matches!(refused, Err(RectificationError::NotInBranch)), "{refused:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn an_item_is_overdue_after_its_deadline_until_done() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        let item = store.add_rectification(&new_item(&s, "t"), 10).await.map_err(into_store)?;
        assert!(!item.overdue("2026-06-30"), "the deadline's own day is in time");
        assert!(item.overdue("2026-07-01"));
        let going = store.set_rectification_status(&item.id, 1, RectificationStatus::InProgress, &s.member_account, 11);
        let going = going.await.map_err(into_store)?;
        assert!(going.overdue("2026-07-01"), "in progress is not done");
        let done = store.set_rectification_status(&item.id, 2, RectificationStatus::Done, &s.member_account, 12);
        assert!(!done.await.map_err(into_store)?.overdue("2027-01-01"));
        Ok(())
    })
    .await;
}

/// A minimal zip with one stored entry named `name`.
fn zip_with(name: &str) -> Vec<u8> {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes.extend_from_slice(&2u32.to_le_bytes()); // compressed size
    bytes.extend_from_slice(&2u32.to_le_bytes()); // uncompressed size
    bytes.extend_from_slice(&(name.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&0u16.to_le_bytes());
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(b"{}");
    bytes
}

#[test]
fn attachments_are_told_by_their_bytes_not_their_names() {
    let mut zip = zip_with("[Content_Types].xml");
    zip.extend(zip_with("word/document.xml"));
    assert_eq!(AttachmentKind::sniff(&zip), Some(AttachmentKind::Docx));
    let mut book = zip_with("[Content_Types].xml");
    book.extend(zip_with("xl/workbook.xml"));
    assert_eq!(AttachmentKind::sniff(&book), Some(AttachmentKind::Xlsx));
    assert_eq!(AttachmentKind::sniff(&zip_with("other.txt")), None, "a zip that is no Office file");
    assert_eq!(AttachmentKind::sniff(b"%PDF-1.7\n"), Some(AttachmentKind::Pdf));
    assert_eq!(AttachmentKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(AttachmentKind::Jpeg));
    assert_eq!(AttachmentKind::sniff(b"\x89PNG\r\n\x1a\n...."), Some(AttachmentKind::Png));
    assert_eq!(AttachmentKind::sniff(b"MZ\x90\x00"), None);
    let renamed = NewAttachment { file_name: "证明.pdf", bytes: b"#!/bin/sh\necho" };
    assert_eq!(renamed.check(), Err(AttachmentProblem::Kind { file_name: "证明.pdf".into() }));
}

#[tokio::test]
async fn evidence_is_kept_as_bytes_within_its_limits() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        let item = store.add_rectification(&new_item(&s, "t"), 10).await.map_err(into_store)?;
        let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec();
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES + 1, b' ');
        let refused = [
            (NewAttachment { file_name: "大.pdf", bytes: &big }, "too large"),
            (NewAttachment { file_name: "a.exe", bytes: b"MZ\x90\x00" }, "kind"),
            (NewAttachment { file_name: "空.png", bytes: b"" }, "empty"),
        ];
        for (attachment, why) in refused {
            let files = [NewAttachment { file_name: "好.pdf", bytes: &pdf }, attachment];
            let outcome = store.add_rectification_note(&item.id, "说明", &files, why, &s.member_account, 11).await;
            assert!(matches!(outcome, Err(RectificationError::Attachment(_))), "{why}: {outcome:?}");
        }
        assert!(
            store.rectification_notes(&item.id).await?.is_empty(),
            "a refused note leaves nothing, not even its good file"
        );
        let mut exact = b"%PDF-1.4\n".to_vec();
        exact.resize(MAX_ATTACHMENT_BYTES, b' ');
        let files = [
            NewAttachment { file_name: "整改记录.pdf", bytes: &pdf },
            NewAttachment { file_name: "满.pdf", bytes: &exact },
        ];
        let note = store
            .add_rectification_note(&item.id, "已整改", &files, "ok", &s.member_account, 12)
            .await
            .map_err(into_store)?;
        assert_eq!(note.attachments.len(), 2);
        let first = note.attachments.iter().find(|a| a.file_name == "整改记录.pdf").expect("kept");
        let (info, bytes, item_id) = store.rectification_attachment(&first.id).await?;
        assert_eq!((info.kind, bytes, item_id), (AttachmentKind::Pdf, pdf.clone(), item.id.clone()));
        assert_eq!(info.size, pdf.len() as i64);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn unfinished_items_carry_over_into_next_year_s_campaign_with_their_status() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        let waiting = store.add_rectification(&new_item(&s, "a"), 10).await.map_err(into_store)?;
        let going = store.add_rectification(&new_item(&s, "b"), 11).await.map_err(into_store)?;
        let going = store
            .set_rectification_status(&going.id, 1, RectificationStatus::InProgress, &s.member_account, 12)
            .await
            .map_err(into_store)?;
        let finished = store.add_rectification(&new_item(&s, "c"), 13).await.map_err(into_store)?;
        store
            .set_rectification_status(&finished.id, 1, RectificationStatus::Done, &s.member_account, 14)
            .await
            .map_err(into_store)?;
        // A campaign of the same year (a second notice) carries nothing.
        let same = NewCampaign { org_id: &s.county, year: 2025, title: "补充", notice: "", definition: "" };
        let same = store.create_campaign(&same, 15).await?;
        assert!(store.rectification_ledger(&same.id, &s.branch).await?.is_empty());

        let next = NewCampaign { org_id: &s.county, year: 2026, title: "2026年度", notice: "", definition: "" };
        let next = store.create_campaign(&next, 20).await?;
        let ledger = store.rectification_ledger(&next.id, &s.branch).await?;
        let carried: Vec<(&str, RectificationStatus, bool)> =
            ledger.iter().map(|i| (i.id.as_str(), i.status, i.carried_over)).collect();
        assert_eq!(
            carried,
            vec![
                (waiting.id.as_str(), RectificationStatus::NotStarted, true),
                (going.id.as_str(), RectificationStatus::InProgress, true)
            ]
        );
        assert_eq!(store.carry_over_rectification(&next.id, 21).await?, 0, "once only");
        // The superior's completion figure counts what the ledger lists: the carried items are still to do.
        let county = store.org(&s.county).await?;
        let counts = store.rectification_counts_under(&next.id, &county.path).await?;
        assert_eq!(counts.get(&s.branch), Some(&(0, 2)));
        // Still the same item: finishing it in the new ledger finishes it in last year's too.
        store
            .set_rectification_status(&going.id, going.version, RectificationStatus::Done, &s.member_account, 22)
            .await
            .map_err(into_store)?;
        let old = store.rectification_ledger(&s.campaign, &s.branch).await?;
        assert!(old.iter().all(|i| !i.carried_over) && old.len() == 3);
        assert_eq!(old.iter().find(|i| i.id == going.id).map(|i| i.status), Some(RectificationStatus::Done));
        let last_year = store.rectification_counts_under(&s.campaign, &county.path).await?;
        assert_eq!(last_year.get(&s.branch), Some(&(0, 3)), "raised there, none verified yet");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_ledger_is_published_once() {
    each_backend(|store| async move {
        let s = setup(&store).await?;
        assert!(store.rectification_publication(&s.campaign, &s.branch).await?.is_none());
        let first = store.publish_rectification_ledger(&s.campaign, &s.branch, &s.secretary, 10).await?;
        let again = store.publish_rectification_ledger(&s.campaign, &s.branch, &s.secretary, 20).await?;
        assert_eq!((first.published_at, again.published_at), (10, 10));
        Ok(())
    })
    .await;
}

fn into_store(e: RectificationError) -> StoreError {
    match e {
        RectificationError::Store(e) => e,
        other => StoreError::State(other.to_string()),
    }
}
