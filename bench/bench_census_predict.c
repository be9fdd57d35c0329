/* Latency of one raw census example through an exported model: the
 * example's strings and numbers made into 1-row tensors, run through the
 * "serving_default" signature, probabilities out (what a server does per
 * request, minus JSON).
 *
 *   census_estimator --model wide_deep --export-dir /tmp/census_export
 *   bench_census_predict /tmp/census_export/<timestamp> [--threads N] [--runs N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "tfc/tfc.h"

/* The first row of adult.test. */
static const char *const str_keys[] = {"workclass", "education", "marital_status", "occupation", "relationship",
                                       "race", "gender", "native_country"};
static const char *const str_vals[] = {"Private", "11th", "Never-married", "Machine-op-inspct", "Own-child",
                                       "Black", "Male", "United-States"};
static const char *const num_keys[] = {"age", "education_num", "capital_gain", "capital_loss", "hours_per_week"};
static const float num_vals[] = {25, 7, 0, 0, 40};

#define NS (int)(sizeof str_keys / sizeof str_keys[0])
#define NN (int)(sizeof num_keys / sizeof num_keys[0])

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: bench_census_predict EXPORT_DIR [--threads N] [--runs N]\n");
        return argc < 2 ? 2 : 0;
    }
    int threads = 1, runs = 20000;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
    }
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = threads;
    tfc_saved_model *m;
    if (tfc_saved_model_load(argv[1], &so, &m)) {
        fprintf(stderr, "bench_census_predict: %s\n", tfc_last_error());
        return 1;
    }
    const tfc_signature *sig = tfc_saved_model_find_signature(m, "serving_default");
    int nin = tfc_signature_num_inputs(sig);
    const char *keys[32];
    for (int i = 0; i < nin && i < 32; i++) keys[i] = tfc_signature_input_key(sig, i);
    const char *out_key = "probabilities";
    double *us = malloc((size_t)runs * sizeof *us);
    float p1 = 0;
    int64_t one = 1;
    for (int r = -1000; r < runs; r++) {
        double t0 = bench_now();
        tfc_tensor *ins[32];
        for (int i = 0; i < nin; i++) {
            ins[i] = NULL;
            for (int j = 0; j < NS; j++)
                if (!strcmp(keys[i], str_keys[j])) tfc_tensor_new_strings(&one, 1, &str_vals[j], NULL, &ins[i]);
            for (int j = 0; j < NN; j++)
                if (!strcmp(keys[i], num_keys[j])) tfc_tensor_new(TFC_FLOAT, &one, 1, &num_vals[j], 4, &ins[i]);
            if (!ins[i]) {
                fprintf(stderr, "bench_census_predict: the export wants an input '%s' this bench lacks\n", keys[i]);
                return 1;
            }
        }
        tfc_tensor *out = NULL;
        if (tfc_saved_model_run(m, "serving_default", keys, ins, nin, &out_key, &out, 1)) {
            fprintf(stderr, "bench_census_predict: %s\n", tfc_last_error());
            return 1;
        }
        p1 = ((const float *)tfc_tensor_data(out))[1];
        tfc_tensor_free(out);
        for (int i = 0; i < nin; i++) tfc_tensor_free(ins[i]);
        if (r >= 0) us[r] = (bench_now() - t0) * 1e6;
    }
    qsort(us, (size_t)runs, sizeof *us, bench_cmp_double);
    printf("recipe: one raw census example (8 strings, 5 numbers) -> serving_default -> probabilities, "
           "%d runs after 1000 warm-up, %d thread(s)\n", runs, threads);
    printf("P(>50K) for the first adult.test row: %.4f\n", p1);
    printf("latency: median %.2f us, p10 %.2f us, p90 %.2f us, p99 %.2f us\n", us[runs / 2], us[runs / 10],
           us[runs * 9 / 10], us[runs * 99 / 100]);
    printf("RESULT predict_one_us %.3f\n", us[runs / 2]);
    free(us);
    tfc_saved_model_free(m);
    return 0;
}
