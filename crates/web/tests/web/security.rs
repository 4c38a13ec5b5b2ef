//! The security administrator (三员分立), on both backends: unlocking, forcing a password change, ending sessions
//! and resetting a second factor are theirs and audited; nobody else reaches them, the system administrator has lost
//! them, and the security administrator reads no material, no audit log and manages no account.

use reqwest::StatusCode;

use crate::helpers::{App, PASSWORD, each_backend, location};

#[tokio::test]
async fn the_security_admin_unlocks_forces_a_change_and_signs_out_and_each_is_audited() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        for _ in 0..5 {
            app.browser().login("shuji_a", "Wrong@2025x").await;
        }
        let locked = app.browser().login("shuji_a", PASSWORD).await;
        assert_eq!(locked.status(), StatusCode::UNAUTHORIZED, "locked");

        let security = app.signed_in("anquan").await;
        let (status, overview) = security.page("/security").await;
        assert_eq!(status, StatusCode::OK, "{overview}");
        assert!(overview.contains("shuji_a") && overview.contains("已锁定，约 15 分钟后解除"), "{overview}");
        assert!(overview.contains("已用 1 天"), "password ages are shown: {overview}");
        let token = security.token("/security").await;
        let account = format!("/security/accounts/{}", f.secretary_a.id);
        let unlocked = security.post(&format!("{account}/unlock"), &[("csrf", &token), ("back", "q=shuji")]).await;
        assert_eq!((unlocked.status(), location(&unlocked)), (StatusCode::SEE_OTHER, "/security?q=shuji"));
        let secretary = app.signed_in("shuji_a").await;

        let forced = security.post(&format!("{account}/force-password"), &[("csrf", &token)]).await;
        assert_eq!(forced.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&secretary.get("/").await), "/password", "the change comes first");
        let (_, form) = secretary.page("/password").await;
        assert!(form.contains("安全管理员要求更换"), "{form}");

        let other = app.signed_in("gongwei").await;
        let ended = security.post(&format!("/security/accounts/{}/sessions", f.superior.id), &[("csrf", &token)]).await;
        assert_eq!(ended.status(), StatusCode::SEE_OTHER);
        assert_eq!(other.get("/").await.status(), StatusCode::SEE_OTHER, "signed out");

        let hostile =
            security.post(&format!("{account}/unlock"), &[("csrf", &token), ("back", "//evil.example")]).await;
        assert_eq!(location(&hostile), "/security", "only a plain query is followed back");
        let forged = security.post(&format!("{account}/unlock"), &[("csrf", "0f0f")]).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "a form token is required");

        for action in ["security.unlock", "security.force_password", "security.revoke_sessions"] {
            let entries = app.audit(action).await;
            assert!(
                entries.iter().any(|e| e.account_id.as_deref() == Some(f.security_admin.id.as_str())),
                "{action} is audited"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn only_the_security_admin_reaches_security_and_the_system_admin_lost_those_powers() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let target = format!("/security/accounts/{}", f.member_a_account.id);
        for login in ["gongwei", "shuji_a", "wangjianguo", "shenji", "xitong"] {
            let browser = app.signed_in(login).await;
            assert_eq!(browser.page("/security").await.0, StatusCode::FORBIDDEN, "{login}");
            let token = browser.token("/").await;
            for action in ["unlock", "totp-reset", "force-password", "sessions"] {
                let post = browser.post(&format!("{target}/{action}"), &[("csrf", &token)]).await;
                assert_eq!(post.status(), StatusCode::FORBIDDEN, "{login} {action}");
            }
        }
        assert!(!app.store.account(&f.member_a_account.id).await.unwrap().must_change_password);

        // The system admin's page no longer ends sessions.
        let admin = app.signed_in("xitong").await;
        let token = admin.token("/accounts").await;
        let member = app.signed_in("wangjianguo").await;
        let gone = admin.post(&format!("/accounts/{}/sessions", f.member_a_account.id), &[("csrf", &token)]).await;
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        assert_eq!(member.get("/").await.status(), StatusCode::OK, "still signed in");
        let (_, page) = admin.page(&format!("/accounts/{}", f.member_a_account.id)).await;
        assert!(!page.contains("/sessions") && page.contains("由安全管理员办理"), "{page}");

        // The security admin manages no account, reads no material, no audit log, no organization.
        let material = app
            .store
            .start_material(&f.campaign.id, &f.member_a.id, "member", "一、存在的主要问题", &f.member_a_account.id, 0)
            .await
            .unwrap();
        let security = app.signed_in("anquan").await;
        assert_eq!(security.page("/accounts").await.0, StatusCode::FORBIDDEN);
        assert_eq!(security.page(&format!("/accounts/{}", f.member_a_account.id)).await.0, StatusCode::FORBIDDEN);
        assert_eq!(security.page("/audit").await.0, StatusCode::FORBIDDEN);
        assert_eq!(security.page("/orgs").await.0, StatusCode::FORBIDDEN);
        assert_eq!(security.page(&format!("/campaigns/{}", f.campaign.id)).await.0, StatusCode::FORBIDDEN);
        assert_eq!(security.page(&format!("/materials/{}", material.id)).await.0, StatusCode::NOT_FOUND);
        let (_, home) = security.page("/").await;
        assert!(home.contains("href=\"/security\"") && !home.contains("href=\"/accounts\""), "{home}");
        // Nor can the security admin act outside their subtree: an id that is not an account is a 404.
        let token = security.token("/security").await;
        let missing = security.post("/security/accounts/nobody/unlock", &[("csrf", &token)]).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    })
    .await;
}
