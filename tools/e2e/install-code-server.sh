#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, offline (npm registry + Debian apt only):
# Debian's Chromium and ripgrep, then code-server into a cache folder outside the extension's
# own dependencies (it is large). Idempotent: a second run with everything present does nothing.
# Usage: tools/e2e/install-code-server.sh [CACHE_DIR]   (default: .cache/code-server in the repo)
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"   # VS Code 1.100.3, the newest code-server that supports Node 20
RIPGREP_PKG_VERSION="1.15.11"   # the @vscode/ripgrep inside code-server 4.100.3
RIPGREP_TARBALL="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
cache_dir="${1:-${SAMPLING_LAB_CODE_SERVER_DIR:-$repo_root/.cache/code-server}}"
entry="$cache_dir/node_modules/code-server/out/node/entry.js"

apt_install_missing() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v rg >/dev/null || missing+=(ripgrep)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  if ((${#missing[@]})); then
    echo "install-code-server: apt-get install ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  fi
}

# @vscode/ripgrep's postinstall downloads a binary from GitHub; it uses this cached tarball
# instead when present. Debian's rg satisfies it.
seed_ripgrep_cache() {
  local tmp="${TMPDIR:-/tmp}"
  local dir="$tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
  if [ ! -f "$dir/$RIPGREP_TARBALL" ]; then
    mkdir -p "$dir"
    local stage
    stage="$(mktemp -d)"
    cp "$(command -v rg)" "$stage/rg"
    tar -czf "$dir/$RIPGREP_TARBALL" -C "$stage" rg
    rm -rf "$stage"
  fi
}

installed_version() {
  node -p "require('$cache_dir/node_modules/code-server/package.json').version" 2>/dev/null || true
}

apt_install_missing

if [ -f "$entry" ] && [ "$(installed_version)" = "$CODE_SERVER_VERSION" ] \
  && [ -f "$cache_dir/.install-complete" ]; then
  echo "install-code-server: code-server $CODE_SERVER_VERSION already in $cache_dir"
  exit 0
fi

seed_ripgrep_cache
mkdir -p "$cache_dir"
cat > "$cache_dir/package.json" <<JSON
{ "name": "sampling-lab-code-server-cache", "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" } }
JSON

# code-server's postinstall runs nested npm installs (lib/vscode, its extensions) whose
# packages (node-pty, @vscode/ripgrep, kerberos, ...) need their own install scripts. npm 11
# skips dependency scripts unless approved; the nested projects carry no allowScripts, so the
# approval must travel through the environment to every nested npm.
# unsafe_perm: code-server's postinstall refuses to run as root without it.
# yes: node-pty's postinstall runs `npx node-gyp`.
echo "install-code-server: npm install code-server@$CODE_SERVER_VERSION into $cache_dir"
(
  cd "$cache_dir"
  npm_config_yes=true \
  npm_config_unsafe_perm=true \
  npm_config_ignore_scripts=false \
  npm_config_dangerously_allow_all_scripts=true \
  npm_config_audit=false \
  npm_config_fund=false \
    npm install --no-package-lock --foreground-scripts
)

# Verify what the postinstall should have produced, so a silent skip fails here, not in a test.
vscode_dir="$cache_dir/node_modules/code-server/lib/vscode"
pty="$(find "$vscode_dir/node_modules/node-pty/build" -name pty.node 2>/dev/null | head -1 || true)"
if [ -z "$pty" ]; then
  echo "install-code-server: node-pty did not build (no pty.node under $vscode_dir/node_modules/node-pty/build)" >&2
  exit 1
fi
if [ ! -x "$vscode_dir/node_modules/@vscode/ripgrep/bin/rg" ]; then
  echo "install-code-server: @vscode/ripgrep has no rg binary" >&2
  exit 1
fi
touch "$cache_dir/.install-complete"
echo "install-code-server: ready: node $entry"
