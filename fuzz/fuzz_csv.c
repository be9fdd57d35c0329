/* libFuzzer target for the CSV reader and JSON-lines instances (tfc/input.h).
 *
 * The first byte picks the schema options (delimiter, trimming, quoting,
 * skipping malformed rows, a header line, the NaN policy) and the reader's
 * (shuffle buffer, two epochs, partial batches); the rest is read as a CSV
 * buffer through a 5-column schema (float32, int32 with a default, string
 * with a default, float64, an int64 label through a vocabulary), in batches
 * of 3, then parsed as JSON lines through the same schema. Checked: every
 * call either succeeds with [rows] tensors of the schema's dtypes or fails
 * with a message; skipped rows are counted with their reasons; a failure is
 * sticky; a successful read yields at most (rows in the input) x 2 epochs.
 *
 * Seeds: TFC_FUZZ_WRITE_SEEDS=DIR ./fuzz_csv -runs=0 writes a few into DIR.
 * Build: fuzz/build.sh (FUZZ_OUT=/tmp/fz sh fuzz/build.sh 60 fuzz_csv), or
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DTFC_BUILDING_LIBRARY -Iinclude -Isrc
 *       -IBUILD/src/libtfc_objects.a.p LIBRARY_SOURCES GENERATED_PB_C_SOURCES fuzz/fuzz_csv.c
 *       -lopenblas -lz -lm -lpthread -lprotobuf-c -ljansson -o fuzz_csv */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfc/input.h"

#define CHECK(cond)                                                                                                \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "fuzz_csv: check failed: %s (line %d), last error: %s\n", #cond, __LINE__,            \
                    tfc_last_error());                                                                             \
            abort();                                                                                               \
        }                                                                                                          \
    } while (0)

#define NCOLS 5
static const tfc_dtype dtypes[NCOLS] = {TFC_FLOAT, TFC_INT32, TFC_STRING, TFC_DOUBLE, TFC_INT64};

static tfc_csv_schema *make_schema(unsigned char flags)
{
    static const char delims[4] = {',', '\t', ';', ' '};
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.delimiter = delims[flags & 3];
    o.trim_whitespace = !(flags & 4);
    o.quoted_fields = !(flags & 8);
    o.skip_malformed = !!(flags & 16);
    o.header_lines = (flags & 32) ? 1 : 0;
    o.allow_nonfinite = !!(flags & 64);
    o.missing_value = "?";
    o.comment_prefix = "|";
    o.max_line_bytes = 256;
    tfc_csv_schema *s;
    CHECK(tfc_csv_schema_new(&o, &s) == TFC_OK);
    CHECK(tfc_csv_schema_add_column(s, "f", TFC_FLOAT, NULL) == TFC_OK);
    CHECK(tfc_csv_schema_add_column(s, "i", TFC_INT32, "-1") == TFC_OK);
    CHECK(tfc_csv_schema_add_column(s, "s", TFC_STRING, "none") == TFC_OK);
    CHECK(tfc_csv_schema_add_column(s, "d", TFC_DOUBLE, NULL) == TFC_OK);
    CHECK(tfc_csv_schema_add_column(s, "y", TFC_INT64, NULL) == TFC_OK);
    const char *labels[] = {"no", "yes", "<=50K", ">50K"};
    CHECK(tfc_csv_schema_set_label_vocabulary(s, "y", labels, 4, TFC_LABEL_STRIP_TRAILING_PERIOD) == TFC_OK);
    return s;
}

static void check_batch(tfc_tensor **c, int64_t rows)
{
    for (int i = 0; i < NCOLS; i++) {
        CHECK(c[i] != NULL);
        CHECK(tfc_tensor_dtype(c[i]) == dtypes[i]);
        CHECK(tfc_tensor_rank(c[i]) == 1 && tfc_tensor_dim(c[i], 0) == rows);
        if (dtypes[i] == TFC_STRING)
            for (int64_t k = 0; k < rows; k++) {
                const char *p;
                size_t n;
                CHECK(tfc_tensor_string(c[i], k, &p, &n) == TFC_OK);
            }
        if (i == NCOLS - 1)
            for (int64_t k = 0; k < rows; k++) {
                int64_t y = ((const int64_t *)tfc_tensor_data(c[i]))[k];
                CHECK(y >= 0 && y < 4);
            }
        tfc_tensor_free(c[i]);
    }
}

static void write_seeds(const char *dir)
{
    static const struct {
        const char *name, *text;
    } seeds[] = {
        {"plain.csv", "\2001.5,2,abc,3.25,yes\n-2,?,,1e3,no\n"},
        {"census.csv", "\200|1x3 Cross validator\n39, 13, State-gov, 2174, <=50K.\n50, 9, ?, 0, >50K\n"},
        {"quoted.csv", "\200\"1\",\"2\",\"a,\"\"b\"\"\nc\",4,yes\r\n5,6,x,7,no"},
        {"skip.csv", "\2201,2,a,3,yes\nx,2,a,3,yes\n1,2\n1,2,a,3,maybe\n"},
        {"json.jsonl", "\200{\"f\": 1, \"i\": 2, \"s\": \"a\", \"d\": [0.5], \"y\": \"yes\"}\n"
                       "{\"f\": 2, \"d\": 1, \"y\": \"no\"}\n"},
    };
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, seeds[k].name);
        FILE *f = fopen(path, "wb");
        if (!f) continue;
        /* the first byte is the flags byte */
        fwrite(seeds[k].text, 1, strlen(seeds[k].text), f);
        fclose(f);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("TFC_FUZZ_WRITE_SEEDS");
    if (dir && dir[0]) write_seeds(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    unsigned char flags = data[0];
    data++;
    size--;
    tfc_csv_schema *s = make_schema(flags);

    int64_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.batch_size = 3;
    ro.num_epochs = 2;
    ro.shuffle_buffer_size = (flags & 128) ? 4 : 0;
    ro.partial_final_batch = !(flags & 1);
    tfc_csv_reader *r;
    CHECK(tfc_csv_reader_new_from_buffer(s, data, size, "fuzz.csv", &ro, &r) == TFC_OK);
    tfc_tensor *c[NCOLS];
    int64_t rows, total = 0;
    tfc_code code;
    while ((code = tfc_csv_reader_next_batch(r, 0, c, &rows)) == TFC_OK) {
        CHECK(rows > 0 && rows <= 3);
        check_batch(c, rows);
        total += rows;
        CHECK(total <= 2 * lines);
    }
    for (int i = 0; i < NCOLS; i++) CHECK(c[i] == NULL);
    CHECK(rows == 0);
    CHECK(tfc_last_error()[0] != 0);
    int64_t skipped = tfc_csv_reader_malformed_count(r);
    CHECK(skipped == 0 || (flags & 16));
    for (int64_t i = 0; i < skipped && i < TFC_CSV_MAX_MALFORMED_REASONS; i++)
        CHECK(tfc_csv_reader_malformed_reason(r, i) != NULL);
    if (code != TFC_OUT_OF_RANGE) {
        /* sticky */
        CHECK(tfc_csv_reader_next_batch(r, 0, c, &rows) == code);
    }
    tfc_csv_reader_free(r);

    code = tfc_json_lines_parse(s, data, size, "fuzz.jsonl", c, &rows);
    if (code == TFC_OK) {
        CHECK(rows > 0 && rows <= lines);
        check_batch(c, rows);
    } else {
        for (int i = 0; i < NCOLS; i++) CHECK(c[i] == NULL);
        CHECK(rows == 0);
    }
    tfc_csv_schema_free(s);
    return 0;
}
