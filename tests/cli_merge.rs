//! Two homes of one rep edited independently (including the same action item)
//! then `merge-from` each way: both print the same activities and action items.

use kept_tests::{kept, kept_json, kept_ok};

#[test]
fn two_devices_merge_without_a_server() {
    let dir = tempfile::tempdir().expect("tmp");
    let (phone, laptop) = (dir.path().join("phone"), dir.path().join("laptop"));
    kept_ok(&phone, &["init", "--team", "Acme", "--me", "Anna", "--role", "rep", "--tz", "Europe/Berlin"]);
    kept_ok(&phone, &["log", "call", "--count", "3"]);
    let item = kept_json(&phone, &["action", "add", "Send the Globex proposal", "--due", "2026-11-27"]);
    let id = item["id"].as_str().expect("id").to_string();
    // An empty home becomes a second device of Anna.
    let first = kept_json(&laptop, &["merge-from", phone.to_str().expect("path")]);
    assert!(first["received"].as_u64().unwrap_or(0) > 0);
    // Both edit offline, the same action item included.
    kept_ok(&phone, &["action", "done", &id, "--result", "Sent v1"]);
    kept_ok(&laptop, &["action", "edit", &id, "--due", "2026-11-30", "--text", "Send the Globex proposal v2"]);
    kept_ok(&phone, &["log", "meeting-set", "--account", "Globex"]);
    kept_ok(&laptop, &["log", "proposal", "--account", "Globex"]);
    kept_ok(&laptop, &["target", "set", "call", "25"]);
    kept_ok(&phone, &["merge-from", laptop.to_str().expect("path")]);
    kept_ok(&laptop, &["merge-from", phone.to_str().expect("path")]);
    for what in [&["activities"][..], &["action", "list"][..], &["week"][..], &["target", "list"][..]] {
        assert_eq!(kept_json(&phone, what), kept_json(&laptop, what), "{what:?} differs");
    }
    let items = kept_json(&phone, &["action", "list"]);
    let merged = &items.as_array().expect("items")[0];
    assert_eq!(merged["status"], "done", "the phone's completion survived");
    assert_eq!(merged["result"], "Sent v1");
    assert_eq!(merged["due"], "2026-11-30", "the laptop's new due date survived");
    assert_eq!(merged["text"], "Send the Globex proposal v2");
    assert_eq!(kept_json(&phone, &["activities"]).as_array().expect("list").len(), 3);
    // Homes of different teams refuse to merge, and change nothing.
    let other = dir.path().join("other");
    kept_ok(&other, &["init", "--team", "Umbrella", "--me", "Zed", "--role", "rep"]);
    let before = kept_json(&phone, &["activities"]);
    let refused = kept(&phone, &["merge-from", other.to_str().expect("path")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another team"));
    assert_eq!(kept_json(&phone, &["activities"]), before);
}
