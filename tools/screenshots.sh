#!/usr/bin/env bash
# Writes PNG screenshots of Folio's main states into docs/screenshots/ by running the real desktop
# app under Xvfb: the welcome page, a session over Folio's own ingest/ sources with a demo answer
# (citations verified and not), a citation opened in the code viewer, a PDF page with the cited
# passage highlighted, the over-budget warning, the settings dialog, the Open Repository dialog
# with its branches and recent commits, and the Chinese UI.
#
#   tools/screenshots.sh [BUILD_DIR]      (default: build; builds the `folio` target first)
#
# Settings and the session database go to a temporary directory, never the user's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
out=$root/docs/screenshots

command -v xvfb-run >/dev/null || { echo "screenshots: xvfb-run is missing (scripts/setup.sh installs xvfb)" >&2; exit 1; }
cmake --build "$build" --target folio >/dev/null
app=$build/bin/folio
[ -x "$app" ] || { echo "screenshots: $app was not built" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
# The demo model directory only has to exist for the window to offer it; the answer shown is a
# fixed demo text, so the screenshots do not depend on the model's (random) output.
demo="$build/share/folio/demo-model"
[ -d "$demo" ] || demo="$tmp/demo-model"
mkdir -p "$demo"

XDG_CONFIG_HOME="$tmp/config" FOLIO_DATA_DIR="$tmp/data" FOLIO_DEMO_MODEL="$demo" \
  QT_QPA_PLATFORM=xcb QT_SCALE_FACTOR=1 \
  xvfb-run -a -s "-screen 0 1600x1000x24" \
  "$app" --screenshot-tour "$out" "$root/ingest"
ls -1 "$out"/*.png
