use super::*;
use crate::testing::each_backend;
use crate::{Account, Campaign, NewAccount, NewCampaign, Org, OrgKind, Role};

struct Branch {
    org: Org,
    other: Org,
    campaign: Campaign,
    secretary: Account,
    superior: Account,
}

async fn branch(store: &Store) -> Result<Branch, StoreError> {
    let county = store.create_org(None, "某县", OrgKind::County, 0).await?;
    let org = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 0).await?;
    let other = store.create_org(Some(&county.id), "第二党支部", OrgKind::Branch, 0).await?;
    let account = |login: &'static str, role: Role, org_id: String| async move {
        let new = NewAccount {
            login,
            phone: None,
            display_name: login,
            role,
            org_id: &org_id,
            member_id: None,
            password_hash: "x",
            must_change_password: false,
        };
        store.create_account(&new, 0).await
    };
    let secretary = account("shuji", Role::Secretary, org.id.clone()).await?;
    let superior = account("xianwei", Role::SuperiorAdmin, county.id.clone()).await?;
    let campaign = store
        .create_campaign(&NewCampaign { org_id: &county.id, year: 2025, title: "t", notice: "", definition: "" }, 0)
        .await?;
    Ok(Branch { org, other, campaign, secretary, superior })
}

#[tokio::test]
async fn a_report_is_submitted_once_returned_with_a_reason_resubmitted_and_acknowledged() {
    each_backend(|store| async move {
        let b = branch(&store).await?;
        let (c, o, by) = (b.campaign.id.as_str(), b.org.id.as_str(), b.secretary.id.as_str());
        assert!(store.branch_report(c, o).await?.is_none());

        let draft = store.save_report_draft(c, o, 0, "初稿", by, 10).await.expect("a draft");
        assert_eq!((draft.status, draft.version, draft.submissions.len()), (ReportStatus::Draft, 1, 0));
        let stale = store.save_report_draft(c, o, 0, "另一个标签页", by, 11).await;
        assert!(matches!(stale, Err(ReportError::Stale)), "{stale:?}");

        let sent = store.submit_report(c, o, 1, "form-1", "第一次上报", by, 20).await.expect("submitted");
        assert_eq!((sent.status, sent.body.as_str(), sent.version), (ReportStatus::Submitted, "第一次上报", 2));
        assert_eq!(sent.pending().map(|s| s.seq), Some(1));
        let twice = store.submit_report(c, o, 1, "form-1", "第一次上报", by, 21).await;
        assert!(matches!(twice, Err(ReportError::AlreadySubmitted)), "the same form: {twice:?}");
        let other_form = store.submit_report(c, o, 2, "form-2", "改了", by, 22).await;
        assert!(matches!(other_form, Err(ReportError::NotEditable(ReportStatus::Submitted))), "{other_form:?}");
        let edit = store.save_report_draft(c, o, 2, "改了", by, 23).await;
        assert!(matches!(edit, Err(ReportError::NotEditable(ReportStatus::Submitted))), "read-only: {edit:?}");

        let sup = b.superior.id.as_str();
        let no_reason = store.decide_report(c, o, 1, ReportDecision::Returned, "  ", sup, 30).await;
        assert!(matches!(no_reason, Err(ReportError::NoReason)), "{no_reason:?}");
        let returned =
            store.decide_report(c, o, 1, ReportDecision::Returned, "缺少整改情况", sup, 31).await.expect("returned");
        assert_eq!(returned.status, ReportStatus::Returned);
        assert_eq!(returned.submissions[0].decision, Some(ReportDecision::Returned));
        assert_eq!(returned.submissions[0].reason, "缺少整改情况");
        let again = store.decide_report(c, o, 1, ReportDecision::Acknowledged, "", sup, 32).await;
        assert!(matches!(again, Err(ReportError::NotPending)), "answered once: {again:?}");

        let edited = store.save_report_draft(c, o, returned.version, "补充了整改", by, 40).await.expect("edited");
        assert_eq!(edited.status, ReportStatus::Draft);
        let resent =
            store.submit_report(c, o, edited.version, "form-3", "第二次上报", by, 41).await.expect("resubmitted");
        assert_eq!(resent.submissions.len(), 2);
        assert_eq!(resent.pending().map(|s| s.body.as_str()), Some("第二次上报"));
        let old = store.decide_report(c, o, 1, ReportDecision::Acknowledged, "", sup, 50).await;
        assert!(matches!(old, Err(ReportError::NotPending)), "an old submission: {old:?}");
        let done = store.decide_report(c, o, 2, ReportDecision::Acknowledged, "", sup, 51).await.expect("ok");
        assert_eq!(done.status, ReportStatus::Acknowledged);
        assert_eq!(done.submissions[0].body, "第一次上报", "every version kept as submitted");
        assert_eq!((done.submissions[1].decided_at, done.submissions[1].decided_by.as_deref()), (Some(51), Some(sup)));
        let after = store.save_report_draft(c, o, done.version, "再改", by, 60).await;
        assert!(matches!(after, Err(ReportError::NotEditable(ReportStatus::Acknowledged))), "{after:?}");

        let statuses = store.report_statuses(c, "/").await?;
        assert_eq!(statuses.get(o), Some(&ReportStatus::Acknowledged));
        assert!(!statuses.contains_key(&b.other.id), "no report, no row");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_first_submission_needs_no_draft_and_a_token_submits_once_across_branches() {
    each_backend(|store| async move {
        let b = branch(&store).await?;
        let c = b.campaign.id.as_str();
        let by = b.secretary.id.as_str();
        let sent = store.submit_report(c, &b.org.id, 0, "form-a", "直接上报", by, 10).await.expect("submitted");
        assert_eq!((sent.status, sent.version, sent.submissions.len()), (ReportStatus::Submitted, 1, 1));
        let reused = store.submit_report(c, &b.other.id, 0, "form-a", "别的支部", by, 11).await;
        assert!(matches!(reused, Err(ReportError::AlreadySubmitted)), "{reused:?}");
        assert!(store.branch_report(c, &b.other.id).await?.is_none(), "nothing written for the reused token");
        let none = store.decide_report(c, &b.other.id, 1, ReportDecision::Acknowledged, "", by, 12).await;
        assert!(matches!(none, Err(ReportError::NotPending)), "{none:?}");
        Ok(())
    })
    .await;
}
