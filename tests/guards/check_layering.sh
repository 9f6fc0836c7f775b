#!/usr/bin/env bash
# Layering guard (docs/architecture.md): fails when an #include crosses a layer boundary.
#   engine/   includes no Qt header and nothing of ingest/, storage/, app/, ui/
#   ingest/   and storage/ include neither each other nor app/, ui/, and no QtGui/QtWidgets header;
#             of the engine, ingest may include only the tokenizer (folio/tokenizer.h)
#   app/      (appcore, excluding the executables' main files) includes no QtGui/QtWidgets header
#   ui/       includes no engine (folio/), ingest/ or storage/ header
# Usage: check_layering.sh SOURCE_DIR
set -u
root=${1:-.}
cd "$root" || { echo "check_layering: cannot enter $root"; exit 2; }
bad=0

# violations DIR REGEX WHY: prints every #include line under DIR matching REGEX.
violations() {
  local dir=$1 regex=$2 why=$3 hits
  [ -d "$dir" ] || return 0
  hits=$(grep -rnE --include='*.h' --include='*.hpp' --include='*.cpp' --include='*.cu' --include='*.cuh' \
         "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($regex)" "$dir" | grep -v '/tests/' || true)
  if [ -n "$hits" ]; then
    echo "LAYERING: $why"
    echo "$hits" | sed 's/^/  /'
    bad=1
  fi
}

qt='Q[A-Za-z]|Qt[A-Za-z]*/'
qtgui='QtGui/|QtWidgets/|Q(Widget|MainWindow|Application|Pixmap|Image|Painter|Font|Color|Icon|Action|Dialog|Label|PushButton|TreeView|ListView|Splitter|TextEdit|PlainTextEdit|LineEdit|MessageBox|Menu|MenuBar|StatusBar|ToolBar|Palette|Screen|Window|Clipboard|GuiApplication|KeyEvent|Shortcut|KeySequence)[>"]'

violations engine "$qt" "engine/ must not include Qt headers"
violations engine "ingest/|storage/|app/|ui/" "engine/ must not include other Folio layers"
violations ingest "storage/|app/|ui/" "ingest/ may not include storage/, app/ or ui/"
violations ingest "folio/(engine|device|status|chat_format)" "ingest/ may use only the engine's tokenizer (folio/tokenizer.h)"
violations ingest "$qtgui" "ingest/ uses QtCore at most"
violations storage "ingest/|app/|ui/|folio/" "storage/ may not include ingest/, the engine, app/ or ui/"
violations storage "$qtgui" "storage/ uses QtCore at most"
violations ui "folio/|ingest/|storage/" "ui/ sees only appcore (app/)"

# appcore: everything in app/ except the GUI executable's entry point.
if [ -d app ]; then
  hits=$(grep -rnE --include='*.h' --include='*.cpp' \
         "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($qtgui|ui/)" app | grep -v '^app/main_gui.cpp:' || true)
  if [ -n "$hits" ]; then
    echo "LAYERING: app/ (appcore) must not use QtGui/QtWidgets or ui/"
    echo "$hits" | sed 's/^/  /'
    bad=1
  fi
fi

if [ "$bad" = 0 ]; then
  echo "layering: ok"
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"
fi
exit $bad
