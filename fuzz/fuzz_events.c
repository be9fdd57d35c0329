/* libFuzzer target for the event-file reader (src/io/events.c).
 *
 * Every input is read with tfc_event_reader_open_buffer until the reader
 * stops; every accessor is exercised on every event. The reader must end
 * with TFC_OUT_OF_RANGE (truncated only when bytes are left over) or
 * TFC_DATA_LOSS naming the source and a byte offset, never crash or read
 * out of bounds. Any broken invariant traps.
 *
 * The first input byte picks the mode. Odd: the rest is the file as is.
 * Even: the rest is a list of payloads, each one length byte then that many
 * bytes, framed here as TFRecords with correct CRCs, so mutations reach the
 * Event parser and the accessors. Seeds: "\x01" + an event file, "\x00" +
 * length-prefixed Event messages. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/crc32c.h"

#include "tfc/summary.h"

#define CHECK(cond)                                                                                                \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "fuzz_events: check failed: %s (line %d), last error: %s\n", #cond, __LINE__,          \
                    tfc_last_error());                                                                             \
            __builtin_trap();                                                                                      \
        }                                                                                                          \
    } while (0)

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* TFRecord framing of length-prefixed payloads. Caller frees. */
static uint8_t *framed(const uint8_t *in, size_t n, size_t *out_size)
{
    uint8_t *f = malloc(16 * n + 16), *o = f;
    for (size_t i = 0; i < n;) {
        size_t len = in[i++];
        if (len > n - i) len = n - i;
        put_le(o, len, 8);
        put_le(o + 8, tfci_crc32c_mask(tfci_crc32c(o, 8)), 4);
        memcpy(o + 12, in + i, len);
        put_le(o + 12 + len, tfci_crc32c_mask(tfci_crc32c(in + i, len)), 4);
        o += 16 + len;
        i += len;
    }
    *out_size = (size_t)(o - f);
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t input_size)
{
    if (input_size == 0) return 0;
    uint8_t *made = NULL;
    const uint8_t *data = input + 1;
    size_t size = input_size - 1;
    if (input[0] % 2 == 0) data = made = framed(input + 1, input_size - 1, &size);
    tfc_event_reader *r = NULL;
    CHECK(tfc_event_reader_open_buffer(data, size, "fuzz", &r) == TFC_OK);
    free(made);
    tfc_code c;
    uint64_t last = 0;
    while ((c = tfc_event_reader_next(r)) == TFC_OK) {
        /* Each record is at least 16 bytes and the offset only grows. */
        uint64_t off = tfc_event_reader_offset(r);
        CHECK(off >= last + 16 && off <= size);
        last = off;
        (void)tfc_event_wall_time(r);
        (void)tfc_event_step(r);
        tfc_event_kind k = tfc_event_kind_of(r);
        const char *fv = tfc_event_file_version(r);
        CHECK((k == TFC_EVENT_FILE_VERSION) == (fv != NULL));
        if (fv) (void)strlen(fv);
        size_t gn = 0;
        const volatile uint8_t *g = tfc_event_graph_def(r, &gn);
        CHECK((k == TFC_EVENT_GRAPH_DEF) == (g != NULL));
        for (size_t i = 0; g && i < gn; i++) (void)g[i];
        int n = tfc_event_num_values(r);
        CHECK(n >= 0 && (n == 0 || k == TFC_EVENT_SUMMARY));
        for (int i = 0; i < n + 1; i++) {
            const char *tag = tfc_event_value_tag(r, i);
            CHECK((tag != NULL) == (i < n));
            if (tag) (void)strlen(tag);
            float v;
            tfc_code sc = tfc_event_value_scalar(r, i, &v);
            CHECK((sc == TFC_OK) == (tfc_event_value_kind(r, i) == TFC_SUMMARY_SCALAR));
            tfc_histogram h;
            if (tfc_event_value_histogram(r, i, &h) == TFC_OK) {
                double acc = 0;
                for (size_t b = 0; b < h.num_buckets; b++) acc += h.bucket[b] + h.bucket_limit[b];
                (void)acc;
            }
        }
    }
    CHECK(c == TFC_OUT_OF_RANGE || c == TFC_DATA_LOSS || c == TFC_RESOURCE_EXHAUSTED);
    CHECK(strstr(tfc_last_error(), "event file 'fuzz'") != NULL);
    if (c == TFC_OUT_OF_RANGE) CHECK(tfc_event_reader_truncated(r) == (tfc_event_reader_offset(r) < size));
    else if (c == TFC_DATA_LOSS) CHECK(strstr(tfc_last_error(), "byte offset") != NULL);
    tfc_event_reader_free(r);
    return 0;
}
