/* CSV parsing speed: the whole census training file (adult.data, 32,561 rows,
 * 15 columns: 6 float32, 8 strings, the label through a 2-entry vocabulary)
 * read with tfc_csv_reader into batches of 1,024 rows, from opening the file
 * to the last batch's tensors (freed as they come). The page cache is warm.
 *
 *   bench_csv [PATH] [--reps N]
 *
 * PATH defaults to $TFC_SHARED_DATA/census/adult.data, else
 * ../shared/data/census/adult.data (run from the project's root). Prints the
 * median and minimum over N runs (default 21), plus a run through a 10,000-row
 * shuffle buffer. */
#include <string.h>

#include "bench_util.h"
#include "tfc/input.h"

static const char *names[15] = {"age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
                                "occupation", "relationship", "race", "gender", "capital_gain", "capital_loss",
                                "hours_per_week", "native_country", "income_bracket"};

static void die(void)
{
    fprintf(stderr, "error: %s\n", tfc_last_error());
    exit(1);
}

/* Reads the file once; returns the rows read. */
static int64_t read_all(tfc_csv_schema *s, const char *path, int64_t shuffle)
{
    tfc_csv_reader_options o = TFC_CSV_READER_OPTIONS_INIT;
    o.batch_size = 1024;
    o.shuffle_buffer_size = shuffle;
    o.seed = 1;
    tfc_csv_reader *r;
    if (tfc_csv_reader_new(s, &path, 1, &o, &r)) die();
    tfc_tensor *c[15];
    int64_t rows, total = 0;
    tfc_code code;
    while ((code = tfc_csv_reader_next_batch(r, 0, c, &rows)) == TFC_OK) {
        total += rows;
        for (int i = 0; i < 15; i++) tfc_tensor_free(c[i]);
    }
    if (code != TFC_OUT_OF_RANGE) die();
    tfc_csv_reader_free(r);
    return total;
}

int main(int argc, char **argv)
{
    char def[1024];
    const char *env = getenv("TFC_SHARED_DATA");
    snprintf(def, sizeof def, "%s/census/adult.data", env && env[0] ? env : "../shared/data");
    const char *path = def;
    int reps = 21;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else path = argv[i];
    }
    if (reps < 1 || reps > 1000) reps = 21;
    tfc_csv_schema_options so = TFC_CSV_SCHEMA_OPTIONS_INIT;
    so.missing_value = "?";
    so.comment_prefix = "|";
    tfc_csv_schema *s;
    if (tfc_csv_schema_new(&so, &s)) die();
    for (int i = 0; i < 15; i++) {
        int numeric = i == 0 || i == 2 || i == 4 || i == 10 || i == 11 || i == 12;
        tfc_dtype dt = i == 14 ? TFC_INT32 : numeric ? TFC_FLOAT : TFC_STRING;
        if (tfc_csv_schema_add_column(s, names[i], dt, i == 14 ? NULL : numeric ? "0" : "")) die();
    }
    const char *labels[] = {"<=50K", ">50K"};
    if (tfc_csv_schema_set_label_vocabulary(s, "income_bracket", labels, 2, TFC_LABEL_STRIP_TRAILING_PERIOD)) die();

    printf("recipe: tfc_csv_reader over %s, 15 columns (6 float32, 8 string, label via vocabulary), "
           "batches of 1024, median of %d runs after a warm-up\n",
           path, reps);
    int64_t rows = read_all(s, path, 0); /* warm-up: page cache, allocator */
    double *t = malloc(sizeof(double) * (size_t)reps), *u = malloc(sizeof(double) * (size_t)reps);
    for (int k = 0; k < reps; k++) {
        double t0 = bench_now();
        read_all(s, path, 0);
        t[k] = (bench_now() - t0) * 1e3;
        t0 = bench_now();
        read_all(s, path, 10000);
        u[k] = (bench_now() - t0) * 1e3;
    }
    double tmin = t[0];
    for (int k = 1; k < reps; k++) tmin = t[k] < tmin ? t[k] : tmin;
    double med = bench_median(t, reps), umed = bench_median(u, reps);
    printf("rows %lld, median %.2f ms (min %.2f ms), %.1f M rows/s; with a 10,000-row shuffle buffer %.2f ms\n",
           (long long)rows, med, tmin, rows / med / 1e3, umed);
    BENCH_RESULT("census_parse_ms", med, "ms");
    BENCH_RESULT("census_parse_shuffled_ms", umed, "ms");
    free(t);
    free(u);
    tfc_csv_schema_free(s);
    return 0;
}
