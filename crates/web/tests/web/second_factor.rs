//! The optional second factor (TOTP), on both backends, with the server's clock moved by hand so that the test
//! computes the codes an authenticator app would show: enrolment with the secret and a QR code, a code accepted
//! once per step, recovery codes used once, wrong codes counted toward the lockout, members not asked, and the
//! security administrator's reset.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions, which clippy's test exemption misses

use mingjing_web::Config;
use mingjing_web::auth::totp;
use reqwest::StatusCode;

use crate::helpers::{App, Browser, PASSWORD, each_backend_with, form_token, location};

fn required() -> Config {
    Config { totp_required: true, ..Config::default() }
}

/// The secret on the enrolment page, without the spaces that group it.
fn shown_secret(html: &str) -> String {
    const OPENING: &str = r#"class="totp-secret">"#;
    let start = html.find(OPENING).expect("the secret on the page") + OPENING.len();
    html[start..start + html[start..].find('<').expect("its end")].replace(' ', "")
}

fn recovery_codes(html: &str) -> Vec<String> {
    html.split("<li><code>").skip(1).map(|rest| rest[..rest.find('<').expect("end")].to_owned()).collect()
}

fn alert(html: &str) -> &str {
    const OPENING: &str = r#"class="alert alert-error" role="alert">"#;
    let start = html.find(OPENING).map_or(0, |i| i + OPENING.len());
    &html[start..start + html[start..].find('<').unwrap_or(0)]
}

/// Signs in with the password, expecting the second step at `step_path`; returns the step page's form token.
async fn password_step(browser: &Browser, login: &str, step_path: &str) -> String {
    let response = browser.login(login, PASSWORD).await;
    assert_eq!((response.status(), location(&response)), (StatusCode::SEE_OTHER, step_path), "{login}");
    assert_eq!(location(&browser.get("/").await), "/login", "not signed in before the second factor");
    browser.token(step_path).await
}

async fn enrol(app: &App, browser: &Browser, login: &str) -> (String, Vec<String>) {
    let token = password_step(browser, login, "/login/totp/enrol").await;
    let (_, page) = browser.page("/login/totp/enrol").await;
    assert!(page.contains("<svg") && page.contains("totp-secret"), "{page}");
    let secret = shown_secret(&page);
    let wrong = browser.post("/login/totp/enrol", &[("csrf", &token), ("code", "000000")]).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains(&secret.chars().take(4).collect::<String>()), "the form again");
    let code = totp::code_at(&secret, app.clock_now()).unwrap();
    let done = browser.post("/login/totp/enrol", &[("csrf", &token), ("code", &code)]).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(done.headers().get("cache-control").unwrap(), "no-store");
    let codes = recovery_codes(&done.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    assert_eq!(browser.get("/").await.status(), StatusCode::OK, "signed in");
    (secret, codes)
}

#[tokio::test]
async fn administrators_and_secretaries_enrol_then_give_a_code_once_per_step() {
    each_backend_with(required, |app: App| async move {
        let (secret, codes) = enrol(&app, &app.browser(), "shuji_a").await;

        // Next sign-in: the code of this step was used at enrolment; the next step's is good once.
        let second = app.browser();
        let token = password_step(&second, "shuji_a", "/login/totp").await;
        let now = app.clock_now();
        let replay =
            second.post("/login/totp", &[("csrf", &token), ("code", &totp::code_at(&secret, now).unwrap())]).await;
        assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
        assert!(alert(&replay.text().await.unwrap()).contains("已经用过"));
        app.advance_seconds(30);
        let code = totp::code_at(&secret, app.clock_now()).unwrap();
        let good = second.post("/login/totp", &[("csrf", &token), ("code", &code)]).await;
        assert_eq!((good.status(), location(&good)), (StatusCode::SEE_OTHER, "/"));
        assert_eq!(second.get("/").await.status(), StatusCode::OK);
        let third = app.browser();
        let token = password_step(&third, "shuji_a", "/login/totp").await;
        let again = third.post("/login/totp", &[("csrf", &token), ("code", &code)]).await;
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "the same code in another browser is a replay");

        // A recovery code works once, with or without its dashes.
        let used = third.post("/login/totp", &[("csrf", &token), ("code", &codes[0].replace('-', ""))]).await;
        assert_eq!(used.status(), StatusCode::SEE_OTHER);
        let fourth = app.browser();
        let token = password_step(&fourth, "shuji_a", "/login/totp").await;
        let reused = fourth.post("/login/totp", &[("csrf", &token), ("code", &codes[0])]).await;
        assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
        let forged = fourth.post("/login/totp", &[("csrf", "0f0f"), ("code", &codes[1])]).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "the challenge's form token is required");

        // Members are not asked; the superior admin is.
        let member = app.browser().login("wangjianguo", PASSWORD).await;
        assert_eq!(location(&member), "/");
        password_step(&app.browser(), "gongwei", "/login/totp/enrol").await;

        // The secret is never in the audit log.
        let entries = app.store.audit_entries(None, 500).await.unwrap();
        assert!(entries.iter().all(|e| !e.detail.contains(&secret) && !e.detail.contains(&codes[1])));
        assert!(entries.iter().any(|e| e.action == "totp.enrol" && e.outcome == "ok"));
    })
    .await;
}

