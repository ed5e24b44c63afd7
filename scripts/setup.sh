#!/usr/bin/env bash
# Installs what the platform needs on a fresh machine; cheap to re-run.
#   scripts/setup.sh            Python venv + packages, front-end assets, translations
#   scripts/setup.sh --browser  the same, plus Debian's chromium for the browser tests
# Always: Debian's Tesseract with its Vietnamese data and poppler-utils (pdftoppm), which
# read scanned PDFs and images (docs/frameworks.md § PDFs and scans); LibreOffice without
# a display and Liberation fonts, which make the PDFs of record (docs/signing.md); SoftHSM2,
# the PKCS#11 token of the signing tests.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
stamp() { sha256sum "$@" | sha256sum | cut -c1-16; }

# 0. Prerequisites first, so that a missing tool is one line, not a traceback half-way.
missing=()
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  missing+=("Python 3.11 to 3.13 ($PYTHON is not on PATH)")
else
  version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
  major=${version%%.*} minor=${version#*.}
  if ! [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] \
      || (( major != 3 || minor < 11 || minor > 13 )); then
    missing+=("Python 3.11 to 3.13 ($PYTHON is ${version:-unusable})")
  elif [ ! -x .venv/bin/python ] && ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    missing+=("Python's venv module (Debian: apt-get install python3-venv)")
  fi
fi
command -v npm >/dev/null 2>&1 || missing+=("npm (Node.js)")
if [ ${#missing[@]} -gt 0 ]; then
  joined=$(IFS=";"; echo "${missing[*]}")
  them=$([ ${#missing[@]} -eq 1 ] && echo it || echo them)
  echo "missing: ${joined//;/; } - install $them and try again" >&2
  exit 1
fi

# 1. Python: a venv with the project and its test tools, re-installed when pyproject changes.
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
want=$(stamp pyproject.toml)
if [ "$(cat .venv/.installed 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"
  echo "$want" > .venv/.installed
fi

# 2. Front-end files from npm, pinned by package-lock.json; never copied into git. The
#    devDependencies too: axe-core, which tests/test_accessibility.py reads from node_modules.
want=$(stamp package.json package-lock.json)
if [ "$(cat node_modules/.installed 2>/dev/null)" != "$want" ]; then
  npm ci --include=dev --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.installed
fi
mkdir -p portal/static/vendor
cp node_modules/htmx.org/dist/htmx.min.js portal/static/vendor/htmx.min.js
cp node_modules/bootstrap/dist/css/bootstrap.min.css portal/static/vendor/bootstrap.min.css
cp node_modules/tom-select/dist/js/tom-select.complete.min.js portal/static/vendor/tom-select.complete.min.js
cp node_modules/tom-select/dist/css/tom-select.bootstrap5.min.css portal/static/vendor/tom-select.bootstrap5.min.css

# 3. Translations (Vietnamese is the default language; English is the source text).
.venv/bin/pybabel compile --use-fuzzy -d portal/translations >/dev/null

# 4. OCR for scanned plans: Tesseract, its Vietnamese language data, and pdftoppm to turn a
#    scanned PDF's pages into images. Without them a scan is refused with a clear message.
missing=()
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
[ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/vie.traineddata 2>/dev/null)" ] \
  || missing+=(tesseract-ocr-vie)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
# …and the PDF of record (docs/signing.md): LibreOffice without a display turns the Word
# documents into the PDFs that are signed, with Liberation Serif standing in for Times
# New Roman (same widths) where Microsoft's fonts are not installed.
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
[ -n "$(ls /usr/share/fonts/truetype/liberation*/LiberationSerif-Regular.ttf 2>/dev/null)" ] \
  || missing+=(fonts-liberation2)
# …and SoftHSM2, the software PKCS#11 token on which the tests put an organisation key
# (tests/test_signing_pkcs11.py; a province's real token needs its own module, such as
# opensc's: docs/signing.md § Configuring a province).
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing: ${missing[*]}: run 'sudo apt-get install ${missing[*]}'" \
      "(scanned PDFs and images cannot be read, no PDF of record can be made, and the" \
      "PKCS#11 signing tests fail, without them)" >&2
  fi
fi

# 5a. PgBouncer, for the transaction-pooling tests and CI pass (scripts/pgbouncer.sh; Debian
#     ships 1.18). Without it those tests fail with a message saying so.
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends pgbouncer >/dev/null
  else
    echo "missing: pgbouncer: run 'sudo apt-get install pgbouncer'" \
      "(the connection-pooler tests need it)" >&2
  fi
fi

# 5. For the browser tests: Debian's chromium (Playwright's own download cannot reach its
#    servers from here). (LibreOffice, which also checks that the Word exports open, is
#    installed above.)
if [ "${1:-}" = "--browser" ]; then
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "missing: ${missing[*]}: run 'sudo apt-get install ${missing[*]}'" \
        "(the tests that need them will be skipped)" >&2
    fi
  fi
fi
