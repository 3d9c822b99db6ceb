#!/usr/bin/env bash
# The test command: installs everything the tests need on a fresh Debian machine, then runs them.
#   bash tests/run.sh            # whole suite
#   bash tests/run.sh -k chats   # any pytest arguments
# Debian packages: what the app needs (packages.txt, as Streamlit Community Cloud installs it) plus
# what the tests use for real (PostgreSQL servers they start themselves, Chromium for the browser
# test; never a browser downloaded by Playwright; a compiler for llama.cpp). Python packages go to .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# llama-cpp-python (the local-model smoke test) is built from source: a C++ compiler, CMake, Ninja.
for pkg in g++ cmake ninja-build; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ -f packages.txt ]; then
  while read -r pkg; do
    [ -n "$pkg" ] && ! dpkg -s "$pkg" >/dev/null 2>&1 && missing+=("$pkg")
  done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' packages.txt)
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
exec .venv/bin/python -m pytest "$@"
