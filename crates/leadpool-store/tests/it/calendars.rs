//! Calendars: stored as the texts the domain parses, names unique within an organization,
//! exactly one default while any exist, and each team's calendar resolved from itself, its
//! ancestors, then the organization default.

use leadpool_domain::OrgId;
use leadpool_store::StoreError;
use leadpool_store::calendars::{IN_USE_BY_TEAM, NewCalendar, ONE_DEFAULT, StoredCalendar};
use leadpool_testkit::both_backends;

use crate::fixtures::{assert_conflict, assert_not_found, at, commit, read, seed, write};

/// A calendar open on weekdays in `zone`.
fn weekdays(name: &str, zone: &str) -> NewCalendar {
    NewCalendar {
        name: name.to_owned(),
        time_zone: zone.to_owned(),
        hours: "mon-fri 09:00-17:00".to_owned(),
        holidays: Vec::new(),
        is_default: false,
    }
}

/// The names of the organization's calendars that are marked default.
async fn defaults(db: &leadpool_testkit::TestStore, org: OrgId) -> Vec<String> {
    let mut tx = read(db).await;
    tx.calendars(org)
        .await
        .expect("listed")
        .into_iter()
        .filter(|c| c.is_default)
        .map(|c| c.name)
        .collect()
}

fn name(c: Option<StoredCalendar>) -> Option<String> {
    c.map(|c| c.name)
}

both_backends! {
    async fn a_calendar_is_stored_found_changed_and_deleted(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ny = tx
            .insert_calendar(
                acme.id(),
                &NewCalendar {
                    holidays: vec!["2026-12-24 09:00-12:00".into(), "2026-12-25".into()],
                    ..weekdays("New York", "America/New_York")
                },
                at(0),
            )
            .await
            .expect("the calendar is created");
        commit(tx).await;
        assert_eq!(
            (
                ny.org,
                ny.name.as_str(),
                ny.time_zone.as_str(),
                ny.hours.as_str(),
                ny.created_at
            ),
            (acme.id(), "New York", "America/New_York", "mon-fri 09:00-17:00", at(0))
        );
        assert_eq!(ny.holidays, ["2026-12-24 09:00-12:00", "2026-12-25"]);
        let domain = ny.to_calendar().expect("the stored texts build a calendar");
        assert_eq!(domain.holidays().len(), 2);
        assert_eq!(domain.week().to_string(), "mon-fri 09:00-17:00");

        let mut tx = write(&db).await;
        assert_eq!(tx.calendar(acme.id(), ny.id).await.expect("by id"), ny);
        assert_eq!(
            tx.calendar_by_name(acme.id(), "New York").await.expect("by name"),
            ny
        );
        assert_not_found(tx.calendar_by_name(acme.id(), "London").await);
        let changed = tx
            .update_calendar(&StoredCalendar {
                name: "East Coast".into(),
                hours: "mon-sat 08:00-20:00".into(),
                holidays: Vec::new(),
                ..ny.clone()
            })
            .await
            .expect("the calendar is changed");
        assert_eq!(
            (changed.name.as_str(), changed.hours.as_str(), changed.holidays.len(), changed.created_at),
            ("East Coast", "mon-sat 08:00-20:00", 0, at(0))
        );
        let london = tx
            .insert_calendar(acme.id(), &weekdays("London", "Europe/London"), at(1))
            .await
            .expect("a second calendar is created");
        assert_eq!(
            tx.calendars(acme.id()).await.expect("listed"),
            vec![changed.clone(), london.clone()]
        );
        tx.delete_calendar(acme.id(), london.id)
            .await
            .expect("an unused calendar is deleted");
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_not_found(tx.calendar(acme.id(), london.id).await);
        assert_eq!(tx.calendars(acme.id()).await.expect("listed"), vec![changed]);
    }
}

both_backends! {
    async fn a_calendar_name_is_a_conflict_on_calendars_name_key_within_one_organization_only(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        tx.insert_calendar(acme.id(), &weekdays("Office", "UTC"), at(0))
            .await
            .expect("acme's office calendar is created");
        let other = tx
            .insert_calendar(acme.id(), &weekdays("Weekend", "UTC"), at(0))
            .await
            .expect("a second calendar is created");
        tx.insert_calendar(beta.id(), &weekdays("Office", "UTC"), at(0))
            .await
            .expect("another organization may use the same name");
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_conflict(
            tx.insert_calendar(acme.id(), &weekdays("Office", "Europe/Paris"), at(1))
                .await,
            "calendars_name_key",
        );
        drop(tx);
        let mut tx = write(&db).await;
        assert_conflict(
            tx.update_calendar(&StoredCalendar {
                name: "Office".into(),
                ..other
            })
            .await,
            "calendars_name_key",
        );
    }
}

