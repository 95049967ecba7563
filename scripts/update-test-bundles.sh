#!/usr/bin/env bash
# The bundles of the update test (tests/tests/updates.rs), made through scripts/release.sh as IT
# makes a release: a signing key generated for the test (never committed), Loket FROM and TO as
# signed .deb packages (debug builds, for speed), and TO signed again by a second, foreign key.
# Rebuilt only when the source tree changed since the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: update-test-bundles.sh <dir>}"
FROM=1.0.0
TO=1.0.1
TAURI=ui/node_modules/.bin/tauri

stamp="$( (git rev-parse HEAD; git status --porcelain; git diff) | sha256sum | cut -c1-16)"
if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ] && ls "$dir"/to/*.deb >/dev/null 2>&1; then
  echo "[update-test-bundles] up to date in $dir"
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/from" "$dir/to" "$dir/foreign"
for key in test foreign; do
  "$TAURI" signer generate --ci -p "" -w "$dir/$key.key" >/dev/null
done
for v in "$FROM:from" "$TO:to"; do
  LOKET_RELEASE_ANY_KEY=1 PROFILE=debug BUNDLES=deb VERSION="${v%%:*}" OUT="$dir/${v##*:}" \
    SIGNING_KEY="$dir/test.key" SIGNING_KEY_PASSWORD="" scripts/release.sh
done
cp "$dir"/to/*.deb "$dir/foreign/"
"$TAURI" signer sign -f "$dir/foreign.key" -p "" --app-version "$TO" "$dir"/foreign/*.deb >/dev/null
echo "$stamp" >"$dir/stamp"
