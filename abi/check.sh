#!/bin/sh
# Compares a built libtfc.so against the ABI baseline with abidiff.
#
#   abi/check.sh LIBPATH [BASELINE]        BASELINE defaults to abi/libtfc.abi
#
# LIBPATH must have debug info (-Dbuildtype=debugoptimized or debug).
# Passes when nothing changed or when functions/variables were only added
# (the additions are printed). Fails on an incompatible change (abidiff exit
# bit 3: removed functions, variables or symbols, soname change) and also on
# any changed function or variable (a parameter, return or public struct type
# changed): abidiff flags those with bit 2 only, like additions, because it
# cannot always prove them harmful, so a human must look.
# Exits 77 (meson's "skipped") when there is no baseline yet or no abidiff.
# To accept a change, see abi/update-baseline.sh.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 LIBPATH [BASELINE]" >&2; exit 2; fi
root=$(cd "$(dirname "$0")/.." && pwd)
lib=$1
base=${2:-$root/abi/libtfc.abi}
headers=$root/include/tfc

command -v abidiff >/dev/null 2>&1 || { echo "abi/check.sh: SKIPPED: abidiff not found (Debian: abigail-tools)" >&2; exit 77; }
[ -f "$base" ] || { echo "abi/check.sh: SKIPPED: no baseline at $base (create one with abi/update-baseline.sh)" >&2; exit 77; }
[ -f "$lib" ] || { echo "abi/check.sh: no library at $lib" >&2; exit 1; }
if ! readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
    echo "abi/check.sh: $lib has no debug info, so types cannot be compared;" \
        "build with -Dbuildtype=debugoptimized (or debug)" >&2
    exit 1
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT
rc=0
abidiff --hd2 "$headers" --drop-private-types --no-corpus-path "$base" "$lib" >"$report" 2>&1 || rc=$?

if [ $((rc & 3)) -ne 0 ]; then
    echo "abi/check.sh: abidiff failed (exit $rc):"
    cat "$report"
    exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
    echo "abi/check.sh: FAIL: incompatible ABI change against $base:"
    cat "$report"
    exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
    # "N Changed" in the function/variable summaries: an existing interface changed.
    changed=$(sed -n 's/^ *\(Functions\|Variables\) changes summary: *[0-9]* Removed, *\([0-9]*\) Changed.*/\2/p' \
        "$report" | awk '{s += $1} END {print s + 0}')
    if [ "$changed" -ne 0 ]; then
        echo "abi/check.sh: FAIL: $changed existing function(s)/variable(s) changed against $base:"
        cat "$report"
        exit 1
    fi
    echo "abi/check.sh: OK, compatible additions only against $base:"
    cat "$report"
    exit 0
fi
echo "abi/check.sh: OK, no ABI change against $base"
