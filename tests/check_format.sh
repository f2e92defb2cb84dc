#!/bin/sh
# Fails when any C++ file (src, tests, bench) differs from what clang-format (.clang-format at the root) makes of it.
set -eu
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format is not installed"; exit 1; }
files=$(find src tests bench -name '*.cpp' -o -name '*.hpp' | sort)
clang-format --dry-run --Werror $files
echo "clang-format: $(echo "$files" | wc -l) files clean"
