#!/usr/bin/env bash
# The errors of tfc train, evaluate, export and predict: each exits with its
# documented code (2 usage, 3 not found, 4 malformed input) after one clear
# line on stderr; and --help lists every flag with its default.
#   bash test_errors.sh TFC_EXE SOURCE_ROOT
# Generated data only: nothing here needs ../shared/data.
set -u
source "$(dirname "$0")/lib.sh" errors "$@"
# error RC MESSAGE ARGS...: tfc ARGS exits RC with exactly one line on stderr
# containing MESSAGE (a fixed string) and nothing on stdout. SHOW=1 prints the lines.
error() {
    local want=$1 msg=$2
    shift 2
    run "$want" "$@"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "tfc $*: expected one line on stderr, got $(wc -l <"$TMP/err")"
    [ -n "${SHOW:-}" ] && cat "$TMP/err"
    grep -qF -- "$msg" "$TMP/err" || fail "tfc $*: stderr lacks '$msg'"
    grep -q '^tfc: ' "$TMP/err" || fail "tfc $*: the error line does not start with 'tfc: '"
    [ ! -s "$TMP/out" ] || fail "tfc $*: printed on stdout"
}

# ---- A small data set and spec ---------------------------------------------------
awk 'BEGIN { srand(5); for (i = 0; i < 200; i++) { x = rand() * 4; y = x > 2 ? "yes" : "no";
    printf "%.3f,%s,%s\n", x, i % 2 ? "a" : "b", y } }' >"$TMP/data.csv"
cat >"$TMP/spec.json" <<'EOF'
{
  "columns": [
    {"name": "x", "type": "float"},
    {"name": "tag", "type": "string", "default": ""},
    {"name": "y", "type": "string"}
  ],
  "label": {"column": "y", "vocabulary": ["no", "yes"]},
  "feature_columns": [
    {"type": "numeric", "key": "x"},
    {"type": "vocabulary_list", "key": "tag", "vocabulary": ["a", "b"]},
    {"name": "tag_hash", "type": "hash_bucket", "key": "tag", "hash_bucket_size": 10}
  ],
  "wide": ["tag", {"type": "bucketized", "source": "x", "boundaries": [1, 2, 3]}],
  "deep": ["x", {"type": "indicator", "categorical": "tag"}],
  "model": {"hidden_units": [4]}
}
EOF
D=$TMP/data.csv
S=$TMP/spec.json
train() { run "$1" train --spec "$2" --train-files "$D" --job-dir "$TMP/job$3" --train-steps 5 "${@:4}"; }

# ---- Help: every flag with its default --------------------------------------------
run 0 train --help
for f in --train-files --eval-files --job-dir --spec --model --train-steps --num-epochs --verbose-logging \
    --seed --threads --eval-steps --save-checkpoints-secs --save-checkpoints-steps; do
    has=$(grep -c -- "^  $f" "$TMP/out")
    [ "$has" -eq 1 ] || fail "train --help does not list $f"
done
for fd in "--train-batch-size N .*(default: 40)" "--eval-batch-size N .*(default: 40)" \
    "--embedding-size N .*(default: 8)" "--first-layer-size N .*(default: 100)" "--num-layers N .*(default: 4)" \
    "--scale-factor X .*(default: 0.7)" "--eval-delay-secs S .*(default: 10)" \
    "--min-eval-frequency N .*(default: 1)" "--model TYPE .*(default: wide_deep)"; do
    grep -q -- "$fd" "$TMP/out" || fail "train --help lacks '$fd'"
done
run 0 evaluate --help
for f in --job-dir --eval-files --eval-batch-size --eval-steps --spec --name; do
    grep -q -- "^  $f .*(default: \|^  $f .*(no default)" "$TMP/out" || fail "evaluate --help: $f"
done
run 0 export --help
grep -q -- "--export-dir DIR .*(default: JOB_DIR/export)" "$TMP/out" || fail "export --help: --export-dir"
run 0 predict --help
grep -q -- "--model-dir DIR" "$TMP/out" && grep -q -- "--json-instances FILE" "$TMP/out" || fail "predict --help"

# ---- Usage errors: exit 2 ---------------------------------------------------------------
error 2 "train: unknown flag '--bogus'" train --bogus
error 2 "unknown flag '--trainsteps'" train --spec "$S" --train-files "$D" --job-dir "$TMP/j" --trainsteps 5
error 2 "train: flag --job-dir is required" train --spec "$S" --train-files "$D" --train-steps 5
error 2 "train: flag --train-files is required" train --spec "$S" --job-dir "$TMP/j" --train-steps 5
error 2 "give --train-steps or --num-epochs" train --spec "$S" --train-files "$D" --job-dir "$TMP/j"
error 2 "flag --spec is required" train --train-files "$D" --job-dir "$TMP/j" --train-steps 5
error 2 "flag --train-steps: 'ten' is not an integer" train --spec "$S" --train-files "$D" --job-dir "$TMP/j" \
    --train-steps ten
