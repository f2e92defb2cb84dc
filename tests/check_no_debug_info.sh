#!/bin/sh
# Fails when the given binary has .debug_* sections: release builds are stripped of debug info
# at link time (meson.build, release_link_args), so build/src/cryptochat and what
# `meson install` copies carry none of what the static Botan library brings.
set -eu
command -v readelf >/dev/null || { echo "readelf is not installed (Debian: binutils)"; exit 1; }
sections=$(readelf -SW "$1" | grep -o '\.debug_[a-z_.]*' | sort -u | tr '\n' ' ')
size=$(wc -c <"$1")
if [ -n "$sections" ]; then
  echo "$1 ($size bytes) has debug sections: $sections"
  exit 1
fi
"$1" --version >/dev/null
echo "$1: $size bytes, no debug sections"
