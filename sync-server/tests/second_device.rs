//! A second device of my own through the relay: `kept invite --me` (any
//! member) makes a one-time code; the new device joins as the same member
//! with its own actor id, gets everything that member may read, and both
//! devices' edits merge. A rep still cannot invite anyone else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;
use kept_core::model::{ActivityInput, Role};

fn a_member_adds_a_device_of_their_own(backend: Backend) {
    let relay = Relay::start(backend);
    let dir = tempfile::tempdir().unwrap();
    let created = relay.create_team("Acme", "Maria");
    let manager = join_home(&relay, &dir.path().join("maria"), &created.invite);
    let inv = manager.invite(Role::Rep, Some("Ann")).unwrap();
    let mut phone = join_home(&relay, &dir.path().join("ann-phone"), &inv.code);
    phone.log_activity("call", ActivityInput::default(), None).unwrap();
    phone.sync().unwrap();
    // A rep may not invite someone else…
    assert!(matches!(
        phone.invite(Role::Rep, Some("Cy")),
        Err(kept_core::CoreError::NotAllowed(_) | kept_core::CoreError::Relay { status: 403, .. })
    ));
    // …but may add a device of her own.
    let code = phone.invite_my_device().unwrap();
    let mut laptop = join_home(&relay, &dir.path().join("ann-laptop"), &code.code);
    assert_eq!(laptop.me().id, phone.me().id, "the same member");
    assert_ne!(laptop.store().actor(), phone.store().actor(), "its own actor id");
    let week = laptop.week_summary(None, None).unwrap();
    assert_eq!(week.rows.iter().find(|r| r.kind == "call").unwrap().count, 1, "it received what the phone logged");
    laptop.log_activity("call", ActivityInput::default(), None).unwrap();
    laptop.sync().unwrap();
    phone.sync().unwrap();
    assert_eq!(phone.week_summary(None, None).unwrap().rows.iter().find(|r| r.kind == "call").unwrap().count, 2);
    let devices = phone.relay().unwrap().devices().unwrap();
    assert_eq!(devices.iter().filter(|d| d.member_id == phone.me().id && !d.revoked).count(), 2);
    // The manager replaces a laptop the same way.
    let mut manager = manager;
    manager.sync().unwrap();
    let code = manager.invite_my_device().unwrap();
    let mut new_laptop = join_home(&relay, &dir.path().join("maria-2"), &code.code);
    new_laptop.sync().unwrap();
    assert_eq!(new_laptop.board(None).unwrap().rows, manager.board(None).unwrap().rows);
}

on_both_backends!(a_member_adds_a_device_of_their_own);