error 2 "flag --train-batch-size: expected at least 1, got 0" train --spec "$S" --train-files "$D" \
    --job-dir "$TMP/j" --train-steps 5 --train-batch-size 0
error 2 "flag --model: expected linear, dnn or wide_deep, got 'deep'" train --spec "$S" --train-files "$D" \
    --job-dir "$TMP/j" --train-steps 5 --model deep
error 2 "flag --train-steps needs a value" train --spec "$S" --train-files "$D" --job-dir "$TMP/j" --train-steps
error 2 "evaluate: flag --job-dir is required" evaluate
error 2 "predict: flag --json-instances is required" predict --model-dir "$TMP"
error 2 "predict: unknown flag '--model_dir'" predict --model_dir "$TMP"

# ---- Missing files: exit 3 ----------------------------------------------------------------
error 3 "$TMP/none.csv': No such file or directory" train --spec "$S" --train-files "$TMP/none.csv" \
    --job-dir "$TMP/j" --train-steps 5
error 3 "pattern '$TMP/nothing/*.csv' matches no files" train --spec "$S" --train-files "$D" \
    --eval-files "$TMP/nothing/*.csv" --job-dir "$TMP/j" --train-steps 5
error 3 "$TMP/none.json: cannot open the spec: No such file or directory" train --spec "$TMP/none.json" \
    --train-files "$D" --job-dir "$TMP/j" --train-steps 5
[ ! -e "$TMP/j/tfc_train.json" ] || fail "a failed train wrote its options"
sed 's/{"type": "vocabulary_list", "key": "tag", "vocabulary": \["a", "b"\]}/{"type": "vocabulary_file", "key": "tag", "path": "tags.txt"}/' \
    "$S" >"$TMP/vf.json"
error 3 "$TMP/vf.json: \$.feature_columns[1].path: $TMP/tags.txt: No such file or directory" \
    train --spec "$TMP/vf.json" --train-files "$D" --job-dir "$TMP/j" --train-steps 5
error 3 "predict: model directory $TMP/nothing: No such file or directory" predict --model-dir "$TMP/nothing" \
    --json-instances "$TMP/i.json"
error 3 "is neither an export (no saved_model.pb) nor a job directory with exports" predict --model-dir "$TMP" \
    --json-instances "$TMP/i.json"
error 3 "evaluate: job directory $TMP/nothing: No such file or directory" evaluate --job-dir "$TMP/nothing"
error 3 "export: $TMP is not a tfc job directory (no tfc_train.json" export --job-dir "$TMP"

# ---- Bad specs: exit 4, naming the file and the JSON path -----------------------------------
bad_spec() { # bad_spec NAME MESSAGE: the spec $TMP/NAME.json fails with MESSAGE
    error 4 "$TMP/$1.json$2" train --spec "$TMP/$1.json" --train-files "$D" --job-dir "$TMP/j" --train-steps 5
}
sed 's/"tag", "type": "string", "default": ""},/"tag", "type": "string", "default": ""}/' "$S" >"$TMP/syntax.json"
bad_spec syntax ":5:5: invalid JSON: ']' expected near '{'"
sed 's/"name": "tag", "type": "string"/"name": "tag", "type": "str"/' "$S" >"$TMP/type.json"
bad_spec type ": \$.columns[1].type: expected one of int, float, string, got 'str'"
sed 's/"key": "tag", "vocabulary"/"key": "tags", "vocabulary"/' "$S" >"$TMP/key.json"
bad_spec key ": \$.feature_columns[1].key: unknown column 'tags' (not in \$.columns)"
sed 's/"deep": \["x"/"deep": ["xx"/' "$S" >"$TMP/ref.json"
bad_spec ref ": \$.deep[0]: unknown feature column 'xx' (not in \$.feature_columns)"
sed 's/"source": "x"/"source": "tag"/' "$S" >"$TMP/source.json"
bad_spec source ": \$.wide[1].source: expected a numeric column, got a vocabulary_list column"
sed 's/"hash_bucket_size": 10/"hash_buckets": 10/' "$S" >"$TMP/typo.json"
bad_spec typo ": \$.feature_columns[2].hash_buckets: unknown key (expected one of name, type, key, hash_bucket_size)"
sed 's/"deep": \["x", {"type": "indicator", "categorical": "tag"}\]/"deep": ["x", "tag"]/' "$S" >"$TMP/dense.json"
bad_spec dense ": \$.deep[1]: 'tag' is a vocabulary_list column; the deep part needs dense columns"
sed 's/"wide": \["tag",/"wide": [{"type": "crossed", "keys": ["tag_hash", "x"], "hash_bucket_size": 10},/' "$S" \
    >"$TMP/cross.json"
