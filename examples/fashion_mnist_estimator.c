/* Fashion-MNIST with a canned DNNClassifier (tf.estimator's DNNClassifier):
 * one numeric feature column "pixels" of shape [784] (values in [0, 1]),
 * hidden layers [256, 128], ten named classes. Trains on the 60,000
 * training images held in memory, evaluates on the 10,000 test images,
 * exports a saved model and classifies a few test images through the
 * export's "serving_default" signature, as a server would.
 *
 *   fashion_mnist_estimator [--data DIR] [--steps N] [--model-dir DIR] ...
 *
 * The model directory (a new temporary one unless --model-dir is given) is
 * kept: it holds the checkpoints, TensorBoard event files ("tensorboard
 * --logdir DIR") and the export.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/mnist_data.h"
#include "tfc/tfc.h"

#define NPIX 784
#define NCLASSES 10
static const char *const CLASS_NAMES[NCLASSES] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                  "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
#define NSHOW 5 /* test images classified through the export */

static int verbose;

static void log_to_stderr(tfc_log_level level, const char *message, void *user_data)
{
    (void)user_data;
    static const char *const names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
    if (level >= TFC_LOG_WARNING || (verbose && level == TFC_LOG_INFO))
        fprintf(stderr, "%s: %s\n", names[level], message);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fashion_mnist_estimator [options]\n"
            "Trains a DNNClassifier (hidden [256, 128]) on Fashion-MNIST, evaluates it on the test\n"
            "images, exports it and classifies the first test images with the export.\n"
            "  --data DIR         Fashion-MNIST IDX files (default " MNIST_DEFAULT_DIR ")\n"
            "  --steps N          training steps (default 5000: about 8 epochs)\n"
            "  --batch-size N     examples per step (default 100)\n"
            "  --seed S           graph and shuffle seed (default 0)\n"
            "  --model-dir DIR    checkpoints, TensorBoard events and the export (default: a new\n"
            "                     temporary directory, kept and printed)\n"
            "  --threads T        session threads, 0 = the library's default (default 0)\n"
            "  --verbose          training progress (INFO log lines) on stderr\n"
            "  --help             this text\n");
}

static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) return 1;
    *out = v;
    return 0;
}

static int fail(const char *what)
{
    fprintf(stderr, "error: %s: %s\n", what, tfc_last_error());
    return 1;
}

/* An input over a split: "pixels" [N, 784] float borrowing the split's
 * images (no copy of the 188 MB: the split must outlive the input), the
 * labels as class ids. */
static int make_input(const mnist_split *s, int64_t batch, int64_t epochs, int shuffle, uint64_t seed,
                      tfc_input **out)
{
    tfc_tensor *pixels = NULL, *labels = NULL;
    int64_t dims[2] = {s->n, NPIX};
    tfc_code c = tfc_tensor_new_borrowed(TFC_FLOAT, dims, 2, s->images, (size_t)s->n * NPIX * sizeof(float), NULL,
                                         NULL, &pixels);
    if (!c)
        c = tfc_tensor_new_borrowed(TFC_INT32, dims, 1, s->labels, (size_t)s->n * sizeof(int32_t), NULL, NULL,
                                    &labels);
    if (!c) {
        tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
        o.batch_size = batch;
        o.num_epochs = epochs;
        o.shuffle = shuffle;
        o.seed = seed;
        const char *key = "pixels";
        c = tfc_input_from_tensors(&key, &pixels, 1, labels, &o, out);
    }
    tfc_tensor_free(pixels);
    tfc_tensor_free(labels);
    return c ? fail("making the input") : 0;
}

/* Classifies the first NSHOW test images with the exported model, fed as a
 * client would: raw features by key through "serving_default". */
