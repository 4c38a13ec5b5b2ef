//! Account management by the system admin, on both backends: create with an initial password shown once, reset,
//! disable, enable, change role; each audited (ending sessions is the security admin's, tests/web/security.rs). Nobody else reaches it, and the system admin still
//! reaches no material (三员分立).

use mingjing_storage::Role;
use reqwest::StatusCode;

use crate::helpers::{App, Browser, PASSWORD, each_backend, location};

/// The initial password on a "shown once" page.
fn shown_password(html: &str) -> String {
    let start = html.find("<code>").expect("a password") + "<code>".len();
    html[start..start + html[start..].find('<').expect("its end")].to_owned()
}

#[tokio::test]
async fn the_system_admin_manages_accounts_and_every_change_is_audited() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let admin = app.signed_in("xitong").await;
        let (status, list) = admin.page("/accounts").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(list.contains("shuji_a") && list.contains("gongwei") && list.contains("shenji"));
        let (_, filtered) = admin.page("/accounts?role=secretary").await;
        assert!(filtered.contains("shuji_a") && !filtered.contains("gongwei"));
        let (_, by_org) = admin.page(&format!("/accounts?org={}", f.branch_b.id)).await;
        assert!(by_org.contains("lixiuying") && !by_org.contains("shuji_a"));

        let token = admin.token("/accounts").await;
        let created = admin
            .post(
                "/accounts",
                &[
                    ("csrf", &token),
                    ("login", "zuzhi_b"),
                    ("display_name", "钱组织"),
                    ("phone", "13900000002"),
                    ("role", "secretary"),
                    ("org", &f.branch_b.id),
                ],
            )
            .await;
        assert_eq!(created.status(), StatusCode::OK);
        assert_eq!(created.headers().get("cache-control").unwrap(), "no-store");
        let password = shown_password(&created.text().await.unwrap());
        let account = app.store.account_by_login("zuzhi_b").await.unwrap().expect("created");
        assert!(account.must_change_password);

        // The new secretary signs in with it and must change it first.
        let newcomer = Browser::new(&app.base);
        assert_eq!(newcomer.login("zuzhi_b", &password).await.status(), StatusCode::SEE_OTHER);
        let home = newcomer.get("/").await;
        assert_eq!(location(&home), "/password");

        let duplicate = admin
            .post(
                "/accounts",
                &[
                    ("csrf", &token),
                    ("login", "zuzhi_b"),
                    ("display_name", "又一个"),
                    ("role", "member"),
                    ("org", &f.branch_b.id),
                ],
            )
            .await;
        assert_eq!(duplicate.status(), StatusCode::CONFLICT);

        // Reset: the old password stops working and the signed-in session ends.
        let page = format!("/accounts/{}", account.id);
        let reset = admin.post(&format!("{page}/password"), &[("csrf", &token)]).await;
        let fresh = shown_password(&reset.text().await.unwrap());
        assert_ne!(fresh, password);
        assert_eq!(newcomer.get("/password").await.status(), StatusCode::SEE_OTHER, "signed out");
        assert_ne!(Browser::new(&app.base).login("zuzhi_b", &password).await.status(), StatusCode::SEE_OTHER);

        // Change role and organization, link a member.
        let changed = admin
            .post(
                &page,
                &[
                    ("csrf", &token),
                    ("display_name", "钱组织"),
                    ("phone", "13900000002"),
                    ("role", "member"),
                    ("org", &f.branch_b.id),
                    ("member", &f.member_b.id),
                ],
            )
            .await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        let account = app.store.account(&account.id).await.unwrap();
        assert_eq!(account.role, mingjing_storage::Role::Member);
        assert_eq!(account.member_id.as_deref(), Some(f.member_b.id.as_str()));
        let wrong_member = admin
            .post(
                &page,
                &[
                    ("csrf", &token),
                    ("display_name", "钱"),
                    ("role", "member"),
                    ("org", &f.branch_b.id),
                    ("member", &f.member_a.id),
                ],
            )
            .await;
        assert_eq!(wrong_member.status(), StatusCode::BAD_REQUEST);

        // Disable ends the sessions of the account; enable lets it in again.
        let secretary = app.signed_in("shuji_a").await;
        let target = format!("/accounts/{}", f.secretary_a.id);
        assert_eq!(admin.post(&format!("{target}/disable"), &[("csrf", &token)]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(secretary.get("/").await.status(), StatusCode::SEE_OTHER, "signed out");
        assert_ne!(Browser::new(&app.base).login("shuji_a", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(admin.post(&format!("{target}/enable"), &[("csrf", &token)]).await.status(), StatusCode::SEE_OTHER);
        app.signed_in("shuji_a").await;

        for action in
            ["account.create", "account.reset_password", "account.change", "account.disable", "account.enable"]
        {
            let entries = app.audit(action).await;
            assert!(
                entries.iter().any(|e| e.account_id.as_deref() == Some(f.system_admin.id.as_str())),
                "{action} is audited"
            );
        }
        let logged = app.audit("account.reset_password").await;
        assert!(logged.iter().all(|e| !e.detail.contains(&fresh)), "the password itself is never logged");
    })
    .await;
}

#[tokio::test]
async fn nobody_but_the_system_admin_reaches_accounts_and_the_system_admin_reaches_no_material() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let account = format!("/accounts/{}", f.member_a_account.id);
        for login in ["gongwei", "shuji_a", "wangjianguo", "shenji", "anquan"] {
            let browser = app.signed_in(login).await;
            assert_eq!(browser.page("/accounts").await.0, StatusCode::FORBIDDEN, "{login}");
            assert_eq!(browser.page(&account).await.0, StatusCode::FORBIDDEN, "{login}");
            let token = browser.token("/").await;
            let post = browser.post(&format!("{account}/disable"), &[("csrf", &token)]).await;
            assert_eq!(post.status(), StatusCode::FORBIDDEN, "{login}");
        }
        assert!(!app.store.account(&f.member_a_account.id).await.unwrap().disabled);

        let material = app
            .store
            .start_material(&f.campaign.id, &f.member_a.id, "member", "一、存在的主要问题", &f.member_a_account.id, 0)
            .await
            .unwrap();
        let admin = app.signed_in("xitong").await;
        assert_eq!(admin.page(&format!("/campaigns/{}", f.campaign.id)).await.0, StatusCode::FORBIDDEN);
        assert_eq!(admin.page(&format!("/materials/{}", material.id)).await.0, StatusCode::NOT_FOUND);
        assert_eq!(admin.page("/audit").await.0, StatusCode::FORBIDDEN);
        assert_eq!(admin.page("/orgs").await.0, StatusCode::FORBIDDEN);
        let (_, home) = admin.page("/").await;
        assert!(home.contains("href=\"/accounts\""), "the home page links account management");
    })
    .await;
}

