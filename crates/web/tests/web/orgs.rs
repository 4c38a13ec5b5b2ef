//! The organization tree and the rosters through the browser, on both backends: the superior admin creates, renames,
//! moves and dissolves organizations inside their subtree; the secretary keeps their branch's roster; everyone else
//! is refused.

use reqwest::StatusCode;

use crate::helpers::{App, each_backend};

/// The id in the `/orgs/…` link just before `name` on a page.
fn org_link_after(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!(">{name}<"))?;
    let start = html[..at].rfind("href=\"/orgs/")? + "href=\"/orgs/".len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}

#[tokio::test]
async fn the_superior_admin_reshapes_the_tree_inside_their_subtree() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let admin = app.signed_in("gongwei").await;
        let (status, tree) = admin.page("/orgs").await;
        assert_eq!(status, StatusCode::OK, "{tree}");
        assert!(
            tree.contains("县直机关工委") && tree.contains("县政务服务中心党支部") && tree.contains("县财政局党支部")
        );
        assert!(tree.contains("<ul class=\"item-list\">"), "nested lists: {tree}");
        assert!(!tree.contains("示范县委所属"), "the county is above the admin");
        let token = admin.token("/orgs").await;

        // Create a general branch under the committee, and a branch under it.
        let committee = format!("/orgs/{}", f.committee.id);
        let created = admin
            .post(
                &format!("{committee}/children"),
                &[("csrf", &token), ("name", "机关总支"), ("kind", "general_branch")],
            )
            .await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let (_, page) = admin.page(&committee).await;
        let general = org_link_after(&page, "机关总支").expect("the new general branch is listed");
        let general_path = format!("/orgs/{general}");
        admin
            .post(
                &format!("{general_path}/children"),
                &[("csrf", &token), ("name", "机关第三党支部"), ("kind", "branch")],
            )
            .await;
        let (_, page) = admin.page(&general_path).await;
        let third = org_link_after(&page, "机关第三党支部").expect("the new branch is listed");

        // Never under its own descendant.
        let refused = admin.post(&format!("{general_path}/move"), &[("csrf", &token), ("parent", &third)]).await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        assert!(refused.text().await.unwrap().contains("不能把组织移到它自己或它的下级组织之下"));
        // Never outside the admin's subtree: the county is out of reach, so it is a 404.
        let outside = admin.post(&format!("{general_path}/move"), &[("csrf", &token), ("parent", &f.county.id)]).await;
        assert_eq!(outside.status(), StatusCode::NOT_FOUND);

        // Move the general branch (with its branch) under branch A's parent's other child: branch B.
        let moved = admin.post(&format!("{general_path}/move"), &[("csrf", &token), ("parent", &f.branch_b.id)]).await;
        assert_eq!(moved.status(), StatusCode::SEE_OTHER);
        let third_org = app.store.org(&third).await.unwrap();
        assert!(third_org.path.starts_with(&f.branch_b.path), "the whole subtree moved: {}", third_org.path);

        let renamed =
            admin.post(&format!("/orgs/{third}/rename"), &[("csrf", &token), ("name", "机关第四党支部")]).await;
        assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.store.org(&third).await.unwrap().name, "机关第四党支部");

        // Dissolving needs an empty organization without live children.
        let busy = admin.post(&format!("/orgs/{}/dissolve", f.branch_a.id), &[("csrf", &token)]).await;
        assert_eq!(busy.status(), StatusCode::CONFLICT);
        assert!(busy.text().await.unwrap().contains("该组织还有党员，不能撤销"));
        let parent = admin.post(&format!("{general_path}/dissolve"), &[("csrf", &token)]).await;
        assert!(parent.text().await.unwrap().contains("还有下级组织"));
        let gone = admin.post(&format!("/orgs/{third}/dissolve"), &[("csrf", &token)]).await;
        assert_eq!(gone.status(), StatusCode::SEE_OTHER);
        let (_, tree) = admin.page("/orgs").await;
        assert!(!tree.contains("机关第四党支部"));
        assert_eq!(admin.page(&format!("/orgs/{third}")).await.0, StatusCode::NOT_FOUND);

        // The admin's own root belongs to the level above.
        let own = admin.post(&format!("{committee}/dissolve"), &[("csrf", &token)]).await;
        assert_eq!(own.status(), StatusCode::FORBIDDEN);
        for action in ["org.create", "org.move", "org.rename", "org.dissolve"] {
            assert!(!app.audit(action).await.is_empty(), "{action} is audited");
        }
    })
    .await;
}

