//! Who sees what, on both backends: every refusal, including an id guessed and an id copied from another branch,
//! is the same 404 and is audited. No material page exists yet, so the scope is exercised as the pages will call it.

use mingjing_storage::Account;
use mingjing_web::csrf::CsrfToken;
use mingjing_web::{AppError, AppState, Config, CurrentUser, Scope, can_read_material, can_see_org};

use crate::helpers::{App, START_MS, each_backend};

/// An id of the right shape that names nothing.
const GUESSED: &str = "0192f0c4a8e97c3b8d1e2f3a4b5c6d7e";

async fn user(app: &App, account: &Account) -> CurrentUser {
    CurrentUser {
        account: account.clone(),
        org: app.store.org(&account.org_id).await.expect("the account's organization"),
        csrf: CsrfToken::generate().expect("a token"),
        source_ip: Some("127.0.0.1".to_owned()),
        session_hash: String::new(),
        change_due: None,
    }
}

fn state(app: &App) -> AppState {
    AppState::with_clock(Config::default(), app.store.clone(), app.clock.clone())
}

fn is_not_found<T: std::fmt::Debug>(result: Result<T, AppError>) -> bool {
    matches!(result, Err(AppError::NotFound))
}

#[tokio::test]
async fn materials_are_read_by_their_author_and_the_organizations_above_only() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let state = state(&app);
        let start = |member_id: String, by: String| {
            let store = app.store.clone();
            let campaign = f.campaign.id.clone();
            async move {
                store.start_material(&campaign, &member_id, "member", "一、存在的主要问题", &by, START_MS).await
            }
        };
        let own = start(f.member_a.id.clone(), f.member_a_account.id.clone()).await.unwrap();
        let foreign = start(f.member_b.id.clone(), f.member_b_account.id.clone()).await.unwrap();

        let member = user(&app, &f.member_a_account).await;
        let scope = Scope::new(&state, &member);
        assert_eq!(scope.material(&own.id).await.unwrap().id, own.id);
        assert!(is_not_found(scope.material(&foreign.id).await), "another branch's id");
        assert!(is_not_found(scope.material(GUESSED).await), "a guessed id");

        let secretary = user(&app, &f.secretary_a).await;
        let scope = Scope::new(&state, &secretary);
        assert!(scope.material(&own.id).await.is_ok());
        assert!(is_not_found(scope.material(&foreign.id).await));

        let superior = user(&app, &f.superior).await;
        let scope = Scope::new(&state, &superior);
        assert!(scope.material(&own.id).await.is_ok() && scope.material(&foreign.id).await.is_ok());
        assert!(is_not_found(scope.material(GUESSED).await));

        for account in [&f.auditor, &f.system_admin, &f.security_admin] {
            let outsider = user(&app, account).await;
            assert!(is_not_found(Scope::new(&state, &outsider).material(&own.id).await), "{}", account.login);
        }

        // The page a refusal gives is the page a missing id gives.
        let (a, b) = (AppError::NotFound, AppError::NotFound);
        assert_eq!((a.status(), a.message()), (b.status(), b.message()));

        let denied = app.audit("access_denied").await;
        assert_eq!(denied.len(), 7, "one more for the security admin");
        assert!(denied.iter().all(|e| e.outcome == "denied" && e.source_ip.as_deref() == Some("127.0.0.1")));
        let foreign_target = format!("material:{}", foreign.id);
        assert_eq!(denied.iter().filter(|e| e.target.as_deref() == Some(foreign_target.as_str())).count(), 2);
        assert_eq!(denied.iter().filter(|e| e.detail == "不存在").count(), 2);
        assert!(denied.iter().any(|e| e.account_id.as_deref() == Some(f.member_a_account.id.as_str())));
    })
    .await;
}

#[tokio::test]
async fn organizations_are_seen_within_the_subtree_and_never_by_members_or_administrators() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let state = state(&app);
        let secretary = user(&app, &f.secretary_a).await;
        assert!(can_see_org(&secretary, &f.branch_a));
        assert!(!can_see_org(&secretary, &f.branch_b) && !can_see_org(&secretary, &f.committee));

        let superior = user(&app, &f.superior).await;
        for org in [&f.committee, &f.branch_a, &f.branch_b] {
            assert!(can_see_org(&superior, org), "{}", org.name);
        }
        assert!(!can_see_org(&superior, &f.county), "not above its own organization");

        for account in [&f.member_a_account, &f.auditor, &f.system_admin, &f.security_admin] {
            let other = user(&app, account).await;
            for org in [&f.county, &f.committee, &f.branch_a] {
                assert!(!can_see_org(&other, org), "{} sees {}", account.login, org.name);
            }
        }

        let member = user(&app, &f.member_a_account).await;
        assert!(can_read_material(&member, &f.member_a.id, &f.branch_a));
        assert!(!can_read_material(&member, &f.member_b.id, &f.branch_b));
        assert!(!can_read_material(&secretary, &f.member_b.id, &f.branch_b));
        assert!(can_read_material(&superior, &f.member_b.id, &f.branch_b));

        let scope = Scope::new(&state, &secretary);
        assert_eq!(scope.org(&f.branch_a.id).await.unwrap().id, f.branch_a.id);
        assert!(is_not_found(scope.org(&f.branch_b.id).await), "a valid id of another branch");
        assert!(is_not_found(scope.org(GUESSED).await), "a guessed id");
        let long_guess = "x".repeat(500);
        assert!(is_not_found(scope.org(&long_guess).await));
        let denied = app.audit("access_denied").await;
        assert_eq!(denied.len(), 3);
        assert!(denied.iter().all(|e| e.target.as_ref().is_some_and(|t| t.starts_with("org:") && t.len() <= 68)));
    })
    .await;
}
