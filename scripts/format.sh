#!/usr/bin/env bash
# Formats every tracked C++/CUDA source in place with .clang-format (clang-format 14).
set -eu
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || command -v clang-format)
git ls-files --cached --others --exclude-standard -- '*.h' '*.hpp' '*.cpp' '*.cu' '*.cuh' |
  grep -v third_party/ | while read -r f; do [ -f "$f" ] && "$cf" -i "$f"; done
echo "formatted"