both_backends! {
    async fn an_organization_keeps_exactly_one_default_calendar_while_it_has_any(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        assert_eq!(tx.default_calendar(acme.id()).await.expect("read"), None);
        let first = tx
            .insert_calendar(acme.id(), &weekdays("First", "UTC"), at(0))
            .await
            .expect("created");
        assert!(first.is_default, "the first calendar is the default");
        let second = tx
            .insert_calendar(acme.id(), &weekdays("Second", "UTC"), at(0))
            .await
            .expect("created");
        assert!(!second.is_default);
        commit(tx).await;
        assert_eq!(defaults(&db, acme.id()).await, ["First"]);

        let mut tx = write(&db).await;
        let third = tx
            .insert_calendar(
                acme.id(),
                &NewCalendar {
                    is_default: true,
                    ..weekdays("Third", "UTC")
                },
                at(1),
            )
            .await
            .expect("created as the default");
        assert!(third.is_default);
        commit(tx).await;
        assert_eq!(defaults(&db, acme.id()).await, ["Third"]);

        let mut tx = write(&db).await;
        let second = tx
            .set_default_calendar(acme.id(), second.id)
            .await
            .expect("the default moves");
        assert!(second.is_default);
        assert_eq!(
            name(tx.default_calendar(acme.id()).await.expect("read")),
            Some("Second".into())
        );
        commit(tx).await;
        assert_eq!(defaults(&db, acme.id()).await, ["Second"]);

        let mut tx = write(&db).await;
        assert_conflict(tx.delete_calendar(acme.id(), second.id).await, ONE_DEFAULT);
        drop(tx);
        let mut tx = write(&db).await;
        tx.delete_calendar(acme.id(), first.id).await.expect("deleted");
        tx.delete_calendar(acme.id(), third.id).await.expect("deleted");
        tx.delete_calendar(acme.id(), second.id)
            .await
            .expect("the default goes as the last calendar");
        assert_eq!(tx.default_calendar(acme.id()).await.expect("read"), None);
        commit(tx).await;
    }
}

both_backends! {
    async fn a_team_works_by_its_own_calendar_else_its_nearest_ancestors_else_the_default(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let office = tx.insert_team(acme.id(), None, "Office", at(0)).await.expect("team");
        let sales = tx.insert_team(acme.id(), Some(office.id), "Sales", at(0)).await.expect("team");
        let inside = tx.insert_team(acme.id(), Some(sales.id), "Inside Sales", at(0)).await.expect("team");
        let support = tx.insert_team(acme.id(), None, "Support", at(0)).await.expect("team");
        assert_eq!(
            tx.calendar_for_team(acme.id(), inside.id).await.expect("resolved"),
            None,
            "no calendar at all"
        );
        let main = tx.insert_calendar(acme.id(), &weekdays("Main", "UTC"), at(0)).await.expect("created");
        let east = tx.insert_calendar(acme.id(), &weekdays("East", "America/New_York"), at(0)).await.expect("created");
        let west = tx.insert_calendar(acme.id(), &weekdays("West", "America/Los_Angeles"), at(0)).await.expect("created");
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_eq!(name(tx.calendar_for_team(acme.id(), inside.id).await.expect("resolved")), Some("Main".into()));
        tx.set_team_calendar(acme.id(), office.id, Some(east.id)).await.expect("office gets east");
        assert_eq!(tx.team_calendar_id(acme.id(), office.id).await.expect("read"), Some(east.id));
        assert_eq!(tx.team_calendar_id(acme.id(), inside.id).await.expect("read"), None);
        assert_eq!(name(tx.calendar_for_team(acme.id(), inside.id).await.expect("resolved")), Some("East".into()));
        tx.set_team_calendar(acme.id(), sales.id, Some(west.id)).await.expect("sales gets west");
        assert_eq!(name(tx.calendar_for_team(acme.id(), inside.id).await.expect("resolved")), Some("West".into()));
        assert_eq!(name(tx.calendar_for_team(acme.id(), office.id).await.expect("resolved")), Some("East".into()));
        assert_eq!(name(tx.calendar_for_team(acme.id(), support.id).await.expect("resolved")), Some("Main".into()));
        tx.set_team_calendar(acme.id(), inside.id, Some(main.id)).await.expect("inside names the default itself");
        assert_eq!(name(tx.calendar_for_team(acme.id(), inside.id).await.expect("resolved")), Some("Main".into()));
        tx.set_team_calendar(acme.id(), inside.id, None).await.expect("inside inherits again");
        tx.set_team_calendar(acme.id(), sales.id, None).await.expect("sales inherits again");
        assert_eq!(name(tx.calendar_for_team(acme.id(), inside.id).await.expect("resolved")), Some("East".into()));
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_conflict(tx.delete_calendar(acme.id(), east.id).await, IN_USE_BY_TEAM);
        drop(tx);
        let mut tx = read(&db).await;
        assert_eq!(tx.calendar_team_names(acme.id(), east.id).await.expect("read"), ["Office"]);
    }
}

both_backends! {
    async fn a_calendar_or_team_of_another_organization_is_never_reached(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let acme_cal = tx.insert_calendar(acme.id(), &weekdays("Main", "UTC"), at(0)).await.expect("created");
        let beta_cal = tx.insert_calendar(beta.id(), &weekdays("Main", "UTC"), at(0)).await.expect("created");
        let acme_team = tx.insert_team(acme.id(), None, "Sales", at(0)).await.expect("team");
        let beta_team = tx.insert_team(beta.id(), None, "Sales", at(0)).await.expect("team");
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_not_found(tx.calendar(beta.id(), acme_cal.id).await);
        assert_not_found(tx.set_default_calendar(beta.id(), acme_cal.id).await);
        assert_not_found(tx.delete_calendar(beta.id(), acme_cal.id).await);
        assert_not_found(tx.set_team_calendar(beta.id(), beta_team.id, Some(acme_cal.id)).await);
        assert_not_found(tx.set_team_calendar(beta.id(), acme_team.id, Some(beta_cal.id)).await);
        assert_not_found(tx.calendar_for_team(beta.id(), acme_team.id).await);
        assert!(matches!(
            tx.update_calendar(&StoredCalendar { org: beta.id(), ..acme_cal.clone() }).await,
            Err(StoreError::NotFound)
        ));
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_eq!(tx.calendar(acme.id(), acme_cal.id).await.expect("unchanged"), acme_cal);
        assert_eq!(name(tx.calendar_for_team(beta.id(), beta_team.id).await.expect("resolved")), Some("Main".into()));
        assert_eq!(
            tx.calendar_for_team(beta.id(), beta_team.id).await.expect("resolved").map(|c| c.id),
            Some(beta_cal.id)
        );
    }
}
