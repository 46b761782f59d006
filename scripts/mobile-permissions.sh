#!/usr/bin/env bash
# Adds Kept's Android permissions (mobile/android/permissions.xml) to the manifest that
# `npx tauri android init` generates, once. iOS needs nothing here: the Tauri CLI merges
# Info.ios.plist (microphone and camera usage descriptions) into the iOS app.
# Android and iOS SDKs are not installed on the build machine; this runs where they are.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
manifest="$root/gen/android/app/src/main/AndroidManifest.xml"
[ -f "$manifest" ] || { echo "no $manifest: run 'npx tauri android init' first" >&2; exit 1; }
if grep -q RECORD_AUDIO "$manifest"; then echo "permissions already in $manifest"; exit 0; fi
python3 - "$manifest" "$root/mobile/android/permissions.xml" <<'PY'
import re, sys
manifest, perms = sys.argv[1], open(sys.argv[2]).read()
perms = re.sub(r"<!--.*?-->", "", perms, flags=re.S).strip()
text = open(manifest).read()
text = re.sub(r"(<manifest[^>]*>)", lambda m: m.group(1) + "\n    " + perms.replace("\n", "\n    "), text, count=1)
open(manifest, "w").write(text)
PY
echo "added Kept's permissions to $manifest"
