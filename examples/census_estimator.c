/* The census income recipes of TensorFlow's samples with tfc's canned
 * estimators: LinearClassifier (FTRL), DNNClassifier (Adagrad, hidden layers
 * 100-70-49-34) or DNNLinearCombinedClassifier (wide & deep), trained on
 * adult.data and evaluated on all of adult.test.
 *
 *   census_estimator [--model linear|dnn|wide_deep] [--steps N] [--batch-size N] ...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/census_model.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: census_estimator [flags]\n"
            "  --train-files PATTERN   training CSV (default <data>/adult.data)\n"
            "  --eval-files PATTERN    evaluation CSV (default <data>/adult.test)\n"
            "  --model M               linear, dnn or wide_deep (default wide_deep)\n"
            "  --steps N               training steps (default: linear 5000, dnn 1000, wide_deep 3000)\n"
            "  --batch-size N          training batch size (default 40)\n"
            "  --eval-batch-size N     evaluation batch size (default 1000)\n"
            "  --linear-lr X           FTRL learning rate (default: linear 0.2, wide & deep 0.05)\n"
            "  --dnn-lr X              Adagrad learning rate (default 0.05)\n"
            "  --seed S                graph and shuffle seed (default 0)\n"
            "  --model-dir DIR         model directory (default: a new temporary one, removed)\n"
            "  --export-dir BASE       also export the model under BASE/<timestamp>\n"
            "  --threads N             threads, 0 = all cores (default 0)\n"
            "  --stream                read the training CSV while training (default: read it into\n"
            "                          memory once, as tf.data's cache() does)\n"
            "  --verbose               print the training log\n"
            "Data: $TFC_SHARED_DATA/census or the repository's ../shared/data/census.\n");
}

static void log_to_stderr(tfc_log_level level, const char *msg, void *arg)
{
    (void)arg;
    if (level >= TFC_LOG_INFO) fprintf(stderr, "%s\n", msg);
}

static int fail(const char *what)
{
    fprintf(stderr, "census_estimator: %s: %s\n", what, tfc_last_error());
    return 1;
}

static int rm_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

int main(int argc, char **argv)
{
    char train_default[4200], eval_default[4200];
    snprintf(train_default, sizeof train_default, "%s/adult.data", census_data_dir());
    snprintf(eval_default, sizeof eval_default, "%s/adult.test", census_data_dir());
    const char *train_files = train_default, *eval_files = eval_default, *model = "wide_deep";
    const char *model_dir = NULL, *export_dir = NULL;
    long steps = -1, batch = 40, eval_batch = 1000, seed = 0, threads = 0;
    double linear_lr = 0, dnn_lr = 0.05;
    int verbose = 0, stream = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool v = i + 1 < argc;
        if (v && !strcmp(a, "--train-files")) train_files = argv[++i];
        else if (v && !strcmp(a, "--eval-files")) eval_files = argv[++i];
        else if (v && !strcmp(a, "--model")) model = argv[++i];
        else if (v && !strcmp(a, "--steps")) steps = atol(argv[++i]);
        else if (v && !strcmp(a, "--batch-size")) batch = atol(argv[++i]);
        else if (v && !strcmp(a, "--eval-batch-size")) eval_batch = atol(argv[++i]);
        else if (v && !strcmp(a, "--linear-lr")) linear_lr = atof(argv[++i]);
        else if (v && !strcmp(a, "--dnn-lr")) dnn_lr = atof(argv[++i]);
        else if (v && !strcmp(a, "--seed")) seed = atol(argv[++i]);
        else if (v && !strcmp(a, "--model-dir")) model_dir = argv[++i];
        else if (v && !strcmp(a, "--export-dir")) export_dir = argv[++i];
        else if (v && !strcmp(a, "--threads")) threads = atol(argv[++i]);
        else if (!strcmp(a, "--verbose")) verbose = 1;
        else if (!strcmp(a, "--stream")) stream = 1;
        else {
            if (strcmp(a, "--help") != 0) fprintf(stderr, "census_estimator: unknown flag or missing value: %s\n", a);
            usage();
            return strcmp(a, "--help") == 0 ? 0 : 2;
        }
    }
    tfc_estimator_model kind = !strcmp(model, "linear")      ? TFC_MODEL_LINEAR
                               : !strcmp(model, "dnn")       ? TFC_MODEL_DNN
                               : !strcmp(model, "wide_deep") ? TFC_MODEL_DNN_LINEAR_COMBINED
                                                             : (tfc_estimator_model)-1;
    if ((int)kind < 0 || batch < 1 || eval_batch < 1 || threads < 0 || steps == 0 || steps < -1) {
        fprintf(stderr, "census_estimator: bad --model, --steps, --batch-size or --threads\n");
        usage();
        return 2;
    }
    if (steps < 0) steps = kind == TFC_MODEL_LINEAR ? 5000 : kind == TFC_MODEL_DNN ? 1000 : 3000;
    if (linear_lr <= 0) linear_lr = kind == TFC_MODEL_LINEAR ? 0.2 : 0.05;
    if (verbose) tfc_set_log_callback(log_to_stderr, NULL);

    census_model cm;
    if (census_model_init(&cm, train_files)) return fail("reading the training data");
    char tmp_dir[4200] = "";
    if (!model_dir) {
        const char *t = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof tmp_dir, "%s/census_model_XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmp_dir)) {
            perror("census_estimator: mkdtemp");
            return 1;
        }
        model_dir = tmp_dir;
    }

    /* The census samples' recipe (see the top of this file). */
    int64_t hidden[4] = {100, 70, 49, 34};
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    o.model = kind;
    o.linear_feature_columns = (const tfc_feature_column *const *)(kind == TFC_MODEL_LINEAR ? cm.linear : cm.wide);
    o.n_linear_feature_columns = kind == TFC_MODEL_LINEAR ? cm.n_linear : cm.n_wide;
    o.dnn_feature_columns = (const tfc_feature_column *const *)cm.deep;
    o.n_dnn_feature_columns = cm.n_deep;
    o.hidden_units = hidden;
    o.n_hidden_units = 4;
    o.linear_optimizer.kind = TFC_OPTIMIZER_FTRL;
    o.linear_optimizer.learning_rate = linear_lr;
    o.dnn_optimizer.kind = TFC_OPTIMIZER_ADAGRAD;
    o.dnn_optimizer.learning_rate = dnn_lr;
    static const char *const classes[2] = {"<=50K", ">50K"};
    o.label_vocabulary = classes;
    o.label_vocabulary_size = 2;
    o.config.model_dir = model_dir;
    o.config.tf_random_seed = seed + 1;
    o.config.save_checkpoints_steps = steps; /* one checkpoint at the end, as a timed run wants */
    o.config.num_threads = (int)threads;
    tfc_estimator *e;
    if (tfc_estimator_new(&o, &e)) return fail("making the estimator");

    tfc_input *train;
    if (stream) {
        tfc_csv_reader_options tro = TFC_CSV_READER_OPTIONS_INIT;
        tro.batch_size = batch;
        tro.num_epochs = 0; /* steps decide */
        tro.shuffle_buffer_size = 40000;
        tro.seed = (uint64_t)seed;
        if (tfc_input_from_csv(cm.schema, &train_files, 1, &tro, "income_bracket", &train))
            return fail("opening the training data");
    } else if (census_input_in_memory(&cm, train_files, batch, 0, 1, (uint64_t)seed, &train)) {
        return fail("reading the training data");
    }
    tfc_csv_reader_options ero = TFC_CSV_READER_OPTIONS_INIT;
    ero.batch_size = eval_batch;
    tfc_input *eval;
    if (tfc_input_from_csv(cm.schema, &eval_files, 1, &ero, "income_bracket", &eval))
        return fail("opening the evaluation data");

    if (tfc_estimator_train(e, train, steps, 0)) return fail("training");
    /* Throughput of the training steps themselves, as the PyTorch side times
     * its loop: without building the graph and saving the checkpoint. */
    tfc_train_stats st = {sizeof st, 0, 0, 0, 0, 0, 0};
    if (tfc_estimator_train_stats(e, &st)) return fail("reading the training statistics");
    double train_s = st.step_seconds, call_s = st.seconds;
    tfc_eval_results *r;
    if (tfc_estimator_evaluate(e, eval, 0, NULL, &r)) return fail("evaluating");
    printf("census %s: %ld steps of %ld examples in %.3f s (%.3f s with graph building and checkpoints)\n",
           model, steps, batch, train_s, call_s);
    for (int i = 0; i < tfc_eval_results_count(r); i++)
        printf("  %-22s %.6g\n", tfc_eval_results_name(r, i), tfc_eval_results_value(r, i));
    double acc = 0, auc = 0;
    tfc_eval_results_get(r, "accuracy", &acc);
    tfc_eval_results_get(r, "auc", &auc);
    printf("RESULT accuracy %.6f\n", acc);
    printf("RESULT auc %.6f\n", auc);
    printf("RESULT train_seconds %.6f\n", train_s);
    printf("RESULT train_call_seconds %.6f\n", call_s);
    printf("RESULT train_examples_per_sec %.1f\n", (double)st.examples / train_s);
    tfc_eval_results_free(r);
    if (export_dir) {
        char *path;
        if (tfc_estimator_export(e, export_dir, &path)) return fail("exporting");
        printf("RESULT export_path %s\n", path);
        tfc_string_free(path);
    }
    tfc_input_free(train);
    tfc_input_free(eval);
    tfc_estimator_free(e);
    census_model_free(&cm);
    if (tmp_dir[0] && rm_tree(tmp_dir) != 0) fprintf(stderr, "census_estimator: could not remove %s\n", tmp_dir);
    return 0;
}
