#!/bin/sh
# Builds every fuzz target (fuzz/fuzz_*.c: IDX files, CSV and JSON lines, batch-prediction instances,
# graphs, exported models, checkpoints, event files) with clang + libFuzzer + ASan + UBSan and runs each.
#
#   fuzz/build.sh [SECONDS [TARGET...]]   SECONDS per target, default 30; 0 = build only
#
# Environment: FUZZ_OUT (build/work directory, default build-fuzz in the source
# tree), FUZZ_JOBS (parallel compiles, default nproc), CC (default clang).
# The library sources are compiled straight from the list in src/meson.build,
# instrumented for coverage, so the build does not depend on a meson build dir.
# The IDX seed corpus (a few valid small files, plain and gzip) is regenerated
# each run; other targets start from their own corpus directory. Inputs
# libFuzzer finds go to $FUZZ_OUT/corpus-TARGET and are kept between runs; a
# crash leaves $FUZZ_OUT/crash-* and makes this script fail.
# Exits 77 (meson's "skipped") when clang or libFuzzer is unavailable.
set -eu

seconds=${1:-30}
case $seconds in *[!0-9]*|'') echo "usage: $0 [SECONDS [TARGET...]]" >&2; exit 2 ;; esac
[ $# -gt 0 ] && shift

root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$root/build-fuzz}
cc=${CC:-clang}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 4)}

skip() { echo "fuzz/build.sh: SKIPPED: $*" >&2; exit 77; }

command -v "$cc" >/dev/null 2>&1 || skip "$cc not found (install clang)"
mkdir -p "$out/obj" "$out/seeds" "$out/corpus"

# libFuzzer ships separately from clang on Debian (libclang-rt-NN-dev).
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' >"$out/probe.c"
"$cc" -fsanitize=fuzzer,address,undefined "$out/probe.c" -o "$out/probe" >/dev/null 2>&1 ||
    skip "$cc cannot link -fsanitize=fuzzer (install libFuzzer, e.g. Debian's libclang-rt-14-dev)"

blas_cflags=$(pkg-config --cflags openblas 2>/dev/null || true)
blas_libs="$(pkg-config --libs openblas 2>/dev/null || echo -lopenblas) $(pkg-config --libs jansson 2>/dev/null || echo -ljansson)"

