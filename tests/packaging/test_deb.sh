#!/usr/bin/env bash
# Packaging test (label main): builds the .deb and the portable .tgz with CPack from an already
# built tree, unpacks each into a temporary root and runs the installed folio-cli from there — no
# LD_LIBRARY_PATH, so the $ORIGIN RPATH and the shlibs dependencies must be right. Checks the
# package's contents (binaries, demo model, desktop file, icons, AppStream metadata, man pages),
# validates the desktop file and the metadata, and fails on any lintian error.
#
#   test_deb.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
pass=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { failures=$((failures + 1)); echo "FAILED: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

cd "$build"
if ! cpack -G "DEB;TGZ" -B "$work/out" > "$work/cpack.log" 2>&1; then
  cat "$work/cpack.log"
  echo "0 passed, 1 failed"
  exit 1
fi
deb=$(ls "$work"/out/*.deb)
tgz=$(ls "$work"/out/*.tar.gz)
echo "built $(basename "$deb") ($(du -h "$deb" | cut -f1)), $(basename "$tgz")"

# --- Control data: dependencies found by dpkg-shlibdeps ---------------------------------------
control=$(dpkg-deb -f "$deb")
echo "$control" | grep -E '^(Package|Version|Architecture|Depends):'
check "Depends names Qt 6 Core (shlibdeps ran)" grep -qE '^Depends:.*libqt6core6' <<<"$control"
check "Depends names Qt 6 Widgets" grep -qE '^Depends:.*libqt6widgets6' <<<"$control"
check "Depends names the C library" grep -qE '^Depends:.*libc6' <<<"$control"

# --- Contents ----------------------------------------------------------------------------------
dpkg-deb -x "$deb" "$work/root"
r=$work/root/usr
for f in bin/folio bin/folio-cli bin/folio-mkmodel \
         share/folio/demo-model/config.json share/folio/demo-model/tokenizer.json \
         share/folio/demo-model/model.safetensors.index.json \
         share/applications/local.folio.Folio.desktop share/metainfo/local.folio.Folio.metainfo.xml \
         share/icons/hicolor/scalable/apps/local.folio.Folio.svg \
         share/icons/hicolor/48x48/apps/local.folio.Folio.png \
         share/icons/hicolor/256x256/apps/local.folio.Folio.png \
         share/man/man1/folio.1.gz share/man/man1/folio-cli.1.gz share/man/man1/folio-mkmodel.1.gz \
         share/doc/folio/copyright share/doc/folio/changelog.gz; do
  check "package has /usr/$f" test -f "$r/$f"
done
check "PNG icon is 48x48" bash -c "file '$r/share/icons/hicolor/48x48/apps/local.folio.Folio.png' | grep -q '48 x 48'"
check "folio-cli has an \$ORIGIN RUNPATH" bash -c "readelf -d '$r/bin/folio-cli' | grep -E 'R(UN)?PATH' | grep -qF '\$ORIGIN'"
check "folio has an \$ORIGIN RUNPATH" bash -c "readelf -d '$r/bin/folio' | grep -E 'R(UN)?PATH' | grep -qF '\$ORIGIN'"

# --- Running from the unpacked root -------------------------------------------------------------
export FOLIO_DATA_DIR=$work/data   # never touch the user's data
version=$(env -u LD_LIBRARY_PATH "$r/bin/folio-cli" --version 2>&1 || true)
echo "$version"
check "folio-cli --version runs from the package" grep -q '^folio-cli [0-9]' <<<"$version"
check "the packaged demo model verifies" \
  env -u LD_LIBRARY_PATH "$r/bin/folio-cli" model verify --no-hash "$r/share/folio/demo-model"
commands=$("$r/bin/folio-cli" --help)
if grep -qE '^  ask ' <<<"$commands"; then
  # A one-file repository and four tokens from the demo model: the whole ask path (ingest, pack,
  # prompt, engine, storage) runs from the unpacked package.
  mkdir "$work/repo"
  printf 'int add(int a, int b) { return a + b; }\n' > "$work/repo/add.c"
  git -C "$work/repo" init -q
  git -C "$work/repo" add add.c
  git -C "$work/repo" -c user.name=folio -c user.email=folio@folio.invalid commit -qm init
  check "folio-cli ask with the demo model" \
    env -u LD_LIBRARY_PATH "$r/bin/folio-cli" ask --repo "$work/repo" \
      --model "$r/share/folio/demo-model" -n 4 "What does add do?" < /dev/null
else
  echo "note: this folio-cli has no ask command yet; only --version and model verify ran"
fi

# --- Portable archive ----------------------------------------------------------------------------
mkdir "$work/tgz"
tar -xzf "$tgz" -C "$work/tgz"
t=$(ls -d "$work"/tgz/*/)
check "the .tgz's folio-cli runs unpacked" bash -c "env -u LD_LIBRARY_PATH '${t}bin/folio-cli' --version | grep -q '^folio-cli'"
check "the .tgz carries the demo model" test -f "${t}share/folio/demo-model/config.json"

# --- Validators -----------------------------------------------------------------------------------
if command -v desktop-file-validate > /dev/null; then
  check "desktop-file-validate" desktop-file-validate "$r/share/applications/local.folio.Folio.desktop"
else
  bad "desktop-file-validate missing (scripts/setup.sh installs desktop-file-utils)"
fi
if command -v appstreamcli > /dev/null; then
  check "appstreamcli validate" appstreamcli validate --no-net --pedantic "$r/share/metainfo/local.folio.Folio.metainfo.xml"
else
  bad "appstreamcli missing (scripts/setup.sh installs appstream)"
fi
if command -v lintian > /dev/null; then
  lintian --allow-root --no-tag-display-limit "$deb" > "$work/lintian.txt" 2>&1 || true
  cat "$work/lintian.txt"
  check "lintian reports no errors" bash -c "! grep -q '^E:' '$work/lintian.txt'"
else
  bad "lintian missing (scripts/setup.sh installs it)"
fi

echo "$pass passed, $failures failed"
[ "$failures" -eq 0 ]
