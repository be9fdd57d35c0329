#!/bin/sh
# Writes the ABI baseline (abi/libtfc.abi) of a built libtfc.so with abidw.
#
#   abi/update-baseline.sh LIBPATH [OUTFILE]      OUTFILE defaults to abi/libtfc.abi
#
# The baseline is what abi/check.sh compares every build against, so
# updating it is a deliberate decision, never a way to make check.sh pass:
#
#   1. Build the library with debug info (abidw reads types from DWARF; a
#      library without it would only record symbol names):
#        meson setup build-abi -Dbuildtype=debugoptimized
#        ninja -C build-abi src/libtfc.so.0.1.0      (or just ninja -C build-abi)
#   2. See what changed against the current baseline:
#        abi/check.sh build-abi/src/libtfc.so
#      Additions are compatible. Anything else (removed or changed functions,
#      changed public struct layouts or enum values) breaks users built against
#      the old library: only accept it together with a soversion bump in
#      src/meson.build and a new version node in src/libtfc.map.
#   3. Regenerate and commit the baseline in the same commit as the change:
#        abi/update-baseline.sh build-abi/src/libtfc.so
#        git add abi/libtfc.abi
#
# Only types reachable from the public headers (include/tfc) are recorded;
# internal structs behind opaque pointers may change freely. Paths and
# compilation directories are left out so the file does not depend on where
# the tree was built.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 LIBPATH [OUTFILE]" >&2; exit 2; fi
root=$(cd "$(dirname "$0")/.." && pwd)
lib=$1
out=${2:-$root/abi/libtfc.abi}
headers=$root/include/tfc

command -v abidw >/dev/null 2>&1 || { echo "update-baseline: abidw not found (Debian: abigail-tools)" >&2; exit 1; }
[ -f "$lib" ] || { echo "update-baseline: no library at $lib" >&2; exit 1; }
if ! readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
    echo "update-baseline: $lib has no debug info; build with -Dbuildtype=debugoptimized (or debug)" >&2
    exit 1
fi

tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
abidw --headers-dir "$headers" --drop-private-types --no-corpus-path --no-comp-dir-path --short-locs \
    --out-file "$tmp" "$lib"
mv "$tmp" "$out"
trap - EXIT
echo "update-baseline: wrote $out ($(grep -c '<elf-symbol ' "$out") exported symbols) from $lib"