static int show_predictions(const char *export_path, const mnist_split *test, int64_t threads)
{
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = (int)threads;
    tfc_saved_model *m = NULL;
    if (tfc_saved_model_load(export_path, &so, &m)) return fail("loading the export");
    int rc = 1;
    tfc_tensor *in = NULL, *outs[2] = {NULL, NULL};
    int64_t dims[2] = {NSHOW, NPIX};
    if (tfc_tensor_new(TFC_FLOAT, dims, 2, test->images, NSHOW * NPIX * sizeof(float), &in)) {
        fail("making the request");
        goto out;
    }
    const char *in_key = "pixels", *out_keys[2] = {"probabilities", "class_ids"};
    if (tfc_saved_model_run(m, "serving_default", &in_key, &in, 1, out_keys, outs, 2)) {
        fail("running the export's serving_default signature");
        goto out;
    }
    if (tfc_tensor_dtype(outs[0]) != TFC_FLOAT || tfc_tensor_num_elements(outs[0]) != NSHOW * NCLASSES ||
        tfc_tensor_dtype(outs[1]) != TFC_INT64 || tfc_tensor_num_elements(outs[1]) != NSHOW) {
        fprintf(stderr, "error: the export's probabilities / class_ids have an unexpected type or shape\n");
        goto out;
    }
    const float *p = tfc_tensor_data(outs[0]);
    const int64_t *ids = tfc_tensor_data(outs[1]);
    for (int i = 0; i < NSHOW; i++) {
        int64_t k = ids[i];
        if (k < 0 || k >= NCLASSES) {
            fprintf(stderr, "error: the export predicted class id %lld for test image %d\n", (long long)k, i);
            goto out;
        }
        printf("test image %d: %s (p=%.2f), true %s\n", i, CLASS_NAMES[k], p[i * NCLASSES + k],
               CLASS_NAMES[test->labels[i]]);
    }
    rc = 0;
out:
    tfc_tensor_free(in);
    tfc_tensor_free(outs[0]);
    tfc_tensor_free(outs[1]);
    tfc_saved_model_free(m);
    return rc;
}

static char *temp_model_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/fashion_mnist_estimator_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(buf)) {
        fprintf(stderr, "error: cannot create a temporary directory %s: %s\n", buf, strerror(errno));
        return NULL;
    }
    char *dir = strdup(buf);
    if (!dir) {
        fprintf(stderr, "error: out of memory\n");
        rmdir(buf);
    }
    return dir;
}

