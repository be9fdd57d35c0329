#!/usr/bin/env bash
# tfc train, evaluate and export end to end.
#   bash test_train.sh TFC_EXE SOURCE_ROOT
# A small generated data set exercises every kind of feature column, gzip,
# globs and streaming; then the census wide & deep spec (train, resume,
# evaluate, export, the linear and dnn models, epochs, the progress line)
# and the Boston regressor spec run on ../shared/data (or $TFC_SHARED_DATA),
# skipped with a note when the data is absent.
set -u
source "$(dirname "$0")/lib.sh" train "$@"
# metric NAME: the value printed for NAME in $TMP/out.
metric() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/out"; }

# ---- Every feature column kind on generated data ----------------------------
SYN=$TMP/syn
mkdir -p "$SYN/data"
awk 'BEGIN { srand(7); print "id;color;size;count;w;cls";
    for (i = 0; i < 600; i++) {
        c = i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue"; s = rand() * 10; n = int(rand() * 5);
        cls = c == "red" ? "A" : s > 5 ? "B" : "C";
        printf "%d;%s;%.3f;%d;%.2f;%s\n", i, c, s, n, 0.5 + rand(), cls } }' >"$SYN/data/part1.csv"
head -1 "$SYN/data/part1.csv" >"$SYN/data/part2.csv"
tail -n 200 "$SYN/data/part1.csv" >>"$SYN/data/part2.csv"
gzip "$SYN/data/part2.csv"
printf 'red\ngreen\nblue\n' >"$SYN/colors.txt"
cat >"$SYN/spec.json" <<'EOF'
{
  "description": "every feature column kind",
  "csv": {"delimiter": ";", "header_lines": 1},
  "columns": [
    {"name": "id", "type": "int"},
    {"name": "color", "type": "string", "default": ""},
    {"name": "size", "type": "float", "default": 0},
    {"name": "count", "type": "int", "default": "0"},
    {"name": "w", "type": "float"},
    {"name": "cls", "type": "string"}
  ],
  "label": {"column": "cls", "vocabulary": ["A", "B", "C"]},
  "weight_column": "w",
  "feature_columns": [
    {"type": "vocabulary_file", "key": "color", "path": "colors.txt", "num_oov_buckets": 2},
    {"name": "color_list", "type": "vocabulary_list", "key": "color", "vocabulary": ["red", "blue"], "default_value": 0},
    {"name": "color_hash", "type": "hash_bucket", "key": "color", "hash_bucket_size": 7},
    {"type": "identity", "key": "count", "num_buckets": 5, "default_value": 0},
    {"name": "size", "type": "numeric", "key": "size", "normalize": "standardize"},
    {"name": "size_fixed", "type": "numeric", "key": "size", "mean": 5, "stddev": 2.9},
    {"name": "size_buckets", "type": "bucketized", "source": {"type": "numeric", "key": "size"},
     "boundaries": [2.5, 5, 7.5]},
    {"name": "color_x_size", "type": "crossed", "keys": ["color", "size_buckets", "count"],
     "hash_bucket_size": 50, "hash_key": 12345},
    {"name": "count_weighted", "type": "weighted", "categorical": "count", "weight_key": "size"}
  ],
  "wide": ["color", "color_list", "color_hash", "size_buckets", "color_x_size", "count_weighted"],
  "deep": [
    {"type": "embedding", "categorical": "color", "dimension": 3, "combiner": "sqrtn"},
    {"type": "indicator", "categorical": "count"},
    {"type": "embedding", "categorical": "count_weighted", "combiner": "sum"},
    "size", "size_fixed", "size_buckets"
  ],
  "model": {"hidden_units": [8, 4], "activation": "tanh", "dropout": 0.1,
            "dnn_optimizer": {"type": "adam", "learning_rate": 0.01},
            "linear_optimizer": {"type": "sgd", "learning_rate": 0.1}}
}
EOF
# Globs and gzip; a relative vocabulary file is found next to the spec.
(cd "$TMP" && "$TFC" train --spec syn/spec.json --train-files 'syn/data/*.csv*' --eval-files syn/data/part1.csv \
    --job-dir syn/job --train-steps 200 --eval-steps 0 --seed 3 >"$TMP/out" 2>"$TMP/err") ||
    fail "training the generated data set"
