#!/usr/bin/env bash
# The test command: installs everything the tests need on a fresh Debian machine, then runs them.
#   bash tests/run.sh            # whole suite
#   bash tests/run.sh -k chats   # any pytest arguments
# Debian packages (scripts/debian.sh): what the app needs (packages.txt, as Streamlit Community Cloud installs it) plus
# what the tests use for real (PostgreSQL servers they start themselves, Chromium for the browser
# test; never a browser downloaded by Playwright; a compiler for llama.cpp). Python packages go to .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/debian.sh
mapfile -t needed < <(app_packages)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || needed+=(postgresql)
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
# llama-cpp-python (the local-model smoke test) is built from source: a C++ compiler, CMake, Ninja.
needed+=(g++ make curl cmake ninja-build)
# pgvector (dense search on PostgreSQL) is built from Debian's source tarball below: bookworm has
# no binary package for PostgreSQL 15; Supabase ships the extension.
pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
pg_version=${pg_version:-15}
needed+=("postgresql-server-dev-$pg_version")
install_missing "${needed[@]}"

if [ ! -f "/usr/share/postgresql/$pg_version/extension/vector.control" ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  build=$(mktemp -d)
  curl -fsSL -o "$build/pgvector.tar.gz" http://deb.debian.org/debian/pool/main/p/pgvector/pgvector_0.8.0.orig.tar.gz
  echo "867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0  $build/pgvector.tar.gz" | sha256sum -c --quiet
  tar xzf "$build/pgvector.tar.gz" -C "$build" --strip-components=1
  echo "building pgvector 0.8.0 for PostgreSQL $pg_version"
  make -s -C "$build" OPTFLAGS="" PG_CONFIG="/usr/lib/postgresql/$pg_version/bin/pg_config" >/dev/null
  $sudo make -s -C "$build" install PG_CONFIG="/usr/lib/postgresql/$pg_version/bin/pg_config" >/dev/null
  rm -rf "$build"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
exec .venv/bin/python -m pytest "$@"
