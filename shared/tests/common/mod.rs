//! Test set-up shared by kept-core's integration tests: a manager and reps,
//! each on a device of their own, sharing the team document offline.

use kept_core::model::{Member, Role};
use kept_core::service::Identity;
use kept_core::{FixedClock, IdSource, InitOptions, Kept};
use std::path::Path;
use std::sync::Arc;

/// Mia (manager of "Acme", in `time_zone`, UTC by default) and `reps`, each
/// on their own device (a folder under `dir` named after them in lower case,
/// Mia's `mia`), holding the team document and the roster.
pub fn team_in(dir: &Path, clock: &FixedClock, reps: &[&str], time_zone: Option<&str>) -> (Kept, Vec<Kept>) {
    let opts = InitOptions {
        team: "Acme".into(),
        me: "Mia".into(),
        role: Role::Manager,
        time_zone: time_zone.map(str::to_string),
        week_start: None,
    };
    let mut mia = Kept::init(&dir.join("mia"), opts, Arc::new(clock.clone()), IdSource::seeded(31)).expect("mia");
    let mut roster = vec![mia.me().clone()];
    let ids: Vec<Identity> = reps
        .iter()
        .enumerate()
        .map(|(i, name)| Identity {
            team_id: mia.team_id().into(),
            member_id: format!("0190f0a0-0000-7000-8000-0000000001{i:02}"),
            name: name.to_string(),
            role: Role::Rep,
        })
        .collect();
    roster.extend(ids.iter().map(|i| Member { id: i.member_id.clone(), name: i.name.clone(), role: Role::Rep }));
    mia.set_members(&roster).expect("roster");
    let devices = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut k = Kept::create_device(
                &dir.join(id.name.to_lowercase()),
                id,
                Arc::new(clock.clone()),
                IdSource::seeded(40 + i as u64),
            )
            .expect("rep device");
            k.set_members(&roster).expect("roster");
            k.merge_from(&dir.join("mia")).expect("team doc");
            k
        })
        .collect();
    (mia, devices)
}
