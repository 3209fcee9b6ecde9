#!/usr/bin/env bash
# System packages the tests use, installed with apt-get when missing (a fresh machine has none).
#   docker-compose: validates docker-compose.yml (`docker-compose config`); no engine is needed.
#   chromium: the browser tests of the search page and the widget (driven by Playwright, which
#             is told to use this browser: its own browser download does not work offline).
#   openjdk-17-jdk-headless, maven: build and run the OpenSearch test node (devservers/opensearch-launcher).
#   postgresql: the PostgreSQL catalogue the suite runs every catalogue test against (started on loopback).
set -euo pipefail
wanted=(docker-compose chromium openjdk-17-jdk-headless maven postgresql)
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
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