#[tokio::test]
async fn a_long_account_list_is_searched_and_paged() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        for i in 0..120 {
            let login = format!("dangyuan{i:03}");
            let new = mingjing_storage::NewAccount {
                login: &login,
                phone: None,
                display_name: "批量党员",
                role: mingjing_storage::Role::Member,
                org_id: &f.branch_b.id,
                member_id: None,
                password_hash: "h",
                must_change_password: true,
            };
            app.store.create_account(&new, 0).await.expect("account");
        }
        let admin = app.signed_in("xitong").await;
        let (_, first) = admin.page("/accounts?role=member").await;
        assert!(
            first.contains("第 1/3 页") && first.contains("dangyuan000") && !first.contains("dangyuan060"),
            "{first}"
        );
        assert!(first.contains("href=\"?role=member&#38;page=2\""), "the next page keeps the filter: {first}");
        let (_, third) = admin.page("/accounts?role=member&page=3").await;
        assert!(third.contains("第 3/3 页") && !third.contains("dangyuan000") && !third.contains(">下一页<"));
        let (_, found) = admin.page("/accounts?q=DANGYUAN11").await;
        assert!(
            found.contains("共 10 个账号") && found.contains("dangyuan119") && !found.contains("shuji_a"),
            "{found}"
        );
        let (_, by_name) = admin.page("/accounts?q=%E6%89%B9%E9%87%8F").await;
        assert!(by_name.contains("共 120 个账号"), "by name");
        let (status, odd) = admin.page("/accounts?page=abc&q=%25_").await;
        assert_eq!(status, StatusCode::OK, "a page number that is not one shows the first page");
        assert!(odd.contains("共 0 个账号"), "LIKE's wildcards are searched for literally");
    })
    .await;
}

#[tokio::test]
async fn the_system_admin_can_neither_grant_nor_touch_the_three_administrators() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let admin = app.signed_in("xitong").await;
        let (_, list) = admin.page("/accounts").await;
        let form = &list[list.find("<select id=\"role\"").expect("the create form's roles")..];
        let form = &form[..form.find("</select>").expect("its end")];
        assert!(form.contains("secretary") && !form.contains("security_admin") && !form.contains("auditor"), "{form}");
        let token = admin.token("/accounts").await;

        // A forged form asking for an administrator's role: refused, nothing created.
        for role in ["security_admin", "auditor", "system_admin"] {
            let created = admin
                .post(
                    "/accounts",
                    &[
                        ("csrf", &token),
                        ("login", "jianquan"),
                        ("display_name", "假安全"),
                        ("role", role),
                        ("org", &f.county.id),
                    ],
                )
                .await;
            assert_eq!(created.status(), StatusCode::BAD_REQUEST, "{role}");
            assert!(created.text().await.expect("body").contains("mingjing admin"));
        }
        assert!(app.store.account_by_login("jianquan").await.expect("query").is_none());

        // Nor can a secretary be made one.
        let secretary = format!("/accounts/{}", f.secretary_a.id);
        let promoted = admin
            .post(
                &secretary,
                &[("csrf", &token), ("display_name", "陈书记"), ("role", "auditor"), ("org", &f.branch_a.id)],
            )
            .await;
        assert_eq!(promoted.status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.store.account(&f.secretary_a.id).await.expect("read").role, Role::Secretary);

        // The security admin's account is shown without forms; a forged reset, change or disable is refused.
        let security = format!("/accounts/{}", f.security_admin.id);
        let (status, html) = admin.page(&security).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("三员分立") && !html.contains("/password\"") && !html.contains("停用账号"), "{html}");
        let before = app.store.account(&f.security_admin.id).await.expect("read");
        let reset = admin.post(&format!("{security}/password"), &[("csrf", &token)]).await;
        assert_eq!(reset.status(), StatusCode::BAD_REQUEST);
        let disabled = admin.post(&format!("{security}/disable"), &[("csrf", &token)]).await;
        assert_eq!(disabled.status(), StatusCode::BAD_REQUEST);
        let demoted = admin
            .post(&security, &[("csrf", &token), ("display_name", "郑安全"), ("role", "member"), ("org", &f.county.id)])
            .await;
        assert_eq!(demoted.status(), StatusCode::BAD_REQUEST);
        let after = app.store.account(&f.security_admin.id).await.expect("read");
        assert_eq!(after, before, "nothing changed");
        assert_eq!(Browser::new(&app.base).login("anquan", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let refused = app.audit("access_denied").await;
        assert!(refused.iter().filter(|e| e.detail.contains("三员")).count() >= 3, "{refused:?}");
    })
    .await;
}
