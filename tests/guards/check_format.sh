#!/usr/bin/env bash
# Formatting guard: every tracked C++/CUDA source must be formatted by .clang-format
# (clang-format 14, Debian 12). Fix with: scripts/format.sh
# Usage: check_format.sh SOURCE_DIR
set -u
root=${1:-.}
cd "$root" || { echo "check_format: cannot enter $root"; exit 2; }
cf=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$cf" ]; then
  echo "check_format: clang-format not found (scripts/setup.sh installs it)"
  exit 1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.h' '*.hpp' '*.cpp' '*.cu' '*.cuh' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
else
  mapfile -t files < <(find engine ingest storage app ui tests bench tools -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) 2>/dev/null)
fi
bad=0
for f in "${files[@]}"; do
  case "$f" in third_party/*|*/third_party/*) continue ;; esac
  if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "FORMAT: $f is not clang-formatted (run scripts/format.sh)"
    bad=1
  fi
done
echo "format: checked ${#files[@]} files"
if [ "$bad" = 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $bad
