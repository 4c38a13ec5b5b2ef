//! A material's whole path through the browser, on both backends: written and
//! submitted by a member, reviewed by the engine against a colleague's, shown to the
//! secretary with the findings marked, returned with a comment, revised, approved; and
//! never shown to anyone outside its branch's line.

use mingjing_storage::NewCampaign;
use reqwest::StatusCode;

use crate::helpers::{App, START_MS, each_backend, form_token, location};

const EXAMPLE: &str = include_str!("../../../../examples/material-2021-county.txt");

/// The first `/materials/…` link on a page.
fn material_link(html: &str) -> Option<String> {
    let start = html.find("href=\"/materials/")? + "href=\"".len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}

fn version(html: &str) -> String {
    let start = html.find("name=\"version\" value=\"").map(|i| i + "name=\"version\" value=\"".len()).unwrap_or(0);
    html[start..].split('"').next().unwrap_or("0").to_owned()
}

#[tokio::test]
async fn from_first_draft_to_approval_with_the_review_marked() {
    each_backend(|app: App| async move {
        let f = &app.fixture;
        let definition =
            toml::to_string(&mingjing_review::Campaign::builtin("2021-county").expect("built in")).expect("toml");
        let new = NewCampaign {
            org_id: &f.county.id,
            year: 2021,
            title: "2021年度组织生活会",
            notice: "",
            definition: &definition,
        };
        let campaign = app.store.create_campaign(&new, START_MS).await.expect("campaign");
        // A colleague in another branch has submitted the same text.
        let colleague = app
            .store
            .start_material(&campaign.id, &f.member_b.id, "member", EXAMPLE, &f.member_b_account.id, START_MS)
            .await
            .expect("colleague's material");
        app.store.submit_material(&colleague.id, 1, START_MS).await.expect("submitted");

        let member = app.signed_in("wangjianguo").await;
        let page = format!("/campaigns/{}", campaign.id);
        let (status, html) = member.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("我的对照检查材料") && html.contains("学懂弄通"), "the aspects are listed");
        let token = form_token(&html).expect("form token");
        let saved = member
            .post(
                &format!("{page}/material"),
                &[("csrf", &token), ("version", "0"), ("body", "初稿"), ("action", "save")],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let (_, html) = member.page(&page).await;
        assert_eq!(version(&html), "1");
        let submitted = member
            .post(
                &format!("{page}/material"),
                &[("csrf", &token), ("version", "1"), ("body", EXAMPLE), ("action", "submit")],
            )
            .await;
        assert_eq!(submitted.status(), StatusCode::SEE_OTHER, "{}", submitted.text().await.unwrap_or_default());
        let again = member
            .post(
                &format!("{page}/material"),
                &[("csrf", &token), ("version", "2"), ("body", EXAMPLE), ("action", "submit")],
            )
            .await;
        assert_eq!(again.status(), StatusCode::CONFLICT, "a double submit is refused");
        assert!(again.text().await.unwrap_or_default().contains("已经提交"));

        let secretary = app.signed_in("shuji_a").await;
        let (status, list) = secretary.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(list.contains("王建国") && list.contains("已提交"), "{list}");
        assert!(!list.contains("李秀英"), "another branch's member is not listed");
        let material = material_link(&list).expect("a link to the material");
        let (status, html) = secretary.page(&material).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("<mark class=\"repeat\""), "the repeated statement is marked");
        assert!(
            html.contains("class=\"copy") && html.contains("与李秀英的材料相同"),
            "the copied passage names its source"
        );
        assert!(html.contains("检视方面覆盖 5/5"), "{html}");

        let token = form_token(&html).expect("form token");
        let refused = secretary
            .post(&format!("{material}/decision"), &[("csrf", &token), ("version", "2"), ("decision", "return")])
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "returning needs a comment");
        let returned = secretary
            .post(
                &format!("{material}/decision"),
                &[
                    ("csrf", &token),
                    ("version", "2"),
                    ("decision", "return"),
                    ("comment", "请用自己的话写，问题要具体"),
                ],
            )
            .await;
        assert_eq!(returned.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&returned), material);

        let (_, html) = member.page(&page).await;
        assert!(html.contains("请用自己的话写") && html.contains("已退回"), "{html}");
        let revised = member
            .post(
                &format!("{page}/material"),
                &[
                    ("csrf", &form_token(&html).expect("token")),
                    ("version", "2"),
                    ("body", "修改后的材料。"),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(revised.status(), StatusCode::SEE_OTHER);

        let (_, html) = secretary.page(&material).await;
        let approved = secretary
            .post(
                &format!("{material}/decision"),
                &[("csrf", &form_token(&html).expect("token")), ("version", "3"), ("decision", "approve")],
            )
            .await;
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        let (_, html) = member.page(&page).await;
        assert!(html.contains("已通过"), "{html}");

        let outsider = app.signed_in("lixiuying").await;
        assert_eq!(outsider.page(&material).await.0, StatusCode::NOT_FOUND, "another branch's member");
        let denied = app.audit("access_denied").await;
        assert!(
            denied
                .iter()
                .any(|e| e.target.as_deref() == Some(&format!("material:{}", &material["/materials/".len()..])[..])),
            "the refusal is audited"
        );
        let views = app.audit("view_material").await;
        assert!(views.iter().any(|e| e.outcome == "ok"), "the secretary's views are audited");
    })
    .await;
}