#[tokio::test]
async fn wrong_codes_count_toward_the_lockout_and_the_security_admin_resets_the_factor() {
    each_backend_with(required, |app: App| async move {
        let f = &app.fixture;
        let (secret, _) = enrol(&app, &app.browser(), "shuji_a").await;
        app.advance_seconds(30);
        let browser = app.browser();
        let token = password_step(&browser, "shuji_a", "/login/totp").await;
        for _ in 0..4 {
            let wrong = browser.post("/login/totp", &[("csrf", &token), ("code", "123456")]).await;
            assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        }
        // The password again does not reset the count.
        let token = password_step(&browser, "shuji_a", "/login/totp").await;
        let locked = browser.post("/login/totp", &[("csrf", &token), ("code", "654321")]).await;
        let page = locked.text().await.unwrap();
        assert!(alert(&page).contains("账户已锁定"), "{page}");
        assert!(form_token(&page).is_some(), "back on the login form");
        let code = totp::code_at(&secret, app.clock_now()).unwrap();
        let after = browser.post("/login/totp", &[("csrf", &token), ("code", &code)]).await;
        assert_eq!((after.status(), location(&after)), (StatusCode::SEE_OTHER, "/login"), "the challenge ended");
        assert_eq!(app.browser().login("shuji_a", PASSWORD).await.status(), StatusCode::UNAUTHORIZED, "locked");
        let failures = app.audit("login_failed").await;
        // One wrong code at enrolment, five since.
        assert_eq!(failures.iter().filter(|e| e.detail == "第二因素错误").count(), 6);

        // The security admin unlocks and resets: the next sign-in enrols afresh, with a new secret.
        // The security admin is an administrator too: a second factor of their own first.
        let security = app.browser();
        enrol(&app, &security, "anquan").await;
        let (_, overview) = security.page("/security?q=shuji").await;
        assert!(overview.contains("已启用（剩 10 个恢复码）"), "{overview}");
        let token = security.token("/security").await;
        let account = format!("/security/accounts/{}", f.secretary_a.id);
        security.post(&format!("{account}/unlock"), &[("csrf", &token)]).await;
        let reset = security.post(&format!("{account}/totp-reset"), &[("csrf", &token)]).await;
        assert_eq!(reset.status(), StatusCode::SEE_OTHER);
        assert!(!app.audit("security.totp_reset").await.is_empty());
        let (_, overview) = security.page("/security?q=shuji").await;
        assert!(overview.contains("未启用（必须启用"), "{overview}");
        let (fresh, _) = enrol(&app, &app.browser(), "shuji_a").await;
        assert_ne!(fresh, secret);
    })
    .await;
}

#[tokio::test]
async fn without_the_setting_nobody_is_asked_for_a_code() {
    each_backend_with(Config::default, |app: App| async move {
        for login in ["shuji_a", "xitong", "anquan", "shenji"] {
            let response = app.browser().login(login, PASSWORD).await;
            assert_eq!((response.status(), location(&response)), (StatusCode::SEE_OTHER, "/"), "{login}");
        }
    })
    .await;
}
