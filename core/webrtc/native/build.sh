#!/usr/bin/env bash
# Builds the native send path (fastpath.c) with node-gyp against the running Node's own headers
# (Debian/NodeSource put them in /usr/include/node; node-gyp would otherwise try to download them).
# Run by `npm install` (package.json "install") and by .ci/setup when the addon is missing or stale.
set -euo pipefail
cd "$(dirname "$0")"
prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
args=()
[ -f "$prefix/include/node/node_api.h" ] && args+=("--nodedir=$prefix")
# npm puts its own node-gyp on PATH for lifecycle scripts; outside npm, use the one npm bundles.
if command -v node-gyp >/dev/null 2>&1; then
  exec node-gyp rebuild --loglevel=warn "${args[@]}"
fi
exec node "$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js" rebuild --loglevel=warn "${args[@]}"
