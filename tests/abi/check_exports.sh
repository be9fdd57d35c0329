#!/bin/sh
# Checks the dynamic symbols a shared libtfc exports against the public headers.
#
#   tests/abi/check_exports.sh [--strict] LIBPATH HEADERDIR
#
# HEADERDIR is include/tfc (or include/, which holds tfc/). Fails (exit 1) and
# lists the offenders when the library exports
#   - a symbol not starting with tfc_ (a leaked internal or dependency), or
#   - a tfc_ symbol that no public header declares with TFC_API.
# A TFC_API function the library does not export is a warning, and a failure
# only with --strict (families are still being implemented).
set -eu

strict=0
args=
for a in "$@"; do
    case $a in
    --strict) strict=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) args="$args $a" ;;
    esac
done
# shellcheck disable=SC2086
set -- $args
[ $# -eq 2 ] || { echo "usage: $0 [--strict] LIBPATH HEADERDIR" >&2; exit 2; }
lib=$1
hdir=$2
[ -d "$hdir/tfc" ] && hdir=$hdir/tfc
[ -f "$lib" ] || { echo "check_exports: no library at $lib" >&2; exit 2; }
ls "$hdir"/*.h >/dev/null 2>&1 || { echo "check_exports: no headers in $hdir" >&2; exit 2; }
command -v nm >/dev/null 2>&1 || { echo "check_exports: nm not found (binutils)" >&2; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Exported, defined symbols; drop the @@VERSION suffix and the absolute
# version-node symbols (type A, e.g. TFC_0) that a version script adds.
nm -D --defined-only "$lib" | awk '$2 != "A" && NF >= 3 {print $3}' | sed 's/@.*//' | sort -u >"$tmp/exported"
[ -s "$tmp/exported" ] || { echo "check_exports: $lib exports nothing (not a shared library?)" >&2; exit 1; }

# TFC_API declarations: strip comments and preprocessor lines, join each
# header into one line, split into declarations at ';', and take the
# identifier before the first '(' (or the last identifier for data).
for h in "$hdir"/*.h; do
    # Block comments go first, with newlines kept as \001 so that // comments
    # can then be cut line by line.
    grep -v '^[[:space:]]*#' "$h" | tr '\n' '\001' |
        sed 's:/\*[^*]*\*\{1,\}\([^/*][^*]*\*\{1,\}\)*/: :g' | tr '\001' '\n' |
        sed 's://.*$::' | tr '\n' ' ' |
        tr ';' '\n' | grep 'TFC_API' | sed 's/.*TFC_API//' |
        awk '{
            s = $0
            p = index(s, "(")
            if (p > 0) s = substr(s, 1, p - 1)
            gsub(/[^A-Za-z0-9_]+/, " ", s)
            n = split(s, w, " ")
            if (n > 0) print w[n]
        }'
done | sort -u >"$tmp/declared"

status=0
grep -v '^tfc_' "$tmp/exported" >"$tmp/foreign" || true
if [ -s "$tmp/foreign" ]; then
    echo "FAIL: $lib exports $(wc -l <"$tmp/foreign") symbol(s) without the tfc_ prefix:"
    sed 's/^/    /' "$tmp/foreign"
    status=1
fi
grep '^tfc_' "$tmp/exported" | comm -23 - "$tmp/declared" >"$tmp/undeclared" || true
if [ -s "$tmp/undeclared" ]; then
    echo "FAIL: $lib exports $(wc -l <"$tmp/undeclared") tfc_ symbol(s) no public header declares with TFC_API:"
    sed 's/^/    /' "$tmp/undeclared"
    status=1
fi
comm -13 "$tmp/exported" "$tmp/declared" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
    if [ $strict -eq 1 ]; then
        echo "FAIL: $(wc -l <"$tmp/missing") TFC_API function(s) declared in $hdir but not exported by $lib:"
        status=1
    else
        echo "WARNING: $(wc -l <"$tmp/missing") TFC_API function(s) declared in $hdir but not exported by $lib" \
            "(a failure with --strict):"
    fi
    sed 's/^/    /' "$tmp/missing"
fi
echo "check_exports: $(wc -l <"$tmp/exported") exported, $(wc -l <"$tmp/declared") declared with TFC_API"
[ $status -eq 0 ] && echo "check_exports: OK"
exit $status