# The library's sources, read from the meson files under src/: the quoted .c
# names in every "tfc_*sources = files(...)" or "+= files(...)" block, relative
# to that meson file's directory, and the .proto schemas it compiles with
# protoc-c (generated here into $out/gen).
list_quoted() { # FILE EXT: quoted *.EXT names in tfc_*sources files(...) blocks / process(...) calls
    awk -v ext="$2" '
        /^[ \t]*#/ { next }
        ext == "c" && /tfc_[A-Za-z0-9_]*sources *\+?= *files\(/ { on = 1 }
        ext == "proto" && /\.process\(/ { on = 1 }
        on { print }
        on && /\)/ { on = 0 }' "$1" | grep -o "'[^']*\.$2'" | tr -d "'"
}
sources=
protos=
for m in "$root/src/meson.build" "$root"/src/*/meson.build; do
    [ -f "$m" ] || continue
    d=$(dirname "$m")
    for f in $(list_quoted "$m" c); do sources="$sources $d/$f"; done
    for f in $(list_quoted "$m" proto); do protos="$protos $d/$f"; done
done
[ -n "$sources" ] || { echo "fuzz/build.sh: no sources found in src/meson.build" >&2; exit 1; }

extra_cflags=
extra_libs=
if [ -n "$protos" ]; then
    command -v protoc-c >/dev/null 2>&1 || skip "protoc-c not found (Debian: protobuf-c-compiler)"
    rm -rf "$out/gen"
    mkdir -p "$out/gen"
    for p in $protos; do
        protoc-c --proto_path="$(dirname "$p")" --c_out="$out/gen" "$p"
        sources="$sources $out/gen/$(basename "$p" .proto).pb-c.c"
    done
    extra_cflags="-I$out/gen $(pkg-config --cflags libprotobuf-c 2>/dev/null || true)"
    extra_libs=$(pkg-config --libs libprotobuf-c 2>/dev/null || echo -lprotobuf-c)
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -g -O1 -D_GNU_SOURCE -DTFC_BUILDING_LIBRARY -I$root/include -I$root/src $blas_cflags $extra_cflags $san"
cflags="$cflags -fno-omit-frame-pointer"

echo "fuzz/build.sh: compiling $(echo "$sources" | wc -w) library sources with $cc"
# Object names: the path below the tree (or $out) with / turned into _.
objname() { echo "$1" | sed "s|^$out/||; s|^$root/||; s|/|_|g; s|\.c\$|.o|"; }
rm -f "$out"/obj/*.o
objs=
for f in $sources; do objs="$objs $out/obj/$(objname "$f")"; done
# shellcheck disable=SC2016,SC2086
for f in $sources; do printf '%s %s\n' "$f" "$out/obj/$(objname "$f")"; done |
    FUZZ_CC="$cc" FUZZ_CFLAGS="$cflags" xargs -P "$jobs" -n 2 sh -c \
        'exec $FUZZ_CC $FUZZ_CFLAGS -fsanitize=fuzzer-no-link -c "$1" -o "$2"' _

targets=${*:-$(for f in "$root"/fuzz/fuzz_*.c; do basename "$f" .c; done)}
for t in $targets; do
    # shellcheck disable=SC2086
    "$cc" $cflags -fsanitize=fuzzer "$root/fuzz/$t.c" $objs -o "$out/$t" $blas_libs $extra_libs -lz -lm -lpthread
    echo "fuzz/build.sh: built $out/$t"
done

# Seeds: hand-written valid files, one per element type, and gzip copies.
# shellcheck disable=SC2059 # the escapes in the format are the point
seed() { printf "$2" >"$out/seeds/$1"; }
seed ubyte_2x3.idx '\0\0\10\2\0\0\0\2\0\0\0\3\0\1\177\200\310\377'
seed byte_4.idx '\0\0\11\1\0\0\0\4\200\377\0\177'
seed short_2x2.idx '\0\0\13\2\0\0\0\2\0\0\0\2\200\0\377\376\1\2\177\377'
seed int_3.idx '\0\0\14\1\0\0\0\3\200\0\0\0\1\2\3\4\377\377\377\373'
seed float_1x2.idx '\0\0\15\2\0\0\0\1\0\0\0\2\77\300\0\0\276\200\0\0'
seed double_1.idx '\0\0\16\1\0\0\0\1\100\11\41\373\124\104\55\30'
seed empty_0x5.idx '\0\0\15\2\0\0\0\0\0\0\0\5'
seed rank8.idx '\0\0\10\10\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\2\7\11'
if command -v gzip >/dev/null 2>&1; then
    for f in ubyte_2x3 short_2x2 float_1x2 rank8; do
        gzip -n -c "$out/seeds/$f.idx" >"$out/seeds/$f.idx.gz"
    done
fi

[ "$seconds" -gt 0 ] || exit 0
cd "$out"
for t in $targets; do
    mkdir -p "corpus-$t"
    seeds=
    [ "$t" = fuzz_idx ] && seeds="$out/seeds"
    if grep -q TFC_FUZZ_WRITE_SEEDS "$root/fuzz/$t.c"; then # targets that can write their own seeds
        mkdir -p "seeds-$t"
        TFC_FUZZ_WRITE_SEEDS="$out/seeds-$t" ./"$t" -runs=0 >/dev/null 2>&1 || true
        seeds="$out/seeds-$t"
    fi
    echo "fuzz/build.sh: fuzzing $t for $seconds s"
    # -rss_limit_mb / -malloc_limit_mb: readers cap buffers at what the input
    # provides, so any large allocation is itself a bug worth a report.
    # shellcheck disable=SC2086
    ./"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 \
        -print_final_stats=1 -artifact_prefix="$out/$t-" "corpus-$t" $seeds
done
