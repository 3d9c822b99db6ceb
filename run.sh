#!/usr/bin/env bash
# The app on the embedded default (SQLite and a blob folder under ./data), with what its main job
# needs: on Debian, Tesseract for scans and images (packages.txt) and python3-venv, installed with
# apt the first time; then the Python packages into .venv, then `streamlit run`.
#   bash run.sh                      # Streamlit options pass through: bash run.sh --server.port 8600
set -euo pipefail
cd "$(dirname "$0")"
source scripts/debian.sh
if command -v apt-get >/dev/null 2>&1; then
  mapfile -t needed < <(app_packages)
  install_missing "${needed[@]}"
else
  echo "no apt-get here: install Tesseract (with its eng and rus data) yourself, or scans stay image-only" >&2
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
exec .venv/bin/streamlit run streamlit_app.py "$@"
