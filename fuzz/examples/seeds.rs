//! Writes the seed corpus of every fuzz target to `fuzz/corpus/<target>/`:
//! real push bodies, change and snapshot bytes written by kept-core, pull
//! queries and CSV files. Run from `fuzz/`: `cargo run --example seeds`.

use kept_core::docs::DocId;
use kept_core::export::ExportKind;
use kept_fuzz::*;
use std::path::Path;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    std::fs::create_dir_all(&dir).expect("corpus dir");
    std::fs::write(dir.join(name), bytes).expect("write seed");
}

/// The changes of a device of `member` whose actor collides with the device
/// made with `seed` (the same seed) but which logged something else: the
/// "two writers share an actor id" corruption.
fn same_actor_other_content(member: &str, seed: u64) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().expect("tmp");
    let mut k = device(&dir.path().join("twin"), member, seed);
    let input = kept_core::model::ActivityInput {
        occurred_at: Some("2026-11-23T10:00:00+00:00".into()),
        note: Some(Some("a different change with the same actor and seq".into())),
        ..Default::default()
    };
    k.log_activity("proposal", input, None).expect("log");
    outbox(&k)
}

fn main() {
    // push_body: the relay was filled with team_changes(100) (Maria 100, Ann 101).
    let (maria, ann) = team_changes(300);
    write("push_body", "maria_new_changes.json", &push_body(&maria));
    let mut rep = b" ".to_vec();
    rep.extend(push_body(&ann));
    write("push_body", "ann_pushes_her_own.json", &rep);
    let mut rep_team = b" ".to_vec();
    rep_team.extend(push_body(&maria.iter().filter(|(d, _)| d == "team").cloned().collect::<Vec<_>>()));
    write("push_body", "ann_writes_the_team_doc_403.json", &rep_team);
    let (old_maria, _) = team_changes(100);
    write("push_body", "already_stored.json", &push_body(&old_maria[..2]));
    write("push_body", "duplicate_actor_seq.json", &push_body(&same_actor_other_content(ANN, 101)));
    write("push_body", "empty.json", br#"{"changes":[]}"#);
    write(
        "push_body",
        "not_a_change.json",
        format!(r#"{{"changes":[{{"doc":"plan/{ANN}","kind":"plan","subject":"{ANN}","data":"bm90IGEgY2hhbmdl"}}]}}"#)
            .as_bytes(),
    );
    write("push_body", "kind_disagrees.json", br#"{"changes":[{"doc":"team","kind":"log","data":""}]}"#);

    // pull_query
    for (name, q) in [
        ("bootstrap", "cursor=0"),
        ("small_pages", "cursor=0&limit=2"),
        ("tail", "cursor=3&limit=1"),
        ("no_cursor", "limit=7"),
        ("negative", "cursor=-1"),
        ("zero_limit", "cursor=2&limit=0"),
        ("not_a_number", "cursor=abc"),
        ("huge_limit", "cursor=5&limit=99999999999"),
        ("past_the_head", "cursor=9223372036854775807"),
        ("repeated", "cursor=1&cursor=2&limit=%31"),
    ] {
        write("pull_query", name, q.as_bytes());
    }

    // apply_changes: Ann's home holds the team, plan/Ann, coaching/Ann and her logs.
    let (maria, ann) = team_changes(400);
    let pieces = |changes: &[(String, Vec<u8>)]| -> Vec<Piece> {
        let targets = apply_targets();
        changes
            .iter()
            .filter_map(|(doc, b)| {
                let id: DocId = doc.parse().ok()?;
                targets.contains(&id).then(|| (id, false, b.clone()))
            })
            .collect()
    };
    write("apply_changes", "another_device_of_ann", &join_pieces(&pieces(&ann)));
    write("apply_changes", "from_the_manager", &join_pieces(&pieces(&maria)));
    let dir = tempfile::tempdir().expect("tmp");
    let mut m = device(&dir.path().join("m"), MARIA, 401);
    m.log_activity("call", Default::default(), Some("Bob")).expect("log");
    m.add_action("Review the pipeline", "2026-11-30", None, Some("Ann")).expect("action");
    let snap = |id: &DocId| m.store().load(id).expect("load").expect("held").save();
    let bob_w48 = DocId::log(BOB, "2026-W48".parse().expect("week"));
    write("apply_changes", "snapshot_not_held", &join_pieces(&[(bob_w48.clone(), true, snap(&bob_w48))]));
    let coaching = DocId::coaching(ANN);
    write("apply_changes", "snapshot_held", &join_pieces(&[(coaching.clone(), true, snap(&coaching))]));
    write("apply_changes", "duplicate_actor_seq", &join_pieces(&pieces(&same_actor_other_content(ANN, 7))));

    // csv_import
    write(
        "csv_import",
        "hubspot.csv",
        b"Activity Type,Activity Date,Company,Notes,Duration\n\
Call,2026-11-23 09:30,Globex,Left a voicemail,5\n\
Meeting Set,2026-11-24,Initech,\"Demo booked, Friday\",\n\
Conversation,2026-11-24T15:00:00Z,Umbrella,Talked budget,20\n",
    );
    write(
        "csv_import",
        "some_bad_rows.csv",
        b"type,date,count,account\ncall,2026-11-23,2,Globex\nteleport,2026-11-23,1,Nowhere\ncall,2027-01-01,1,Future\ncall,2026-11-24,x,Initech\n",
    );
    let mut export = Vec::new();
    m.export_csv(ExportKind::Activities, &mut export).expect("export");
    write("csv_import", "kept_export.csv", &export);
    write("csv_import", "no_rows.csv", b"type,occurred_at\n");
    write("csv_import", "no_date_column.csv", b"type,account\ncall,Globex\n");
    println!("seeds written to {}/corpus", env!("CARGO_MANIFEST_DIR"));
}