bad_spec cross ": \$.wide[0].keys[0]: a hash bucket column cannot be crossed"
sed 's/"boundaries": \[1, 2, 3\]/"boundaries": [1, 3, 2]/' "$S" >"$TMP/bounds.json"
bad_spec bounds ": \$.wide[1].boundaries[2]: boundaries must increase: 2 follows 3"
sed 's/"column": "y"/"column": "z"/' "$S" >"$TMP/label.json"
bad_spec label ": \$.label.column: unknown column 'z'"
sed 's/"hidden_units": \[4\]/"hidden_units": [0]/' "$S" >"$TMP/hidden.json"
bad_spec hidden ": \$.model.hidden_units[0]: expected a layer width from 1 to 1000000, got 0"
sed 's/"key": "x"}/"key": "x", "normalize": "standardise"}/' "$S" >"$TMP/norm.json"
bad_spec norm ": \$.feature_columns[0].normalize: expected one of none, standardize, got 'standardise'"
echo '["not", "an", "object"]' >"$TMP/array.json"
bad_spec array ": \$: expected an object, got an array"
sed 's/"feature_columns": \[/"feature_columns": [{"name": "loop", "type": "indicator", "categorical": "loop"},/' \
    "$S" >"$TMP/cycle.json"
bad_spec cycle ": \$.feature_columns[0].categorical: 'loop' refers to itself"

# ---- Bad data: exit 4, naming the file and line -----------------------------------------------
{ head -5 "$D"; echo "1.5,a,maybe"; } >"$TMP/badlabel.csv"
error 4 "$TMP/badlabel.csv:6: column 3 'y': label 'maybe' is not in the label vocabulary" train --spec "$S" \
    --train-files "$TMP/badlabel.csv" --job-dir "$TMP/j" --train-steps 5
{ head -3 "$D"; echo "abc,a,no"; } >"$TMP/badnum.csv"
error 4 "$TMP/badnum.csv:4: column 1 'x'" train --spec "$S" --train-files "$TMP/badnum.csv" --job-dir "$TMP/j" \
    --train-steps 5

# ---- A trained model: bad instances, refused restarts -------------------------------------------
train 0 "$S" 1
printf '%s\n' '{"x": 1.5, "tag": "a"}' '{"x": 2.5}' >"$TMP/good.json"
run 0 predict --model-dir "$TMP/job1" --json-instances "$TMP/good.json"
[ "$(wc -l <"$TMP/out")" -eq 2 ] || fail "two good instances did not give two lines"
error 3 "predict: $TMP/none.json: cannot open" predict --model-dir "$TMP/job1" --json-instances "$TMP/none.json"
printf '%s\n' '{"x": 1.5, "tag": "a"}' '{"x": "high", "tag": "a"}' >"$TMP/i1.json"
error 4 "predict: $TMP/i1.json:2: \$.x: expected a number, got a string" predict --model-dir "$TMP/job1" \
    --json-instances "$TMP/i1.json"
printf '%s\n' '{"tag": "a"}' >"$TMP/i2.json"
error 4 "$TMP/i2.json:1: \$.x: feature 'x' is missing and has no default" predict --model-dir "$TMP/job1" \
    --json-instances "$TMP/i2.json"
printf '%s\n' '{"x": 1, "tag": "a"}' '' '{"x": 1, "colour": "red"}' >"$TMP/i3.json"
error 4 "$TMP/i3.json:3: \$.colour: unknown feature" predict --model-dir "$TMP/job1" --json-instances "$TMP/i3.json"
printf '%s\n' '{"x": 1, "tag": "a"' >"$TMP/i4.json"
error 4 "$TMP/i4.json:1: invalid JSON" predict --model-dir "$TMP/job1" --json-instances "$TMP/i4.json"
printf '%s\n' '{"x": 1, "tag": 7}' >"$TMP/i5.json"
error 4 "$TMP/i5.json:1: \$.tag: expected a string, got" predict --model-dir "$TMP/job1" --json-instances "$TMP/i5.json"
: >"$TMP/i6.json"
error 4 "$TMP/i6.json: no instances" predict --model-dir "$TMP/job1" --json-instances "$TMP/i6.json"
# Another model shape on a trained job directory.
error 2 "holds a model of another shape" train --job-dir "$TMP/job1" --train-steps 10 --model dnn
error 2 "holds a model of another shape" train --job-dir "$TMP/job1" --train-steps 10 --embedding-size 3 \
    --num-layers 2
# evaluate without evaluation files (the job had none).
error 2 "evaluate: flag --eval-files is required" evaluate --job-dir "$TMP/job1"
# A job directory whose spec was damaged.
echo '{' >"$TMP/job1/tfc_spec.json"
error 4 "$TMP/job1/tfc_spec.json:2:0: invalid JSON" export --job-dir "$TMP/job1"
echo "ok"
