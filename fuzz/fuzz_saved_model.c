/* libFuzzer target for the exported-model file (saved_model.pb) parser.
 *
 * A saved_model.pb ends with a CRC-32 of everything before it, which random
 * mutations almost never keep valid, so each input is parsed twice: as it
 * is (magic, checksum and truncation checks), and with a correct checksum
 * appended (everything behind the checksum: protobuf decoding, the format
 * version, the graph import, variables and signatures). Checked: every
 * failure names its source; nothing crashes, leaks or allocates without
 * bound (run with -rss_limit_mb / -malloc_limit_mb).
 *
 * Seeds: run once with TFC_FUZZ_WRITE_SEEDS=DIR to export a small model and
 * write its saved_model.pb, without the trailing checksum, into DIR:
 *     TFC_FUZZ_WRITE_SEEDS=seeds ./fuzz_saved_model -runs=0 && ./fuzz_saved_model corpus seeds
 * Build: as fuzz_graph_def.c, with fuzz/fuzz_saved_model.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tfc/saved_model.h"
#include "tfc/tfc.h"

/* src/io/saved_model.c: parses and checks a model file image. */
tfc_code tfci_saved_model_parse_buffer(const void *data, size_t size, const char *source);

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_saved_model: check failed: %s (line %d), last error: %s\n", #cond, __LINE__,         \
                    tfc_last_error());                                                                                 \
            __builtin_trap();                                                                                          \
        }                                                                                                              \
    } while (0)

static void write_seeds(const char *dir)
{
    char tmpl[] = "/tmp/tfc_fuzz_seed_XXXXXX";
    if (!mkdtemp(tmpl)) return;
    char exp[256];
    snprintf(exp, sizeof exp, "%s/export", tmpl);
    tfc_graph *g;
    tfc_graph_new(&g);
    int64_t dx[2] = {-1, 3}, dw[2] = {3, 2};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, dx, 2, "x");
    tfc_output w = tfc_variable(g, tfc_random_normal(g, TFC_FLOAT, dw, 2, 0, 1, 5, NULL), "w");
    tfc_output y = tfc_softmax(g, tfc_matmul(g, x, w, false, false, NULL), "y");
    tfc_output k = tfc_argmax(g, y, 1, "k");
    tfc_op *init = tfc_global_variables_initializer(g);
    tfc_session *s;
    tfc_session_new(g, NULL, &s);
    tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &init, 1);
    tfc_signature *sig[2];
    tfc_signature_new(TFC_SERVING_DEFAULT_SIGNATURE_KEY, TFC_PREDICT_METHOD_NAME, &sig[0]);
    tfc_signature_add_input(sig[0], "x", x);
    tfc_signature_add_output(sig[0], "y", y);
    tfc_signature_new("classify", TFC_CLASSIFY_METHOD_NAME, &sig[1]);
    tfc_signature_add_input(sig[1], "inputs", x);
    tfc_signature_add_output(sig[1], "scores", y);
    tfc_signature_add_output(sig[1], "classes", k);
    tfc_export_options eo = TFC_EXPORT_OPTIONS_INIT;
    eo.main_op = init;
    if (tfc_saved_model_export(s, g, exp, sig, 2, &eo) == TFC_OK) {
        char in[300], out[300];
        snprintf(in, sizeof in, "%s/saved_model.pb", exp);
        snprintf(out, sizeof out, "%s/model.pb", dir);
        FILE *f = fopen(in, "rb");
        static unsigned char buf[1 << 20];
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f) fclose(f);
        FILE *o = n > 5 ? fopen(out, "wb") : NULL;
        if (o) {
            fwrite(buf, 1, n - 5, o);
            fclose(o);
        }
    } else {
        fprintf(stderr, "seed export: %s\n", tfc_last_error());
    }
    for (int i = 0; i < 2; i++) tfc_signature_free(sig[i]);
    tfc_session_free(s);
    tfc_graph_free(g);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpl);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("TFC_FUZZ_WRITE_SEEDS");
    if (dir && *dir) write_seeds(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tfc_code c = tfci_saved_model_parse_buffer(data, size, "fuzz");
    CHECK(c == TFC_OK || strncmp(tfc_last_error(), "fuzz: ", 6) == 0);

    unsigned char *d = malloc(size + 5);
    if (!d) return 0;
    if (size) memcpy(d, data, size);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, d, (uInt)size);
    d[size] = 0x7d;
    for (int k = 0; k < 4; k++) d[size + 1 + k] = (unsigned char)(crc >> (8 * k));
    c = tfci_saved_model_parse_buffer(d, size + 5, "fuzz+crc");
    CHECK(c == TFC_OK || strncmp(tfc_last_error(), "fuzz+crc: ", 10) == 0);
    free(d);
    return 0;
}