has "$TMP/out" "Final evaluation at global step 200"
acc=$(metric accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.9) }' || fail "generated data: accuracy $acc, expected > 0.9"
has "$TMP/out" "Exported the model to syn/job/export/"
# The statistics and the vocabulary file's absolute path are kept in the job directory.
grep -q '"stddev"' "$SYN/job/tfc_spec.json" || fail "tfc_spec.json lacks the computed statistics"
grep -q "\"path\": \"/.*colors.txt\"" "$SYN/job/tfc_spec.json" || fail "tfc_spec.json lacks the vocabulary's path"
# Evaluate from another directory: nothing but the job directory is needed.
(cd / && "$TFC" evaluate --job-dir "$SYN/job" --eval-files "$SYN/data/part1.csv" >"$TMP/out" 2>"$TMP/err") ||
    fail "evaluate from another directory"
has "$TMP/out" "Evaluation at global step 200"
# The same seed trains the same model.
for k in 1 2; do
    run 0 train --spec "$SYN/spec.json" --train-files "$SYN/data/part1.csv" --eval-files "$SYN/data/part1.csv" \
        --job-dir "$SYN/seed$k" --train-steps 50 --seed 9 --threads 1
    sed -n '/^Final evaluation/,/^Exported/p' "$TMP/out" | grep -v '^Exported' >"$TMP/seed$k"
done
[ -s "$TMP/seed1" ] && cmp -s "$TMP/seed1" "$TMP/seed2" || fail "two runs with --seed 9 evaluate differently"
# Streamed instead of cached, two epochs of 800 rows in batches of 40 = 40 steps.
TFC_TRAIN_CACHE_MAX_BYTES=0 run 0 train --spec "$SYN/spec.json" --train-files "$SYN/data/part1.csv,$SYN/data/part2.csv.gz" \
    --job-dir "$SYN/stream" --num-epochs 2
has "$TMP/out" "global step 40"
exists "$SYN/stream/model.ckpt-40.tfc"
# The other model types read one part each.
for m in linear dnn; do
    run 0 train --spec "$SYN/spec.json" --train-files "$SYN/data/part1.csv" --job-dir "$SYN/$m" --model "$m" \
        --train-steps 20
    grep -q "\"model\": \"$m\"" "$SYN/$m/tfc_train.json" || fail "$m: tfc_train.json does not record the model type"
done

# ---- Census and Boston ---------------------------------------------------------------
if [ ! -f "$DATA/census/adult.data" ] || [ ! -f "$DATA/boston/boston_train.csv" ]; then
    echo "skipping the census and Boston parts: ../shared/data not found ($DATA)"
    exit 0
fi
C=$DATA/census
J=$TMP/census
run 0 train --spec "$SRC/examples/census/spec.json" --train-files "$C/adult.data" --eval-files "$C/adult.test" \
    --job-dir "$J" --train-steps 200 --eval-steps 25
has "$TMP/out" "Final evaluation at global step 200"
for k in accuracy accuracy_baseline auc auc_precision_recall average_loss label/mean loss precision \
    prediction/mean recall; do
    [ -n "$(metric "$k")" ] || fail "census: no $k in the final metrics"
done
acc=$(metric accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.78 && a <= 1) }' || fail "census: accuracy $acc after 200 steps"
has "$TMP/err" "loss = "
exists "$J/checkpoint"
exists "$J/model.ckpt-200.tfc"
ls "$J"/events.out.tfevents.* >/dev/null 2>&1 || fail "no training event file"
ls "$J"/eval/events.out.tfevents.* >/dev/null 2>&1 || fail "no evaluation event file"
export1=$(sed -n 's/^Exported the model to //p' "$TMP/out")
[ -n "$export1" ] || fail "no export path printed"
case "$export1" in "$J"/export/[0-9]*) ;; *) fail "export path $export1 is not $J/export/<timestamp>" ;; esac
exists "$export1/saved_model.pb"
exists "$export1/variables/variables.tfc"
exists "$export1/assets/spec.json"
ls -a "$J/export" | grep -q '^\.tmp' && fail "a temporary export directory was left behind"
grep -q '"global_step": 200' "$J/tfc_result.json" || fail "tfc_result.json lacks the global step"
grep -q '"accuracy"' "$J/tfc_result.json" || fail "tfc_result.json lacks the metrics"
grep -q '"hidden_units"' "$J/tfc_train.json" || fail "tfc_train.json lacks the hidden units"
# The census sample's layer sizes: max(2, int(100 * 0.7**i)) for 4 layers.
[ "$(tr -d ' \n' <"$J/tfc_train.json" | grep -o '"hidden_units":\[[0-9,]*\]')" = '"hidden_units":[100,70,48,34]' ] ||
    fail "hidden units are not [100, 70, 48, 34]"