#[tokio::test]
async fn the_secretary_keeps_the_branch_roster_with_id_numbers_masked() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let secretary = app.signed_in("shuji_a").await;
        let branch = format!("/orgs/{}", f.branch_a.id);
        let (status, page) = secretary.page(&branch).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("王建国") && !page.contains("调整组织"), "no structural changes for a secretary");
        let token = secretary.token(&branch).await;

        let form = |name: &'static str, id: &'static str| {
            vec![
                ("csrf", token.clone()),
                ("name", name.to_owned()),
                ("standing", "probationary".to_owned()),
                ("joined_on", "2024年7月1日".to_owned()),
                ("post", "科员".to_owned()),
                ("phone", "13800000009".to_owned()),
                ("id_number", id.to_owned()),
            ]
        };
        let bad = form("赵新", "110105194912310021");
        let refused = secretary.post(&format!("{branch}/members"), &as_refs(&bad)).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let html = refused.text().await.unwrap();
        assert!(html.contains("校验位不正确") && html.contains("赵新"), "the form comes back with the error: {html}");

        let good = form("赵新", "11010519491231002X");
        let added = secretary.post(&format!("{branch}/members"), &as_refs(&good)).await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        let (_, page) = secretary.page(&branch).await;
        assert!(page.contains("1101**********002X") && !page.contains("11010519491231002X"), "{page}");
        assert!(page.contains("预备党员") && page.contains("2024-07-01"));
        let member =
            app.store.members_of(&f.branch_a.id).await.unwrap().into_iter().find(|m| m.name == "赵新").unwrap();
        assert_eq!((member.birth_date.as_deref(), member.gender.as_deref()), (Some("1949-12-31"), Some("女")));

        // The same ID number twice is refused with a message.
        let twice = secretary.post(&format!("{branch}/members"), &as_refs(&good)).await;
        assert!(twice.text().await.unwrap().contains("这个身份证号已在党员名册上"));

        // Editing keeps the stored ID number when the field is left empty.
        let edit = format!("/members/{}/edit", member.id);
        let (status, page) = secretary.page(&edit).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("1101**********002X") && !page.contains("11010519491231002X"));
        let mut change = form("赵新", "");
        change[2].1 = "full".to_owned();
        let saved = secretary.post(&edit, &as_refs(&change)).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let member = app.store.member(&member.id).await.unwrap();
        assert_eq!(member.id_number.as_deref(), Some("11010519491231002X"));
        assert_eq!(member.standing, mingjing_storage::Standing::Full);

        // Another branch's roster and members are out of reach, like ids that do not exist.
        assert_eq!(secretary.page(&format!("/orgs/{}", f.branch_b.id)).await.0, StatusCode::NOT_FOUND);
        assert_eq!(secretary.page(&format!("/members/{}/edit", f.member_b.id)).await.0, StatusCode::NOT_FOUND);
        let foreign = secretary.post(&format!("/orgs/{}/members", f.branch_b.id), &as_refs(&good)).await;
        assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
        let child = secretary
            .post(&format!("{branch}/children"), &[("csrf", &token), ("name", "第一党小组"), ("kind", "group")])
            .await;
        assert_eq!(child.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn members_the_auditor_and_the_system_admin_get_no_organization_pages() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let pages =
            ["/orgs".to_owned(), format!("/orgs/{}", f.branch_a.id), format!("/members/{}/edit", f.member_a.id)];
        for login in ["wangjianguo", "shenji", "xitong"] {
            let browser = app.signed_in(login).await;
            for page in &pages {
                assert_eq!(browser.page(page).await.0, StatusCode::FORBIDDEN, "{login} {page}");
            }
            let token = browser.token("/").await;
            let post = browser.post(&format!("/orgs/{}/dissolve", f.branch_b.id), &[("csrf", &token)]).await;
            assert_eq!(post.status(), StatusCode::FORBIDDEN, "{login}");
        }
        assert!(app.store.org(&f.branch_b.id).await.is_ok_and(|o| !o.dissolved));
    })
    .await;
}
