#!/usr/bin/env bash
# Build a signed Linux release of Loket (.deb and .rpm) and publish it to a provincial server.
# The release procedure, key custody and how to stop a bad release: README.md ("For IT") and
# docs/UPDATES.md.
#
#   make release VERSION=0.2.0 SIGNING_KEY=/media/kunci/loket-release.key \
#       [NOTES="…"] [ROLLOUT=0] [DATABASE=.loket-dev/server.sqlite3] [BUNDLES=deb,rpm] [PROFILE=release]
#
# SIGNING_KEY is the private key file of `tauri signer generate` (its public half beside it as
# SIGNING_KEY.pub, the same key as plugins.updater.pubkey in tauri.conf.json); its password comes
# from SIGNING_KEY_PASSWORD or is asked for. The bundles land in dist/VERSION/. With DATABASE
# (a SQLite file or a postgres:// URL) the release is published there at ROLLOUT percent (0: to
# nobody until `release promote`).
#
# LOKET_RELEASE_ANY_KEY=1 builds with a key other than tauri.conf.json's (the app then trusts
# that key: tests and demonstrations only, never a release for the offices).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf '\033[1;31m[release]\033[0m %s\n' "$*" >&2; exit 1; }
say() { printf '\033[1;32m[release]\033[0m %s\n' "$*"; }

VERSION="${VERSION:-}"
SIGNING_KEY="${SIGNING_KEY:-}"
PROFILE="${PROFILE:-release}"
BUNDLES="${BUNDLES:-deb,rpm}"
ROLLOUT="${ROLLOUT:-0}"
NOTES="${NOTES:-}"
DATABASE="${DATABASE:-}"
OUT="${OUT:-dist/$VERSION}"

[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] ||
  die "VERSION=x.y.z is required (a new version, higher than the laptops' current one)"
[ -n "$SIGNING_KEY" ] || die "SIGNING_KEY=<private key file> is required. IT makes the key once, offline:
    ui/node_modules/.bin/tauri signer generate -w /media/kunci/loket-release.key
  and puts the content of loket-release.key.pub into tauri.conf.json (plugins.updater.pubkey)."
[ -f "$SIGNING_KEY" ] || die "$SIGNING_KEY does not exist"
[ -f "$SIGNING_KEY.pub" ] || die "$SIGNING_KEY.pub (the public half) does not exist"
case "$PROFILE" in release | debug) ;; *) die "PROFILE is release or debug" ;; esac

pubkey="$(tr -d '\n' <"$SIGNING_KEY.pub")"
configured="$(node -e 'process.stdout.write(require("./tauri.conf.json").plugins.updater.pubkey)')"
if [ "$pubkey" != "$configured" ] && [ "${LOKET_RELEASE_ANY_KEY:-}" != 1 ]; then
  die "$SIGNING_KEY.pub is not the key in tauri.conf.json: the laptops would refuse this release.
  Sign with the province's release key, or (first release) put its .pub content into plugins.updater.pubkey."
fi

config="$(VERSION="$VERSION" PUBKEY="$pubkey" node -e '
  process.stdout.write(JSON.stringify({
    version: process.env.VERSION,
    bundle: { createUpdaterArtifacts: true },
    plugins: { updater: { pubkey: process.env.PUBKEY } },
  }))')"

say "building Loket $VERSION ($PROFILE, $BUNDLES), signed by $(head -c 16 <<<"$(base64 -d <<<"$pubkey" | head -1 | awk '{print $NF}')")"
flags=(--bundles "$BUNDLES" --config "$config" --ci)
[ "$PROFILE" = debug ] && flags+=(--debug)
TAURI_APP_PATH=src-tauri \
  TAURI_SIGNING_PRIVATE_KEY="$(realpath "$SIGNING_KEY")" \
  TAURI_SIGNING_PRIVATE_KEY_PASSWORD="${SIGNING_KEY_PASSWORD-}" \
  ui/node_modules/.bin/tauri build "${flags[@]}"

target="${CARGO_TARGET_DIR:-target}/$PROFILE/bundle"
mkdir -p "$OUT"
artifacts=()
IFS=, read -ra kinds <<<"$BUNDLES"
for kind in "${kinds[@]}"; do
  case "$kind" in
    deb) file="$(ls "$target"/deb/*_"$VERSION"_*.deb)" ;;
    rpm) file="$(ls "$target"/rpm/*-"$VERSION"-*.rpm)" ;;
    *) die "only deb and rpm are built on Linux (see docs/UPDATES.md for Windows and macOS)" ;;
  esac
  [ -f "$file.sig" ] || die "$file.sig is missing: the bundle was not signed"
  cp "$file" "$file.sig" "$OUT/"
  # The updater installs the kind of package the running app came from; the server keeps one
  # bundle per platform, so Linux offices get the .deb (Debian/Ubuntu laptops).
  [ "$kind" = deb ] && artifacts+=(--artifact "linux-x86_64=$OUT/$(basename "$file")")
done
say "signed bundles in $OUT/: $(cd "$OUT" && ls | tr '\n' ' ')"

if [ -n "$DATABASE" ]; then
  server="${LOKET_SERVER_BIN:-${CARGO_TARGET_DIR:-target}/debug/loket-server}"
  [ -x "$server" ] || die "$server is missing: make server"
  "$server" --database "$DATABASE" release publish --version "$VERSION" --notes "$NOTES" \
    --rollout "$ROLLOUT" "${artifacts[@]}"
fi
