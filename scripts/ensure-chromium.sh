#!/usr/bin/env bash
# The browser tests drive Debian's chromium headless (Playwright's own browser download cannot
# be used here). Install it from Debian's packages when it is missing; needs root (as on CI).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing: install Debian's package (sudo apt-get install chromium)" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium
