# Debian packages, sourced by run.sh (the app) and tests/run.sh (the tests): what the app's main job
# needs (packages.txt, as Streamlit Community Cloud installs it, and python3-venv where Debian's
# Python lacks ensurepip), and an installer of whichever of the named packages are missing.

app_packages() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' packages.txt | grep -v '^$'
  python3 -c 'import ensurepip' 2>/dev/null || echo python3-venv
}

install_missing() {
  local missing=() pkg sudo=""
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
