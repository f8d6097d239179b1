#!/usr/bin/env bash
# Everything a fresh Debian/Ubuntu machine needs before `make demo` or `make test`:
# the system packages (Chromium for browser tests, Pango for PDFs), a virtualenv and the
# Python dependencies from pyproject.toml. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Countersign needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." >&2
  exit 1
fi

# System packages: Chromium drives the browser tests; WeasyPrint needs Pango and fonts;
# docker-compose validates deploy/compose offline (`docker-compose config`, no engine needed);
# xmlsec1 signs and verifies SAML messages for pysaml2.
packages=(chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core docker-compose xmlsec1 tesseract-ocr tesseract-ocr-eng)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "Install these Debian packages first (as root): ${missing[*]}" >&2; exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating the virtualenv in $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
echo "Installing Python dependencies"
"$VENV/bin/pip" install -q -e ".[dev]"
touch "$VENV/.installed"
