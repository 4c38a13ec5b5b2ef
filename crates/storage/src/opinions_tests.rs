use sqlx::Row;

use super::*;
use crate::testing::each_backend;
use crate::{Backend, Campaign, Member, NewCampaign, NewMember, Org, OrgKind, Standing};

struct Branch {
    org: Org,
    members: Vec<Member>,
    campaign: Campaign,
}

async fn branch(store: &Store) -> Result<Branch, StoreError> {
    let county = store.create_org(None, "某县", OrgKind::County, 0).await?;
    let org = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 0).await?;
    let mut members = Vec::new();
    for name in ["张三", "李四"] {
        let new = NewMember {
            org_id: &org.id,
            name,
            standing: Standing::Full,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
        };
        members.push(store.add_member(&new, 0).await?);
    }
    let campaign = store
        .create_campaign(&NewCampaign { org_id: &county.id, year: 2025, title: "t", notice: "", definition: "" }, 0)
        .await?;
    Ok(Branch { org, members, campaign })
}

const TOKEN: &str = "abcdefghijklmnopqrstuvwxyz234567abcd";

#[tokio::test]
async fn a_channel_reopens_with_its_first_token_and_refuses_opinions_while_closed() {
    each_backend(|store| async move {
        let b = branch(&store).await?;
        assert!(store.opinion_channel(&b.campaign.id, &b.org.id).await?.is_none());
        let channel = store.open_opinion_channel(&b.campaign.id, &b.org.id, TOKEN, 10).await?;
        assert!(channel.open);
        assert_eq!(store.opinion_channel_by_token(TOKEN).await?.as_ref(), Some(&channel));
        store.add_opinion(&channel.id, None, "支部会议要提前通知", "2026-01-01").await?;

        store.set_opinion_channel_open(&channel.id, false, 20).await?;
        let refused = store.add_opinion(&channel.id, None, "再提一条", "2026-01-01").await;
        assert!(matches!(refused, Err(StoreError::State(ref s)) if s == CHANNEL_CLOSED), "{refused:?}");
        assert!(matches!(store.add_opinion("nothing", None, "x", "2026-01-01").await, Err(StoreError::NotFound)));

        let again = store.open_opinion_channel(&b.campaign.id, &b.org.id, "another-token", 30).await?;
        assert_eq!((again.id.as_str(), again.token.as_str(), again.open), (channel.id.as_str(), TOKEN, true));
        assert!(store.opinion_channel_by_token("another-token").await?.is_none());
        assert_eq!(store.opinions_of_channel(&channel.id).await?.len(), 1, "nothing lost by closing");
        assert_eq!(store.opinion_channels_of(&b.campaign.id).await?.len(), 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn an_opinion_row_holds_its_addressee_text_and_day_only() {
    each_backend(|store| async move {
        let b = branch(&store).await?;
        let channel = store.open_opinion_channel(&b.campaign.id, &b.org.id, TOKEN, 10).await?;
        store.add_opinion(&channel.id, Some(&b.members[0].id), "下基层少", "2026-01-01").await?;
        let columns: Vec<String> = match store.backend() {
            Backend::Sqlite => sqlx::query("SELECT name FROM pragma_table_info('opinions') ORDER BY name")
                .fetch_all(store.pool())
                .await?
                .iter()
                .map(|r| r.try_get("name"))
                .collect::<Result<_, _>>()?,
            Backend::Postgres => sqlx::query(
                "SELECT column_name::text AS name FROM information_schema.columns \
                 WHERE table_name = 'opinions' ORDER BY column_name",
            )
            .fetch_all(store.pool())
            .await?
            .iter()
            .map(|r| r.try_get("name"))
            .collect::<Result<_, _>>()?,
        };
        assert_eq!(columns, ["body", "channel_id", "day", "id", "member_id"]);
        let row = sqlx::query("SELECT id, day FROM opinions").fetch_one(store.pool()).await?;
        let (id, day): (String, String) = (row.try_get("id")?, row.try_get("day")?);
        assert_eq!(day, "2026-01-01");
        // A UUIDv4 (version nibble 4), not a time-ordered v7 like every other id.
        assert_eq!((id.len(), id.as_bytes()[12]), (32, b'4'), "{id}");
        Ok(())
    })
    .await;
}

/// The bodies in the order a plain scan returns the rows (the order on disk), and the keys.
async fn scan(store: &Store) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let rows = sqlx::query("SELECT id, body FROM opinions").fetch_all(store.pool()).await?;
    let bodies = rows.iter().map(|r| r.try_get("body")).collect::<Result<_, _>>()?;
    let keys = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
    Ok((bodies, keys))
}

#[tokio::test]
async fn neither_keys_nor_row_order_nor_transactions_reveal_the_order_of_a_days_opinions() {
    each_backend(|store| async move {
        let b = branch(&store).await?;
        let channel = store.open_opinion_channel(&b.campaign.id, &b.org.id, TOKEN, 10).await?;
        let given: Vec<String> = (0..20).map(|i| format!("第{i:02}条意见")).collect();
        let mut previous_keys: Vec<String> = Vec::new();
        for body in &given {
            store.add_opinion(&channel.id, None, body, "2026-01-01").await?;
            let (_, keys) = scan(&store).await?;
            assert!(keys.iter().all(|k| !previous_keys.contains(k)), "every write renews every key of the day");
            previous_keys = keys;
        }
        let (on_disk, _) = scan(&store).await?;
        let mut sorted = on_disk.clone();
        sorted.sort();
        assert_eq!(sorted, given, "all kept");
        // 1 in 20! that a shuffle gives back the order they came in.
        assert_ne!(on_disk, given, "the order on disk is not the order given");
        let by_key: Vec<String> = store.opinions_of_channel(&channel.id).await?.into_iter().map(|o| o.body).collect();
        assert_ne!(by_key, given);
        if store.backend() == Backend::Postgres {
            let xmins = sqlx::query("SELECT COUNT(DISTINCT xmin::text) AS n FROM opinions")
                .fetch_one(store.pool())
                .await?
                .try_get::<i64, _>("n")?;
            assert_eq!(xmins, 1, "one transaction wrote all of the day's rows");
        }
        // Another day's opinion leaves the earlier day's rows alone.
        store.add_opinion(&channel.id, None, "次日的意见", "2026-01-02").await?;
        let (_, keys) = scan(&store).await?;
        assert_eq!(keys.iter().filter(|k| previous_keys.contains(k)).count(), 20);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn concurrent_opinions_are_all_kept_once() {
    each_backend(|store| async move {
        let b = branch(&store).await?;
        let channel = store.open_opinion_channel(&b.campaign.id, &b.org.id, TOKEN, 10).await?;
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let (store, id) = (store.clone(), channel.id.clone());
                tokio::spawn(async move { store.add_opinion(&id, None, &format!("意见{i}"), "2026-01-01").await })
            })
            .collect();
        for task in tasks {
            task.await.expect("no panic")?;
        }
        let mut bodies: Vec<String> =
            store.opinions_of_channel(&channel.id).await?.into_iter().map(|o| o.body).collect();
        bodies.sort();
        let mut expected: Vec<String> = (0..12).map(|i| format!("意见{i}")).collect();
        expected.sort();
        assert_eq!(bodies, expected);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn opinions_about_a_member_stay_in_their_campaign() {
    each_backend(|store| async move {
        let b = branch(&store).await?;
        let (zhang, li) = (&b.members[0].id, &b.members[1].id);
        let channel = store.open_opinion_channel(&b.campaign.id, &b.org.id, TOKEN, 10).await?;
        store.add_opinion(&channel.id, Some(zhang), "对张三的意见", "2026-01-01").await?;
        store.add_opinion(&channel.id, Some(li), "对李四的意见", "2026-01-01").await?;
        store.add_opinion(&channel.id, None, "对支部委员会的意见", "2026-01-01").await?;
        let about = store.opinions_about(&b.campaign.id, zhang).await?;
        assert_eq!(about.len(), 1);
        assert_eq!(about[0].body, "对张三的意见");
        assert_eq!(about[0].member_id.as_deref(), Some(zhang.as_str()));
        let other = store
            .create_campaign(&NewCampaign { org_id: &b.org.id, year: 2026, title: "u", notice: "", definition: "" }, 0)
            .await?;
        assert!(store.opinions_about(&other.id, zhang).await?.is_empty());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_threshold_defaults_to_five_and_never_goes_below_three() {
    each_backend(|store| async move {
        let b = branch(&store).await?;
        assert_eq!(store.opinion_threshold(&b.campaign.id).await?, DEFAULT_OPINION_THRESHOLD);
        store.set_opinion_threshold(&b.campaign.id, 3, 1).await?;
        assert_eq!(store.opinion_threshold(&b.campaign.id).await?, 3);
        let refused = store.set_opinion_threshold(&b.campaign.id, 2, 2).await;
        assert!(matches!(refused, Err(StoreError::State(ref s)) if s == THRESHOLD_TOO_LOW));
        store.set_opinion_threshold(&b.campaign.id, 8, 3).await?;
        assert_eq!(store.opinion_threshold(&b.campaign.id).await?, 8);
        // The database refuses it too, whoever writes.
        let direct = sqlx::query("UPDATE campaign_opinion_settings SET threshold = 2").execute(store.pool()).await;
        assert!(direct.is_err());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_summary_is_never_overwritten_unseen() {
    each_backend(|store| async move {
        let b = branch(&store).await?;
        let zhang = &b.members[0].id;
        assert!(store.opinion_summary(&b.campaign.id, zhang).await?.is_none());
        assert_eq!(store.save_opinion_summary(&b.campaign.id, zhang, 0, "群众希望多下基层", 1).await?, 1);
        assert!(matches!(
            store.save_opinion_summary(&b.campaign.id, zhang, 0, "另一个窗口", 2).await,
            Err(StoreError::Stale)
        ));
        assert_eq!(store.save_opinion_summary(&b.campaign.id, zhang, 1, "改过的", 3).await?, 2);
        let stored = store.opinion_summary(&b.campaign.id, zhang).await?.expect("saved");
        assert_eq!((stored.body.as_str(), stored.version), ("改过的", 2));
        assert_eq!(store.opinion_summaries(&b.campaign.id, &b.org.id).await?, vec![stored]);
        Ok(())
    })
    .await;
}
