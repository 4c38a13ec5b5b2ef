//! The `asvs` password profile through the real server on both backends: common passwords refused with the rule
//! in Chinese, a long passphrase accepted, no forced rotation, and the account pages describing the active rules.

use mingjing_web::{Config, PasswordPolicy};
use reqwest::StatusCode;
use std::time::Duration;

use crate::helpers::{App, DAY_MS, PASSWORD, each_backend_with, form_token, location};

const COMMON: &str = "这个密码太常见或容易被猜到（如常用密码、键盘顺序、重复或连续的字符），请换一句更长、不常见的话";
const PASSPHRASE: &str = "我们支部的组织生活会 每年冬天在村委会二楼开";

fn asvs() -> Config {
    Config { password_policy: PasswordPolicy::Asvs, ..Config::default() }
}

/// The text of the page's error box.
fn alert(html: &str) -> &str {
    const OPENING: &str = r#"class="alert alert-error" role="alert">"#;
    let start = html.find(OPENING).map_or(0, |i| i + OPENING.len());
    let end = start + html[start..].find('<').unwrap_or(0);
    &html[start..end]
}

#[tokio::test]
async fn asvs_refuses_common_passwords_and_takes_a_long_chinese_passphrase() {
    each_backend_with(asvs, |app: App| async move {
        let browser = app.browser();
        assert_eq!(location(&browser.login("xinren", PASSWORD).await), "/password");
        let (_, html) = browser.page("/password").await;
        assert!(html.contains("至少 12 位") && html.contains("无需定期更换"), "the asvs rules are shown: {html}");
        assert!(!html.contains("至少三类"), "no composition rule under asvs: {html}");
        let token = form_token(&html).unwrap();
        let change = |new: &'static str| {
            let (browser, token) = (&browser, token.clone());
            async move {
                let fields = [("csrf", token.as_str()), ("current", PASSWORD), ("new", new), ("confirm", new)];
                browser.post("/password", &fields).await
            }
        };
        for (new, message) in [
            ("password1234", COMMON),
            ("qwertyuiop123", COMMON),
            ("Ab1!Ab1!x", "密码至少需要 12 位（可以使用空格和汉字，建议用一句好记的话）"),
            ("xinren 的密码一定要很长很长", "密码不能包含账号或手机号"),
        ] {
            let response = change(new).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{new}");
            assert_eq!(alert(&response.text().await.unwrap()), message, "{new}");
        }
        let done = change(PASSPHRASE).await;
        assert_eq!((done.status(), location(&done)), (StatusCode::SEE_OTHER, "/"));
        assert_eq!(location(&app.browser().login("xinren", PASSPHRASE).await), "/");
    })
    .await;
}

#[tokio::test]
async fn asvs_forces_no_rotation_after_ninety_days() {
    each_backend_with(asvs, |app: App| async move {
        // The fixture's passwords were set a day before the clock starts: 92 days old after this.
        app.clock.advance(Duration::from_millis(u64::try_from(91 * DAY_MS).unwrap()));
        let browser = app.browser();
        assert_eq!(location(&browser.login("wangjianguo", PASSWORD).await), "/");
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
        // An initial password must still be changed.
        assert_eq!(location(&app.browser().login("xinren", PASSWORD).await), "/password");
    })
    .await;
}

#[tokio::test]
async fn the_reset_page_tells_the_active_rules() {
    each_backend_with(asvs, |app: App| async move {
        let admin = app.signed_in("xitong").await;
        let page = format!("/accounts/{}", app.fixture.member_b_account.id);
        let token = admin.token(&page).await;
        let reset = admin.post(&format!("{page}/password"), &[("csrf", &token)]).await;
        assert_eq!(reset.status(), StatusCode::OK);
        let html = reset.text().await.unwrap();
        assert!(html.contains("新密码的要求：至少 12 位"), "{html}");
    })
    .await;
}