int main(int argc, char **argv)
{
    const char *data_dir = MNIST_DEFAULT_DIR, *model_dir_arg = NULL;
    int64_t steps = 5000, batch = 100, seed = 0, threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        const char *num_opt = NULL; /* which integer option, for the error message */
        int bad = 0;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--verbose") == 0) {
            verbose = 1;
        } else if (has && strcmp(a, "--data") == 0) {
            data_dir = argv[++i];
        } else if (has && strcmp(a, "--model-dir") == 0) {
            model_dir_arg = argv[++i];
        } else if (has && strcmp(a, "--steps") == 0) {
            num_opt = "a positive integer";
            bad = parse_int(argv[++i], 1, INT64_MAX, &steps);
        } else if (has && strcmp(a, "--batch-size") == 0) {
            num_opt = "an integer in [1, 60000]";
            bad = parse_int(argv[++i], 1, 60000, &batch);
        } else if (has && strcmp(a, "--seed") == 0) {
            num_opt = "a non-negative integer";
            bad = parse_int(argv[++i], 0, INT64_MAX - 1, &seed);
        } else if (has && strcmp(a, "--threads") == 0) {
            num_opt = "an integer in [0, 1024]";
            bad = parse_int(argv[++i], 0, 1024, &threads);
        } else {
            static const char *const with_value[] = {"--data", "--model-dir", "--steps", "--batch-size", "--seed",
                                                     "--threads"};
            int known = 0;
            for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++) known |= strcmp(a, with_value[k]) == 0;
            if (known) fprintf(stderr, "error: %s needs a value\n", a);
            else fprintf(stderr, "error: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "error: %s '%s': expected %s\n", a, argv[i], num_opt);
            return 2;
        }
    }
    tfc_set_log_callback(log_to_stderr, NULL);

    int rc = 1;
    mnist_split train, test;
    memset(&train, 0, sizeof train);
    memset(&test, 0, sizeof test);
    tfc_feature_column *pixels = NULL;
    tfc_input *train_in = NULL, *test_in = NULL;
    tfc_estimator *est = NULL;
    tfc_eval_results *res = NULL;
    char *tmp_dir = NULL, *export_path = NULL;

    if (mnist_load(data_dir, "train", &train) || mnist_load(data_dir, "t10k", &test)) goto out;
    printf("Fashion-MNIST: %lld training and %lld test images from %s\n", (long long)train.n, (long long)test.n,
           data_dir);
    if (test.n < NSHOW) {
        fprintf(stderr, "error: %s has fewer than %d test images\n", data_dir, NSHOW);
        goto out;
    }
    const char *model_dir = model_dir_arg;
    if (!model_dir && !(model_dir = tmp_dir = temp_model_dir())) goto out;
    printf("model directory: %s (tensorboard --logdir %s)\n", model_dir, model_dir);

    int64_t shape[1] = {NPIX};
    if (tfc_numeric_column("pixels", shape, 1, NULL, TFC_FLOAT, &pixels)) {
        fail("numeric column 'pixels'");
        goto out;
    }
    if (make_input(&train, batch, 0, 1, (uint64_t)seed, &train_in) || make_input(&test, 1000, 1, 0, 0, &test_in))
        goto out;

    const tfc_feature_column *cols[1] = {pixels};
    static const int64_t hidden[2] = {256, 128};
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    o.model = TFC_MODEL_DNN;
    o.n_classes = NCLASSES;
    o.label_vocabulary = (const char *const *)CLASS_NAMES;
    o.label_vocabulary_size = NCLASSES;
    o.dnn_feature_columns = cols;
    o.n_dnn_feature_columns = 1;
    o.hidden_units = hidden;
    o.n_hidden_units = 2;
    o.dnn_optimizer.kind = TFC_OPTIMIZER_ADAM;
    o.dnn_optimizer.learning_rate = 0.001;
    o.config.model_dir = model_dir;
    /* tf_random_seed 0 means "no seed" to the library: seed S is graph seed S + 1. */
    o.config.tf_random_seed = seed + 1;
    o.config.num_threads = (int)threads;
    o.config.log_step_count_steps = 500;
    if (tfc_estimator_new(&o, &est)) {
        fail("creating the DNNClassifier");
        goto out;
    }

    if (tfc_estimator_train(est, train_in, steps, 0)) {
        fail("training");
        goto out;
    }
    /* The training steps' own time (as the PyTorch recipes time their loop):
     * without building the graph and saving checkpoints. */
    tfc_train_stats stats = {sizeof stats, 0, 0, 0, 0, 0, 0};
    if (tfc_estimator_train_stats(est, &stats)) {
        fail("reading the training statistics");
        goto out;
    }
    double train_seconds = stats.step_seconds;
    double examples = (double)stats.examples;
    printf("trained %lld steps of %lld examples in %.2f s (%.0f examples/s)\n", (long long)stats.steps,
           (long long)batch, train_seconds, train_seconds > 0 ? examples / train_seconds : 0.0);

    if (tfc_estimator_evaluate(est, test_in, 0, NULL, &res)) {
        fail("evaluating");
        goto out;
    }
    double accuracy = NAN, average_loss = NAN, global_step = NAN;
    if (tfc_eval_results_get(res, "accuracy", &accuracy) ||
        tfc_eval_results_get(res, "average_loss", &average_loss) ||
        tfc_eval_results_get(res, "global_step", &global_step)) {
        fail("reading the evaluation");
        goto out;
    }
    printf("test set: accuracy %.4f, average_loss %.4f, global_step %.0f\n", accuracy, average_loss, global_step);

    char export_base[4200];
    snprintf(export_base, sizeof export_base, "%s/export", model_dir);
    if (tfc_estimator_export(est, export_base, &export_path)) {
        fail("exporting");
        goto out;
    }
    printf("exported to %s\n", export_path);
    if (show_predictions(export_path, &test, threads)) goto out;

    printf("RESULT accuracy %.4f\n", accuracy);
    printf("RESULT train_seconds %.3f\n", train_seconds);
    printf("RESULT train_examples_per_sec %.0f\n", train_seconds > 0 ? examples / train_seconds : 0.0);
    printf("RESULT export_path %s\n", export_path);
    rc = 0;
out:
    tfc_string_free(export_path);
    tfc_eval_results_free(res);
    tfc_estimator_free(est);
    /* The inputs borrow the splits' buffers: free them first. */
    tfc_input_free(train_in);
    tfc_input_free(test_in);
    tfc_feature_column_free(pixels);
    mnist_free(&train);
    mnist_free(&test);
    free(tmp_dir);
    return rc;
}