# Resume: the same job directory, more steps, no other flag (they are stored).
run 0 train --job-dir "$J" --train-steps 300
has "$TMP/err" "Restored from .*model.ckpt-200.tfc at global step 200"
has "$TMP/out" "Trained 100 steps"
has "$TMP/out" "Final evaluation at global step 300"
exists "$J/model.ckpt-300.tfc"
[ "$(ls "$J/export" | wc -l)" -eq 2 ] || fail "expected two exports after the restart"
# Nothing left to do: evaluates and exports what is there.
run 0 train --job-dir "$J" --train-steps 300
has "$TMP/out" "Nothing to train: the global step is already 300"
# Another model shape on the same job directory is refused before anything is written.
run 2 train --job-dir "$J" --train-steps 400 --first-layer-size 50
has "$TMP/err" "holds a model of another shape"
[ ! -e "$J/model.ckpt-400.tfc" ] || fail "a refused restart trained"

# Evaluate and export the job directory without the training flags.
run 0 evaluate --job-dir "$J" --eval-steps 50
has "$TMP/out" "Evaluation at global step 300"
[ -n "$(metric auc)" ] || fail "evaluate printed no auc"
run 0 evaluate --job-dir "$J" --eval-files "$C/adult.test" --eval-steps 10 --name test
ls "$J"/eval_test/events.out.tfevents.* >/dev/null 2>&1 || fail "evaluate --name wrote no eval_test events"
run 0 export --job-dir "$J"
export2=$(cat "$TMP/out")
exists "$export2/saved_model.pb"
exists "$export2/assets/spec.json"
run 0 export --job-dir "$J" --export-dir "$TMP/exports"
exists "$(cat "$TMP/out")/saved_model.pb"

# The linear and dnn models of the census spec; epochs (32,561 rows in batches of 1000 = 33 steps).
run 0 train --spec "$SRC/examples/census/spec.json" --train-files "$C/adult.data" --job-dir "$TMP/linear" \
    --model linear --train-steps 50
exists "$TMP/linear/model.ckpt-50.tfc"
run 0 train --spec "$SRC/examples/census/spec.json" --train-files "$C/adult.data" --job-dir "$TMP/dnn" \
    --model dnn --num-epochs 1 --train-batch-size 1000 --num-layers 2 --embedding-size 4
has "$TMP/out" "global step 33"
tr -d ' \n' <"$TMP/dnn/tfc_train.json" | grep -q '"hidden_units":\[100,70\],"embedding_size":4' ||
    fail "dnn: hidden units or embedding size not recorded"

# On a terminal: a live progress line with the step, loss, steps/s and ETA.
if script -qc true /dev/null >/dev/null 2>&1; then
    script -qc "'$TFC' train --spec '$SRC/examples/census/spec.json' --train-files '$C/adult.data' \
        --job-dir '$TMP/tty' --train-steps 300" "$TMP/tty.log" >/dev/null 2>&1 </dev/null || fail "train on a terminal"
    grep -q $'\r\033\\[Kstep [0-9]*/300 \\[' "$TMP/tty.log" || fail "no progress line on a terminal"
    grep -q 'steps/s' "$TMP/tty.log" || fail "the progress line lacks steps/s"
    grep -q 'ETA' "$TMP/tty.log" || fail "the progress line lacks the ETA"
    grep -q 'INFO: loss = ' "$TMP/tty.log" && fail "a terminal shows loss log lines instead of the progress line"
else
    echo "note: script(1) is not usable here: the progress line is not tested"
fi

# Boston: a regressor, evaluated on the test file.
B=$DATA/boston
run 0 train --spec "$SRC/examples/boston/spec.json" --train-files "$B/boston_train.csv" \
    --eval-files "$B/boston_test.csv" --job-dir "$TMP/boston" --train-steps 300 --eval-steps 0
has "$TMP/out" "Final evaluation at global step 300"
loss=$(metric average_loss)
awk -v l="$loss" 'BEGIN { exit !(l > 0 && l < 200) }' || fail "boston: average_loss $loss"
[ -z "$(metric accuracy)" ] || fail "a regressor printed an accuracy"
grep -q '"hidden_units": \[' "$TMP/boston/tfc_train.json" &&
    tr -d ' \n' <"$TMP/boston/tfc_train.json" | grep -q '"hidden_units":\[64,64\]' ||
    fail "boston: the spec's hidden units [64, 64] were not used"
# Epochs: 404 rows, 2 epochs in batches of 40 = 21 steps (batches run across epochs).
run 0 train --spec "$SRC/examples/boston/spec.json" --train-files "$B/boston_train.csv" --job-dir "$TMP/boston2" \
    --num-epochs 2 --model dnn
has "$TMP/out" "global step 21"
echo "ok"
