#!/usr/bin/env bash
# Install what Loket needs to build, run and test, and only what is missing. Idempotent.
# Debian 12 / Ubuntu 22.04+; run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # Tauri on Linux
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev
  libssl-dev pkg-config build-essential file
  # SQLCipher's OpenSSL is built from source (openssl-src needs perl)
  perl
  # End-to-end tests: a virtual display and WebKit's WebDriver
  xvfb xauth webkit2gtk-driver
  # The receipt test renders the PDF (pdftoppm) and reads its text (pdftotext)
  poppler-utils
  # The PostgreSQL backend of the server is tested against a real server
  postgresql postgresql-client
  # The API fuzzer (Schemathesis, from PyPI) runs in a virtual environment
  python3-venv curl
  # The update test installs .deb packages the way the updater does on a laptop: pkexec when a
  # polkit agent is there, else sudo (which lets root through without a password)
  sudo
)

say() { printf '\033[1;32m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required (Rust toolchain, Node.js 20+)" >&2; exit 1; }
done

# Front-end dependencies, pinned by ui/package-lock.json. Reinstalled when the lock changes.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  say "installing front-end packages (npm ci)"
  (cd ui && npm ci --no-audit --no-fund)
fi

# WebDriver bridge for the real desktop window.
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null; then
  say "installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi

# Schemathesis, the schema-driven API fuzzer of `make test` (scripts/api-fuzz.sh), pinned in
# scripts/fuzz-requirements.txt, in its own virtual environment. Reinstalled when the pin changes.
if [ ! -x .venv-fuzz/bin/schemathesis ] || [ scripts/fuzz-requirements.txt -nt .venv-fuzz/.installed ]; then
  say "installing the API fuzzer (Schemathesis) in .venv-fuzz"
  python3 -m venv .venv-fuzz
  .venv-fuzz/bin/pip install --quiet --disable-pip-version-check -r scripts/fuzz-requirements.txt
  touch .venv-fuzz/.installed
fi
