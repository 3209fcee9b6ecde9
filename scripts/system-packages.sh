#!/usr/bin/env bash
# System packages the tests use, installed with apt-get when missing (a fresh machine has none).
#   docker-compose: validates docker-compose.yml (`docker-compose config`); no engine is needed.
#   chromium-headless-shell: the browser tests of the search page and the widget (driven by
#             Playwright, which is told to use this browser: its own download does not work offline).
#   fonts-wqy-zenhei: a Chinese font, so that the browser tests' Chinese screenshots show text, not boxes.
#   openjdk-17-jdk-headless, maven: build and run the OpenSearch test node (devservers/opensearch-launcher).
#   postgresql: the PostgreSQL catalogue the suite runs every catalogue test against (started on loopback).
# Arguments, if any, replace that list. Another apt or dpkg at work (unattended upgrades, a second
# `make test`) is waited for, up to APT_LOCK_TIMEOUT seconds (default 600), rather than failed on.
set -euo pipefail
wanted=(docker-compose chromium-headless-shell fonts-wqy-zenhei openjdk-17-jdk-headless maven postgresql)
[ $# -gt 0 ] && wanted=("$@")
lock_timeout="${APT_LOCK_TIMEOUT:-600}"
missing=()
for package in "${wanted[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "system-packages: apt-get not found; install ${missing[*]} yourself" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "system-packages: installing ${missing[*]}" >&2
wait_lock=(-o "DPkg::Lock::Timeout=$lock_timeout")
# DPkg::Lock::Timeout covers dpkg's lock (install), not the package lists' (update): retry that.
deadline=$((SECONDS + lock_timeout))
told=""
until failure=$($sudo apt-get "${wait_lock[@]}" update -qq 2>&1 >/dev/null); do
  if [[ "$failure" != *"Could not get lock"* ]] || [ "$SECONDS" -ge "$deadline" ]; then
    echo "$failure" >&2
    exit 1
  fi
  [ -n "$told" ] || echo "system-packages: another apt is updating the package lists; waiting" >&2
  told=1
  sleep 2
done
DEBIAN_FRONTEND=noninteractive $sudo apt-get "${wait_lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
