#!/usr/bin/env bash
# Batch prediction throughput of `tfc jobs submit prediction`: the whole
# census test set (adult.test, 16,281 instances) as JSON lines through an
# exported wide & deep model, JSON results out.
#
#   bench/bench_batch_predict.sh [BUILD_DIR] [RUNS]      (default: build, 7)
#
# Makes the input from ../shared/data/census/adult.test, trains and exports
# the model with BUILD_DIR/examples/census_estimator --model wide_deep, then
# runs the prediction job RUNS times per thread setting and prints the
# instances per second the job measured (reading, parsing, running,
# formatting and writing; the model loads once per job and is reported
# apart) and the wall time of the whole command (process start, registry,
# model load, the job, following its log).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
RUNS=${2:-7}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
TFC=$BUILD/tools/tfc
CENSUS=$BUILD/examples/census_estimator
DATA=${TFC_SHARED_DATA:-$ROOT/../shared/data}/census
for f in "$TFC" "$CENSUS"; do
    [ -x "$f" ] || { echo "bench_batch_predict: $f is missing (ninja -C $BUILD)" >&2; exit 2; }
done
[ -f "$DATA/adult.test" ] || { echo "bench_batch_predict: $DATA/adult.test is missing" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_batch_predict.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export TFC_HOME=$TMP/home

# Every row of adult.test as one JSON object (the label left out).
awk -F', *' 'NF >= 15 {
    printf "{\"age\": %s, \"workclass\": \"%s\", \"fnlwgt\": %s, \"education\": \"%s\", \"education_num\": %s, \"marital_status\": \"%s\", \"occupation\": \"%s\", \"relationship\": \"%s\", \"race\": \"%s\", \"gender\": \"%s\", \"capital_gain\": %s, \"capital_loss\": %s, \"hours_per_week\": %s, \"native_country\": \"%s\"}\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 }' \
    "$DATA/adult.test" >"$TMP/census.json"
N=$(wc -l <"$TMP/census.json")

"$CENSUS" --model wide_deep --export-dir "$TMP/export" >"$TMP/train.log" 2>&1 ||
    { echo "bench_batch_predict: census_estimator failed: $(tail -3 "$TMP/train.log")" >&2; exit 1; }
EXPORT=$(sed -n 's/^RESULT export_path //p' "$TMP/train.log")
AUC=$(sed -n 's/^RESULT auc //p' "$TMP/train.log")

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "recipe: $N census instances (all of adult.test) as JSON lines ($(du -k "$TMP/census.json" | cut -f1) KiB)"
echo "        -> tfc jobs submit prediction --model-dir <census_estimator --model wide_deep export> (auc $AUC)"
echo "        -> prediction.results-00000-of-00001, one JSON object per instance; batch size 1024"
echo "machine: $(nproc) core(s), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "runs: $RUNS per setting (median, best)"
for threads in 1 0; do
    rates=$TMP/rates.$threads walls=$TMP/walls.$threads
    : >"$rates"
    : >"$walls"
    for r in $(seq "$RUNS"); do
        job=b${threads}_$r
        t0=$(now)
        "$TFC" jobs submit prediction "$job" --model-dir "$EXPORT" --input-paths "$TMP/census.json" \
            --output-path "$TMP/out_$job" --threads "$threads" --stream-logs >"$TMP/job.log" 2>&1 ||
            { echo "bench_batch_predict: the job failed: $(tail -3 "$TMP/job.log")" >&2; exit 1; }
        t1=$(now)
        "$TFC" jobs describe "$job" >"$TMP/describe"
        got=$(sed -n 's/^  prediction_count: //p' "$TMP/describe")
        [ "$got" = "$N" ] || { echo "bench_batch_predict: $got results, wanted $N" >&2; exit 1; }
        sed -n 's/^  instances_per_second: //p' "$TMP/describe" >>"$rates"
        echo "$t0 $t1" | awk -v n="$N" '{ print n / ($2 - $1) }' >>"$walls"
        load=$(sed -n 's/^  load_seconds: //p' "$TMP/describe")
        rm -rf "$TMP/out_$job"
    done
    label=$([ "$threads" = 0 ] && echo "$(nproc) threads" || echo "1 thread ")
    printf "%s: job %8.0f instances/s (best %8.0f); whole command %8.0f instances/s (best %8.0f); model load %.3f s\n" \
        "$label" "$(median <"$rates")" "$(sort -g "$rates" | tail -1)" "$(median <"$walls")" \
        "$(sort -g "$walls" | tail -1)" "$load"
    key=$([ "$threads" = 0 ] && echo all_cores || echo one_thread)
    echo "RESULT batch_predict_${key}_instances_per_sec $(median <"$rates")"
    echo "RESULT batch_predict_${key}_command_instances_per_sec $(median <"$walls")"
done
