#!/bin/sh
# Checks that every public header compiles cleanly on its own and together
# with the others, as C99, C11 and C++11, with warnings as errors.
#
#   tests/abi/check_headers.sh HEADERDIR
#
# HEADERDIR is include/tfc (or include/, which holds tfc/). Each header is
# compiled in its own translation unit (so it must include what it uses) and
# twice in a row (include guards); then all of them plus tfc.h in one unit.
# Environment: CC (default gcc), CXX (default g++).
set -eu

[ $# -eq 1 ] || { echo "usage: $0 HEADERDIR" >&2; exit 2; }
hdir=$1
[ -d "$hdir/tfc" ] && hdir=$hdir/tfc
[ -f "$hdir/tfc.h" ] || { echo "check_headers: no tfc.h in $hdir" >&2; exit 2; }
incdir=$(cd "$hdir/.." && pwd)
cc=${CC:-gcc}
cxx=${CXX:-g++}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name | compiler | flags | source suffix
configs="c99|$cc|-std=c99 -Wall -Wextra -Werror -pedantic -Wstrict-prototypes|c
c11|$cc|-std=c11 -Wall -Wextra -Werror -pedantic -Wstrict-prototypes|c
c++11|$cxx|-std=c++11 -Wall -Wextra -Werror|cpp"

# One unit per header, then one with everything.
units=
for h in "$hdir"/*.h; do
    name=$(basename "$h" .h)
    printf '#include "tfc/%s.h"\n#include "tfc/%s.h"\nint tfc_check_unit_%s;\n' "$name" "$name" "$name" \
        >"$tmp/one_$name.h.in"
    units="$units one_$name"
done
{
    for h in "$hdir"/*.h; do printf '#include "tfc/%s"\n' "$(basename "$h")"; done
    printf '#include "tfc/tfc.h"\n'
    printf 'int main(void) { return tfc_version_number() == TFC_VERSION_NUMBER ? 0 : 1; }\n'
} >"$tmp/all.h.in"
units="$units all"

failed=0
total=0
for u in $units; do
    echo "$configs" | while IFS='|' read -r cname comp flags suffix; do
        cp "$tmp/$u.h.in" "$tmp/$u.$suffix"
        # shellcheck disable=SC2086
        if ! "$comp" $flags -I"$incdir" -c "$tmp/$u.$suffix" -o "$tmp/$u.$cname.o" >"$tmp/log" 2>&1; then
            echo "FAIL: $cname ($comp $flags): $(sed -n 's/^#include "\(tfc\/[^"]*\)"$/\1/p' "$tmp/$u.h.in" |
                head -1)$( [ "$u" = all ] && echo ' and all the others')"
            sed 's/^/    /' "$tmp/log"
            echo x >>"$tmp/failures"
        fi
        echo x >>"$tmp/count"
    done
done
[ -f "$tmp/count" ] && total=$(wc -l <"$tmp/count")
[ -f "$tmp/failures" ] && failed=$(wc -l <"$tmp/failures")
if [ "$failed" -ne 0 ]; then
    echo "check_headers: $failed of $total compilations failed"
    exit 1
fi
echo "check_headers: OK ($total compilations: each header alone and all together, as C99, C11 and C++11)"
