//! Signing in and out, the password rules, session timeouts, form tokens and the audit log, through the real server
//! on both storage backends.

use mingjing_web::Config;
use reqwest::StatusCode;
use std::time::Duration;

use crate::helpers::{App, DAY_MS, PASSWORD, each_backend, each_backend_with, form_token, location, session_cookie};

const REFUSED: &str = "账号或密码不正确";

/// The text of the page's error box.
fn alert(html: &str) -> &str {
    const OPENING: &str = r#"class="alert alert-error" role="alert">"#;
    let start = html.find(OPENING).map_or(0, |i| i + OPENING.len());
    let end = start + html[start..].find('<').unwrap_or(0);
    &html[start..end]
}

#[tokio::test]
async fn members_sign_in_by_account_name_or_phone_and_each_login_is_audited() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let browser = app.browser();
        let response = browser.login("wangjianguo", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/");
        let cookie = session_cookie(&response).expect("a session cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"));
        assert!(!cookie.contains("Secure"), "no TLS here: {cookie}");
        let token = cookie["mingjing_session=".len()..].split(';').next().unwrap();
        assert_eq!(token.len(), 64, "32 random bytes in hex");

        let (status, html) = browser.page("/").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("我的对照检查材料") && html.contains(&f.campaign.title), "{html}");
        assert!(html.contains("未开始") && html.contains("王建国"));
        assert!(html.contains(r#"action="/logout""#), "the header offers 退出");

        let by_phone = app.browser().login("13800000001", PASSWORD).await;
        assert_eq!((by_phone.status(), location(&by_phone)), (StatusCode::SEE_OTHER, "/"));

        let logins = app.audit("login").await;
        assert_eq!(logins.len(), 2);
        for entry in &logins {
            assert_eq!(entry.account_id.as_deref(), Some(f.member_a_account.id.as_str()));
            assert_eq!((entry.outcome.as_str(), entry.source_ip.as_deref()), ("ok", Some("127.0.0.1")));
        }
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer() {
    each_backend(|app: App| async move {
        let wrong = app.browser().login("wangjianguo", "Wrong@2025x").await;
        let unknown = app.browser().login("nobody", PASSWORD).await;
        assert!(session_cookie(&wrong).is_none() && session_cookie(&unknown).is_none());
        let (wrong_status, unknown_status) = (wrong.status(), unknown.status());
        let (wrong, unknown) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
        assert_eq!((wrong_status, unknown_status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
        assert_eq!(alert(&wrong), REFUSED, "{wrong}");
        assert_eq!(alert(&unknown), REFUSED, "{unknown}");
        assert!(wrong.contains(r#"value="wangjianguo""#), "the account is kept in the form");

        let failures = app.audit("login_failed").await;
        assert_eq!(failures.len(), 2);
        assert!(failures.iter().all(|e| e.outcome == "denied" && e.source_ip.as_deref() == Some("127.0.0.1")));
        assert!(failures.iter().any(|e| e.account_id.is_none()), "an unknown account names nobody");
        assert!(failures.iter().all(|e| e.target.is_none() && !e.detail.contains("nobody")), "typed text is not kept");
        assert!(app.audit("login").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn five_failures_lock_the_account_for_fifteen_minutes() {
    each_backend(|app: App| async move {
        let browser = app.browser();
        for attempt in 1..=4 {
            let html = browser.login("wangjianguo", "Wrong@2025x").await.text().await.unwrap();
            assert_eq!(alert(&html), REFUSED, "attempt {attempt}");
        }
        let fifth = browser.login("wangjianguo", "Wrong@2025x").await.text().await.unwrap();
        assert_eq!(alert(&fifth), "密码错误次数过多，账户已锁定，请 15 分钟后再试");
        let right_but_locked = browser.login("wangjianguo", PASSWORD).await;
        assert_eq!(right_but_locked.status(), StatusCode::UNAUTHORIZED);
        assert!(session_cookie(&right_but_locked).is_none());
        assert!(right_but_locked.text().await.unwrap().contains("请 15 分钟后再试"));

        app.advance_minutes(10);
        let html = browser.login("13800000001", PASSWORD).await.text().await.unwrap();
        assert_eq!(alert(&html), "密码错误次数过多，账户已锁定，请 5 分钟后再试", "by phone too");
        app.advance_minutes(5);
        let after = browser.login("wangjianguo", PASSWORD).await;
        assert_eq!((after.status(), location(&after)), (StatusCode::SEE_OTHER, "/"));
        let account = app.store.account(&app.fixture.member_a_account.id).await.unwrap();
        assert_eq!((account.failed_logins, account.locked_until), (0, None));

        // After a lock has run out, one more miss starts a new count rather than locking again at once.
        for _ in 0..4 {
            app.browser().login("lixiuying", "Wrong@2025x").await;
        }
        app.advance_minutes(1);
        let html = app.browser().login("lixiuying", "Wrong@2025x").await.text().await.unwrap();
        assert!(alert(&html).contains("已锁定"));
        app.advance_minutes(15);
        let html = app.browser().login("lixiuying", "Wrong@2025x").await.text().await.unwrap();
        assert_eq!(alert(&html), REFUSED);
        assert_eq!(app.audit("login_failed").await.len(), 5 + 2 + 6);
    })
    .await;
}

#[tokio::test]
async fn an_initial_password_must_be_changed_before_anything_else() {
    each_backend(|app: App| async move {
        let browser = app.browser();
        let login = browser.login("xinren", PASSWORD).await;
        assert_eq!((login.status(), location(&login)), (StatusCode::SEE_OTHER, "/password"));
        let first_cookie = session_cookie(&login).unwrap();
        for path in ["/", "/audit"] {
            let response = browser.get(path).await;
            assert_eq!((response.status(), location(&response)), (StatusCode::SEE_OTHER, "/password"), "{path}");
        }
        let htmx = browser.get_htmx("/").await;
        assert_eq!(htmx.headers().get("hx-redirect").unwrap(), "/password");
        let (status, html) = browser.page("/password").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("首次登录") && html.contains("至少 8 位"), "{html}");
        let token = form_token(&html).unwrap();

        let change = |current: &'static str, new: &'static str, confirm: &'static str| {
            let (browser, token) = (&browser, token.clone());
            async move {
                let fields = [("csrf", token.as_str()), ("current", current), ("new", new), ("confirm", confirm)];
                browser.post("/password", &fields).await
            }
        };
        for (current, new, confirm, message) in [
            (PASSWORD, "Qingshan@2026", "Qingshan@2027", "两次输入的新密码不一致"),
            (PASSWORD, "xinren2026", "xinren2026", "密码需包含大写字母、小写字母、数字、符号中的至少三类"),
            (PASSWORD, "Ab1!", "Ab1!", "密码至少需要 8 位"),
            (PASSWORD, PASSWORD, PASSWORD, "新密码不能与当前密码相同"),
            ("Wrong@2025x", "Qingshan@2026", "Qingshan@2026", "当前密码不正确"),
        ] {
            let response = change(current, new, confirm).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
            assert_eq!(alert(&response.text().await.unwrap()), message);
        }
        let done = change(PASSWORD, "Qingshan@2026", "Qingshan@2026").await;
        assert_eq!((done.status(), location(&done)), (StatusCode::SEE_OTHER, "/"));
        assert!(session_cookie(&done).is_some(), "a fresh session for this browser");
        let (status, html) = browser.page("/").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("尚未关联党员名册"), "a member account without a roster entry: {html}");

        let old_session = app.browser();
        let stale = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let cookie = first_cookie.split(';').next().unwrap().to_owned();
        let response = stale.get(format!("{}/", app.base)).header("cookie", cookie).send().await.unwrap();
        assert_eq!((response.status(), location(&response)), (StatusCode::SEE_OTHER, "/login"), "sessions revoked");
        assert_eq!(alert(&old_session.login("xinren", PASSWORD).await.text().await.unwrap()), REFUSED);
        let again = app.browser().login("xinren", "Qingshan@2026").await;
        assert_eq!(location(&again), "/");
        let changes = app.audit("password_change").await;
        assert_eq!(changes.iter().filter(|e| e.outcome == "ok").count(), 1);
        assert_eq!(changes.iter().filter(|e| e.outcome == "denied").count(), 1, "the wrong current password");
        assert!(changes.iter().all(|e| e.account_id.as_deref() == Some(app.fixture.newcomer.id.as_str())));
    })
    .await;
}

#[tokio::test]
async fn a_password_older_than_ninety_days_must_be_changed() {
    each_backend(|app: App| async move {
        // The fixture's passwords were set a day before the clock starts.
        app.clock.advance(Duration::from_millis(u64::try_from(88 * DAY_MS).unwrap()));
        let fresh_enough = app.browser().login("wangjianguo", PASSWORD).await;
        assert_eq!(location(&fresh_enough), "/");
        app.clock.advance(Duration::from_millis(u64::try_from(DAY_MS).unwrap()));
        let browser = app.browser();
        let login = browser.login("wangjianguo", PASSWORD).await;
        assert_eq!(location(&login), "/password");
        let (_, html) = browser.page("/password").await;
        assert!(html.contains("超过 90 天"), "{html}");
        assert_eq!(location(&browser.get("/").await), "/password");
    })
    .await;
}

#[tokio::test]
async fn an_idle_session_times_out_with_a_message() {
    each_backend(|app: App| async move {
        let browser = app.signed_in("shuji_a").await;
        for _ in 0..3 {
            // Each visit inside the idle timeout keeps the session alive.
            app.advance_minutes(29);
            assert_eq!(browser.get("/").await.status(), StatusCode::OK);
        }
        app.advance_minutes(30);
        let response = browser.get("/").await;
        assert_eq!((response.status(), location(&response)), (StatusCode::SEE_OTHER, "/login?expired=1"));
        let htmx = browser.get_htmx("/").await;
        assert_eq!(htmx.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(htmx.headers().get("hx-redirect").unwrap(), "/login?expired=1");
        let (status, html) = browser.page("/login?expired=1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("登录已超时，请重新登录"), "{html}");
        assert!(!browser.page("/login").await.1.contains("登录已超时"));
        let again = browser.login("shuji_a", PASSWORD).await;
        assert_eq!(location(&again), "/");
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_session_ends_at_the_absolute_timeout_however_busy() {
    let config = || Config { session_absolute_timeout: Duration::from_secs(3600), ..Config::default() };
    each_backend_with(config, |app: App| async move {
        let browser = app.signed_in("shuji_a").await;
        app.advance_minutes(29);
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
        app.advance_minutes(29);
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
        app.advance_minutes(3);
        assert_eq!(location(&browser.get("/").await), "/login?expired=1");
    })
    .await;
}

#[tokio::test]
async fn logout_revokes_the_session() {
    each_backend(|app: App| async move {
        let browser = app.browser();
        let login = browser.login("shuji_a", PASSWORD).await;
        let cookie = session_cookie(&login).unwrap().split(';').next().unwrap().to_owned();
        let token = browser.token("/").await;
        let out = browser.post("/logout", &[("csrf", &token)]).await;
        assert_eq!((out.status(), location(&out)), (StatusCode::SEE_OTHER, "/login"));
        let cleared = session_cookie(&out).expect("the cookie is cleared");
        assert!(cleared.starts_with("mingjing_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
        assert_eq!(location(&browser.get("/").await), "/login");

        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let replay = client.get(format!("{}/", app.base)).header("cookie", &cookie).send().await.unwrap();
        assert_eq!((replay.status(), location(&replay)), (StatusCode::SEE_OTHER, "/login"), "the old cookie is dead");
        let logouts = app.audit("logout").await;
        assert_eq!(logouts.len(), 1);
        assert_eq!(logouts[0].account_id.as_deref(), Some(app.fixture.secretary_a.id.as_str()));
    })
    .await;
}

#[tokio::test]
async fn posts_without_the_form_token_are_refused() {
    each_backend(|app: App| async move {
        let anonymous = app.browser();
        anonymous.token("/login").await;
        let no_token = anonymous.post("/login", &[("account", "wangjianguo"), ("password", PASSWORD)]).await;
        assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
        assert!(no_token.text().await.unwrap().contains("页面已过期，请刷新后重试"));
        let forged = anonymous.post("/login", &[("csrf", &"ab".repeat(32)), ("account", "wangjianguo")]).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);

        let browser = app.signed_in("wangjianguo").await;
        let pre_session_token = browser.token("/login").await;
        for (path, fields) in [
            ("/logout", vec![]),
            ("/logout", vec![("csrf", pre_session_token.as_str())]),
            ("/password", vec![("current", PASSWORD), ("new", "Wang@20260"), ("confirm", "Wang@20260")]),
        ] {
            let response = browser.post(path, &fields).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path} {fields:?}");
        }
        assert_eq!(browser.get("/").await.status(), StatusCode::OK, "still signed in");
        assert!(app.audit("login_failed").await.is_empty() && app.audit("logout").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_login_from_a_foreign_origin_is_refused() {
    each_backend(|app: App| async move {
        let browser = app.browser();
        let token = browser.token("/login").await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let cookie = format!("mingjing_csrf={token}");
        let response = client
            .post(format!("{}/login", app.base))
            .header("origin", "https://evil.example")
            .header("cookie", cookie)
            .form(&[("csrf", token.as_str()), ("account", "wangjianguo"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(session_cookie(&response).is_none());
        assert!(app.audit("login").await.is_empty(), "refused before the handler");
    })
    .await;
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_loses_its_sessions() {
    each_backend(|app: App| async move {
        let signed_in = app.signed_in("wangjianguo").await;
        let pool = sqlx::AnyPool::connect(&app.db_url).await.unwrap();
        sqlx::query("UPDATE accounts SET disabled = 1 WHERE login = $1")
            .bind("wangjianguo")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        assert_eq!(location(&signed_in.get("/").await), "/login");

        let wrong = app.browser().login("wangjianguo", "Wrong@2025x").await.text().await.unwrap();
        assert_eq!(alert(&wrong), REFUSED, "a guesser learns nothing");
        let right = app.browser().login("wangjianguo", PASSWORD).await;
        assert_eq!(right.status(), StatusCode::UNAUTHORIZED);
        assert!(session_cookie(&right).is_none());
        assert_eq!(alert(&right.text().await.unwrap()), "账号已停用，请联系系统管理员");
    })
    .await;
}

#[tokio::test]
async fn only_the_auditor_reads_the_audit_log() {
    each_backend(|app: App| async move {
        let auditor = app.signed_in("shenji").await;
        let (status, home) = auditor.page("/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(home.contains(r#"href="/audit""#) && home.contains("审计日志"), "{home}");
        app.browser().login("nobody", PASSWORD).await;
        let (status, html) = auditor.page("/audit").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("<h1>审计日志</h1>") && html.contains("登录失败") && html.contains("孙审计（shenji）"));
        assert!(html.contains("127.0.0.1") && html.contains("2026-01-01 00:00:00"), "Beijing time: {html}");
        assert!(!html.contains("<form method=\"post\" action=\"/audit"), "read-only");

        for login in ["wangjianguo", "shuji_a", "gongwei", "xitong"] {
            let browser = app.signed_in(login).await;
            let (status, html) = browser.page("/audit").await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
            assert!(html.contains("您没有权限访问这里"));
        }
        assert_eq!(location(&app.browser().get("/audit").await), "/login");
        let views = app.audit("view_audit").await;
        assert_eq!(views.iter().filter(|e| e.outcome == "ok").count(), 1);
        assert_eq!(views.iter().filter(|e| e.outcome == "denied").count(), 4);
    })
    .await;
}

#[tokio::test]
async fn the_home_page_fits_the_role() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let (_, secretary) = app.signed_in("shuji_a").await.page("/").await;
        assert!(secretary.contains(&f.branch_a.name) && secretary.contains("本支部党员 1 名"), "{secretary}");
        assert!(secretary.contains(&f.campaign.title) && !secretary.contains(&f.branch_b.name));

        let (_, superior) = app.signed_in("gongwei").await.page("/").await;
        for org in [&f.committee, &f.branch_a, &f.branch_b] {
            assert!(superior.contains(&org.name), "{} in {superior}", org.name);
        }
        assert!(!superior.contains(&f.county.name), "only the subtree");

        let (_, admin) = app.signed_in("xitong").await.page("/").await;
        assert!(admin.contains("href=\"/accounts\"") && !admin.contains(&f.campaign.title));
    })
    .await;
}
