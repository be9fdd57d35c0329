/* TensorBoard event files: the summary writer's output is read back by an
 * independent reader written here from the TFRecord spec (its own CRC32C and
 * protobuf field walker), decoded by `protoc --decode` against the schema,
 * and read by the library's own reader; damaged, truncated and wrong-CRC
 * records are reported as they must be. */
#include <dirent.h>
#include <float.h>
#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tfc/summary.h"

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}
static void rm_rf(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static char *temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *d = malloc(strlen(base) + 32);
    sprintf(d, "%s/tfc_events_XXXXXX", base);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(d));
    return d;
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    CU_ASSERT_EQUAL_FATAL(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return b;
}

static void spit(const char *path, const void *data, size_t size, const char *mode)
{
    FILE *f = fopen(path, mode);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(data, 1, size, f), size);
    fclose(f);
}

/* ---- the independent reader: CRC32C bit by bit, from the definition ---- */

static uint32_t crc32c(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static double le_double(const unsigned char *p)
{
    uint64_t bits = le(p, 8);
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

/* A protobuf field: number, wire type, and its value or payload. */
typedef struct field {
    int num, wt;
    uint64_t v;              /* varint, fixed32, fixed64 */
    const unsigned char *p;  /* length-delimited payload */
    size_t len;
} field;

/* Next field of buf[*pos..end); 0 at the end, -1 when malformed. */
static int next_field(const unsigned char *buf, size_t end, size_t *pos, field *f)
{
    if (*pos >= end) return 0;
    uint64_t key = 0;
    for (int s = 0;; s += 7) {
        if (*pos >= end || s > 63) return -1;
        unsigned char b = buf[(*pos)++];
        key |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) break;
    }
    f->num = (int)(key >> 3);
    f->wt = (int)(key & 7);
    switch (f->wt) {
    case 0:
        f->v = 0;
        for (int s = 0;; s += 7) {
            if (*pos >= end || s > 63) return -1;
            unsigned char b = buf[(*pos)++];
            f->v |= (uint64_t)(b & 0x7f) << s;
            if (!(b & 0x80)) break;
        }
        return 1;
    case 1:
        if (end - *pos < 8) return -1;
        f->v = le(buf + *pos, 8);
        *pos += 8;
        return 1;
    case 5:
        if (end - *pos < 4) return -1;
        f->v = le(buf + *pos, 4);
        *pos += 4;
        return 1;
    case 2: {
        uint64_t n = 0;
        for (int s = 0;; s += 7) {
            if (*pos >= end || s > 63) return -1;
            unsigned char b = buf[(*pos)++];
            n |= (uint64_t)(b & 0x7f) << s;
            if (!(b & 0x80)) break;
        }
        if (n > end - *pos) return -1;
        f->p = buf + *pos;
        f->len = (size_t)n;
        *pos += (size_t)n;
        return 1;
    }
    default: return -1;
    }
}

enum { MAXB = 2000 };

typedef struct ev {
    double wall_time;
    int64_t step;
    char file_version[64];
    const unsigned char *graph;
    size_t graph_len;
    int has_summary, has_simple, has_histo;
    char tag[64];
    float simple;
    double hmin, hmax, hnum, hsum, hsq;
    double limits[MAXB], counts[MAXB];
    int nlimits, ncounts;
} ev;

static int packed_doubles(const field *f, double *out, int *n)
{
    if (f->wt != 2 || f->len % 8) return -1;
    for (size_t i = 0; i < f->len / 8 && *n < MAXB; i++) out[(*n)++] = le_double(f->p + 8 * i);
    return 0;
}

static int parse_histo(const unsigned char *p, size_t n, ev *e)
{
    size_t pos = 0;
    field f;
    int r;
    while ((r = next_field(p, n, &pos, &f)) == 1) {
        double d;
        memcpy(&d, &f.v, 8);
        switch (f.num) {
        case 1: e->hmin = d; break;
        case 2: e->hmax = d; break;
        case 3: e->hnum = d; break;
        case 4: e->hsum = d; break;
        case 5: e->hsq = d; break;
        case 6: if (packed_doubles(&f, e->limits, &e->nlimits)) return -1; break;
        case 7: if (packed_doubles(&f, e->counts, &e->ncounts)) return -1; break;
        default: return -1;
        }
        if (f.num <= 5 && f.wt != 1) return -1;
    }
    return r;
}

static int parse_value(const unsigned char *p, size_t n, ev *e)
{
    size_t pos = 0;
    field f;
    int r;
    while ((r = next_field(p, n, &pos, &f)) == 1) {
        if (f.num == 1 && f.wt == 2) {
            if (f.len >= sizeof e->tag) return -1;
            memcpy(e->tag, f.p, f.len);
            e->tag[f.len] = 0;
        } else if (f.num == 2 && f.wt == 5) {
            uint32_t bits = (uint32_t)f.v;
            memcpy(&e->simple, &bits, 4);
            e->has_simple = 1;
        } else if (f.num == 5 && f.wt == 2) {
            e->has_histo = 1;
            if (parse_histo(f.p, f.len, e)) return -1;
        } else {
            return -1;
        }
    }
    return r;
}

static int parse_event(const unsigned char *p, size_t n, ev *e)
{
    memset(e, 0, sizeof *e);
    size_t pos = 0;
    field f;
    int r;
    while ((r = next_field(p, n, &pos, &f)) == 1) {
        if (f.num == 1 && f.wt == 1) memcpy(&e->wall_time, &f.v, 8);
        else if (f.num == 2 && f.wt == 0) e->step = (int64_t)f.v;
        else if (f.num == 3 && f.wt == 2 && f.len < sizeof e->file_version) memcpy(e->file_version, f.p, f.len);
        else if (f.num == 4 && f.wt == 2) e->graph = f.p, e->graph_len = f.len;
        else if (f.num == 5 && f.wt == 2) {
            e->has_summary = 1;
            size_t sp = 0;
            field v;
            int k = 0, rr;
            while ((rr = next_field(f.p, f.len, &sp, &v)) == 1) {
                if (v.num != 1 || v.wt != 2 || k++ > 0) return -1; /* one value per event here */
                if (parse_value(v.p, v.len, e)) return -1;
            }
            if (rr < 0) return -1;
        } else {
            return -1;
        }
    }
    return r;
}

/* Splits a TFRecord file, checking both CRCs of every record. Returns the
 * number of records, or -1 on any damage. payloads[i] point into buf. */
static int split_records(const unsigned char *buf, size_t n, const unsigned char **payloads, size_t *lens, int max)
{
    size_t pos = 0;
    int k = 0;
    while (pos < n) {
        if (n - pos < 12 || k == max) return -1;
        uint64_t len = le(buf + pos, 8);
        if ((uint32_t)le(buf + pos + 8, 4) != masked(crc32c(buf + pos, 8))) return -1;
        if (len > n - pos - 12 || n - pos - 12 - len < 4) return -1;
        const unsigned char *d = buf + pos + 12;
        if ((uint32_t)le(d + len, 4) != masked(crc32c(d, (size_t)len))) return -1;
        payloads[k] = d;
        lens[k] = (size_t)len;
        k++;
        pos += 12 + (size_t)len + 4;
    }
    return k;
}

/* TensorFlow's default bucket limits, computed the way histogram.cc does. */
static int tf_limits(double *l)
{
    double pos[1000];
    int np = 0;
    for (double v = 1.0e-12; v < 1.0e20; v *= 1.1) pos[np++] = v;
    int k = 0;
    l[k++] = -DBL_MAX;
    for (int i = np - 1; i >= 0; i--) l[k++] = -pos[i];
    l[k++] = 0.0;
    for (int i = 0; i < np; i++) l[k++] = pos[i];
    l[k++] = DBL_MAX;
    return k;
}

/* Expected (collapsed) histogram of values, by linear search. */
static int expected_histogram(const float *v, int n, double *limits, double *counts)
{
    static double l[MAXB];
    static double c[MAXB];
    int nl = tf_limits(l);
    memset(c, 0, sizeof c);
    for (int i = 0; i < n; i++) {
        int b = 0;
        while (b < nl - 1 && !((double)v[i] < l[b])) b++;
        c[b] += 1;
    }
    int k = 0;
    for (int i = 0; i < nl;) {
        if (c[i] > 0) {
            limits[k] = l[i];
            counts[k++] = c[i++];
            continue;
        }
        while (i < nl && c[i] == 0) i++;
        limits[k] = l[i - 1];
        counts[k++] = 0;
    }
    return k;
}

/* ---- the main round trip ---- */

static const float hist_values[7] = {-1.0f, 0.0f, 0.5f, 0.5f, 2.0f, 1e-13f, -3e-7f};
static const unsigned char graph_bytes[6] = {0x0a, 0x04, 'n', 'o', 'd', 'e'};

static char *write_sample(const char *dir)
{
    tfc_summary_writer_options o = TFC_SUMMARY_WRITER_OPTIONS_INIT;
    o.flush_secs = 0;
    tfc_summary_writer *w;
    TFCT_OK(tfc_summary_writer_new(dir, &o, &w));
    char *path = strdup(tfc_summary_writer_path(w));
    TFCT_OK(tfc_summary_writer_add_scalar(w, "loss", 1, 0.5f));
    TFCT_OK(tfc_summary_writer_add_scalar(w, "loss", 2, 0.25f));
    TFCT_OK(tfc_summary_writer_add_scalar(w, "accuracy", 2, 0.0f));
    TFCT_OK(tfc_summary_writer_add_histogram(w, "weights", 3, hist_values, 7));
    TFCT_OK(tfc_summary_writer_add_graph(w, graph_bytes, sizeof graph_bytes));
    /* Buffered: only the file-version record is in the file so far. */
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 12 + 9 + 15 + 4);
    TFCT_OK(tfc_summary_writer_flush(w));
    TFCT_OK(tfc_summary_writer_close(w));
    return path;
}

static void test_independent_reader(void)
{
    char *dir = temp_dir();
    double before = (double)time(NULL);
    char *path = write_sample(dir);
    double after = (double)time(NULL) + 1;

    /* The file name: events.out.tfevents.<10-digit seconds>.<hostname>. */
    char host[256];
    gethostname(host, sizeof host);
    const char *base = strrchr(path, '/') + 1;
    CU_ASSERT_EQUAL(strncmp(base, "events.out.tfevents.", 20), 0);
    long long secs = atoll(base + 20);
    CU_ASSERT(secs >= (long long)before && secs <= (long long)after);
    CU_ASSERT_EQUAL(base[30], '.');
    CU_ASSERT_STRING_EQUAL(base + 31, host);

    size_t size;
    unsigned char *buf = slurp(path, &size);
    const unsigned char *pl[16];
    size_t lens[16];
    int n = split_records(buf, size, pl, lens, 16);
    CU_ASSERT_EQUAL_FATAL(n, 6);
    static ev e;
    for (int i = 0; i < n; i++) {
        CU_ASSERT_EQUAL_FATAL(parse_event(pl[i], lens[i], &e), 0);
        CU_ASSERT(e.wall_time >= before && e.wall_time <= after);
        switch (i) {
        case 0:
            CU_ASSERT_STRING_EQUAL(e.file_version, "brain.Event:2");
            CU_ASSERT_EQUAL(e.step, 0);
            break;
        case 1:
        case 2:
        case 3:
            CU_ASSERT_TRUE(e.has_summary && e.has_simple);
            CU_ASSERT_STRING_EQUAL(e.tag, i == 3 ? "accuracy" : "loss");
            CU_ASSERT_EQUAL(e.step, i == 1 ? 1 : 2);
            CU_ASSERT_EQUAL(e.simple, i == 1 ? 0.5f : i == 2 ? 0.25f : 0.0f);
            break;
        case 4: {
            CU_ASSERT_TRUE(e.has_summary && e.has_histo);
            CU_ASSERT_STRING_EQUAL(e.tag, "weights");
            CU_ASSERT_EQUAL(e.step, 3);
            CU_ASSERT_EQUAL(e.hmin, -1.0);
            CU_ASSERT_EQUAL(e.hmax, 2.0);
            CU_ASSERT_EQUAL(e.hnum, 7.0);
            double sum = 0, sq = 0;
            for (int k = 0; k < 7; k++) sum += hist_values[k], sq += (double)hist_values[k] * hist_values[k];
            CU_ASSERT_EQUAL(e.hsum, sum);
            CU_ASSERT_EQUAL(e.hsq, sq);
            static double wl[MAXB], wc[MAXB];
            int nb = expected_histogram(hist_values, 7, wl, wc);
            CU_ASSERT_EQUAL(e.nlimits, nb);
            CU_ASSERT_EQUAL(e.ncounts, nb);
            CU_ASSERT_EQUAL(memcmp(e.limits, wl, sizeof(double) * (size_t)nb), 0);
            CU_ASSERT_EQUAL(memcmp(e.counts, wc, sizeof(double) * (size_t)nb), 0);
            /* By hand: 0 and 1e-13 share [0, 1e-12); the two 0.5s share a
             * bucket; runs of empty buckets are merged; the last is DBL_MAX. */
            double total = 0;
            int nonempty = 0;
            for (int k = 0; k < nb; k++) {
                total += e.counts[k];
                if (e.counts[k] > 0) nonempty++;
                if (k) CU_ASSERT(e.limits[k] > e.limits[k - 1]);
                if (k) CU_ASSERT(e.counts[k] > 0 || e.counts[k - 1] > 0);
            }
            CU_ASSERT_EQUAL(total, 7.0);
            CU_ASSERT_EQUAL(nonempty, 5);
            CU_ASSERT_EQUAL(e.limits[nb - 1], DBL_MAX);
            int zero_bucket = -1;
            for (int k = 0; k < nb; k++)
                if (e.limits[k] == 1e-12) zero_bucket = k;
            CU_ASSERT(zero_bucket > 0 && e.counts[zero_bucket] == 2.0 && e.limits[zero_bucket - 1] == 0.0);
            break;
        }
        case 5:
            CU_ASSERT_EQUAL(e.graph_len, sizeof graph_bytes);
            CU_ASSERT(e.graph && !memcmp(e.graph, graph_bytes, sizeof graph_bytes));
            CU_ASSERT_EQUAL(e.step, 0);
            break;
        }
    }
    /* The independent reader notices damage too. */
    buf[20] ^= 1;
    CU_ASSERT_EQUAL(split_records(buf, size, pl, lens, 16), -1);
    free(buf);
    rm_rf(dir);
    free(path);
    free(dir);
}

/* ---- protoc --decode ---- */

static char *find_proto_dir(void)
{
    /* Sources are compiled with paths relative to the build root, which is
     * the parent of this program's directory (tests/). */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = 0;
    char *cand = malloc(2 * sizeof exe);
    if (__FILE__[0] == '/') {
        snprintf(cand, 2 * sizeof exe, "%s", __FILE__);
    } else {
        *strrchr(exe, '/') = 0; /* build/tests */
        *strrchr(exe, '/') = 0; /* build */
        snprintf(cand, 2 * sizeof exe, "%s/%s", exe, __FILE__);
    }
    *strrchr(cand, '/') = 0; /* tests/io */
    strcat(cand, "/../../src/io/proto");
    char probe[8400];
    snprintf(probe, sizeof probe, "%s/event.proto", cand);
    if (access(probe, R_OK) != 0) {
        free(cand);
        return NULL;
    }
    return cand;
}

static const char *find_protoc(void)
{
    if (system("protoc --version >/dev/null 2>&1") == 0) return "protoc";
    /* protoc-c is built on protoc's command line and decodes the same way. */
    if (system("protoc-c --version >/dev/null 2>&1") == 0) return "protoc-c";
    return NULL;
}

static void test_protoc_decode(void)
{
    const char *protoc = find_protoc();
    char *proto_dir = find_proto_dir();
    if (!protoc || !proto_dir) {
        printf("\n    note: %s, skipping the protoc --decode check\n",
               !protoc ? "protoc not installed (Debian: protobuf-compiler)" : "src/io/proto not found");
        free(proto_dir);
        return;
    }
    char *dir = temp_dir();
    char *path = write_sample(dir);
    size_t size;
    unsigned char *buf = slurp(path, &size);
    const unsigned char *pl[16];
    size_t lens[16];
    int n = split_records(buf, size, pl, lens, 16);
    CU_ASSERT_EQUAL_FATAL(n, 6);
    static const char *expect[6][4] = {
        {"file_version: \"brain.Event:2\"", "wall_time: ", NULL},
        {"step: 1", "tag: \"loss\"", "simple_value: 0.5", NULL},
        {"step: 2", "tag: \"loss\"", "simple_value: 0.25", NULL},
        {"step: 2", "tag: \"accuracy\"", "simple_value: 0", NULL},
        {"step: 3", "histo {", "bucket_limit: 1e-12", "num: 7"},
        {"graph_def: \"\\n\\004node\"", NULL},
    };
    char *bin = malloc(strlen(dir) + 16), *txt = malloc(strlen(dir) + 16), cmd[8192];
    sprintf(bin, "%s/rec.bin", dir);
    sprintf(txt, "%s/rec.txt", dir);
    for (int i = 0; i < n; i++) {
        spit(bin, pl[i], lens[i], "wb");
        snprintf(cmd, sizeof cmd, "%s --proto_path='%s' --decode=tfcpb.event.Event event.proto <'%s' >'%s' 2>&1",
                 protoc, proto_dir, bin, txt);
        CU_ASSERT_EQUAL(system(cmd), 0);
        size_t tn;
        char *text = (char *)slurp(txt, &tn);
        text = realloc(text, tn + 1);
        text[tn] = 0;
        for (int k = 0; k < 4 && expect[i][k]; k++) {
            if (!strstr(text, expect[i][k])) fprintf(stderr, "\nrecord %d: '%s' not in:\n%s\n", i, expect[i][k], text);
            CU_ASSERT_PTR_NOT_NULL(strstr(text, expect[i][k]));
        }
        free(text);
    }
    free(bin);
    free(txt);
    free(buf);
    free(path);
    free(proto_dir);
    rm_rf(dir);
    free(dir);
}

/* ---- the library's reader ---- */

static void test_library_reader(void)
{
    char *dir = temp_dir();
    char *path = write_sample(dir);
    tfc_event_reader *r;
    TFCT_OK(tfc_event_reader_open(path, &r));
    TFCT_OK(tfc_event_reader_next(r));
    CU_ASSERT_EQUAL(tfc_event_kind_of(r), TFC_EVENT_FILE_VERSION);
    CU_ASSERT_STRING_EQUAL(tfc_event_file_version(r), "brain.Event:2");
    CU_ASSERT(tfc_event_wall_time(r) > 1.5e9);
    CU_ASSERT_EQUAL(tfc_event_num_values(r), 0);
    const float want[3] = {0.5f, 0.25f, 0.0f};
    const int64_t steps[3] = {1, 2, 2};
    for (int i = 0; i < 3; i++) {
        TFCT_OK(tfc_event_reader_next(r));
        CU_ASSERT_EQUAL(tfc_event_kind_of(r), TFC_EVENT_SUMMARY);
        CU_ASSERT_EQUAL(tfc_event_step(r), steps[i]);
        CU_ASSERT_EQUAL(tfc_event_num_values(r), 1);
        CU_ASSERT_STRING_EQUAL(tfc_event_value_tag(r, 0), i == 2 ? "accuracy" : "loss");
        CU_ASSERT_EQUAL(tfc_event_value_kind(r, 0), TFC_SUMMARY_SCALAR);
        float v = -1;
        TFCT_OK(tfc_event_value_scalar(r, 0, &v));
        CU_ASSERT_EQUAL(v, want[i]);
        tfc_histogram h;
        CU_ASSERT_EQUAL(tfc_event_value_histogram(r, 0, &h), TFC_INVALID_ARGUMENT);
        CU_ASSERT_PTR_NULL(tfc_event_value_tag(r, 1));
        CU_ASSERT_EQUAL(tfc_event_value_scalar(r, 1, &v), TFC_INVALID_ARGUMENT);
    }
    TFCT_OK(tfc_event_reader_next(r));
    CU_ASSERT_EQUAL(tfc_event_value_kind(r, 0), TFC_SUMMARY_HISTOGRAM);
    tfc_histogram h;
    TFCT_OK(tfc_event_value_histogram(r, 0, &h));
    CU_ASSERT_EQUAL(h.num, 7.0);
    CU_ASSERT_EQUAL(h.min, -1.0);
    CU_ASSERT_EQUAL(h.max, 2.0);
    static double wl[MAXB], wc[MAXB];
    int nb = expected_histogram(hist_values, 7, wl, wc);
    CU_ASSERT_EQUAL_FATAL(h.num_buckets, (size_t)nb);
    CU_ASSERT_EQUAL(memcmp(h.bucket_limit, wl, sizeof(double) * (size_t)nb), 0);
    CU_ASSERT_EQUAL(memcmp(h.bucket, wc, sizeof(double) * (size_t)nb), 0);
    TFCT_OK(tfc_event_reader_next(r));
    CU_ASSERT_EQUAL(tfc_event_kind_of(r), TFC_EVENT_GRAPH_DEF);
    size_t gn;
    const void *g = tfc_event_graph_def(r, &gn);
    CU_ASSERT(gn == sizeof graph_bytes && !memcmp(g, graph_bytes, gn));
    CU_ASSERT_EQUAL(tfc_event_reader_next(r), TFC_OUT_OF_RANGE);
    CU_ASSERT_FALSE(tfc_event_reader_truncated(r));
    struct stat st;
    stat(path, &st);
    CU_ASSERT_EQUAL(tfc_event_reader_offset(r), (uint64_t)st.st_size);
    tfc_event_reader_free(r);
    CU_ASSERT_EQUAL(tfc_event_reader_open("/nonexistent/events", &r), TFC_NOT_FOUND);
    TFCT_ERR_HAS("/nonexistent/events");
    rm_rf(dir);
    free(path);
    free(dir);
}

/* Reads buf through the library: events read and the final code. */
static tfc_code read_all(const unsigned char *buf, size_t n, int *events, bool *truncated)
{
    tfc_event_reader *r;
    TFCT_OK(tfc_event_reader_open_buffer(buf, n, "mem", &r));
    tfc_code c;
    *events = 0;
    while ((c = tfc_event_reader_next(r)) == TFC_OK) {
        (*events)++;
        /* Touch everything an accessor can give. */
        for (int i = 0; i < tfc_event_num_values(r); i++) {
            tfc_histogram h;
            float v;
            (void)tfc_event_value_tag(r, i);
            if (tfc_event_value_histogram(r, i, &h) == TFC_OK && h.num_buckets)
                (void)(h.bucket[h.num_buckets - 1] + h.bucket_limit[0]);
            (void)tfc_event_value_scalar(r, i, &v);
        }
    }
    *truncated = tfc_event_reader_truncated(r);
    if (c == TFC_DATA_LOSS) {
        /* Sticky. */
        CU_ASSERT_EQUAL(tfc_event_reader_next(r), TFC_DATA_LOSS);
    }
    tfc_event_reader_free(r);
    return c;
}

static void test_damage(void)
{
    char *dir = temp_dir();
    char *path = write_sample(dir);
    size_t size;
    unsigned char *buf = slurp(path, &size);
    const unsigned char *pl[16];
    size_t lens[16];
    CU_ASSERT_EQUAL_FATAL(split_records(buf, size, pl, lens, 16), 6);
    size_t off[7];
    for (int i = 0; i < 6; i++) off[i] = (size_t)(pl[i] - buf) - 12;
    off[6] = size;

    int events;
    bool trunc;
    /* Every truncation: the complete records, then end of data; partial
     * when the cut is inside a record. */
    for (size_t n = 0; n <= size; n++) {
        int complete = 0;
        while (complete < 6 && off[complete + 1] <= n) complete++;
        bool boundary = n == off[complete];
        tfc_code c = read_all(buf, n, &events, &trunc);
        CU_ASSERT_EQUAL(c, TFC_OUT_OF_RANGE);
        CU_ASSERT_EQUAL(events, complete);
        CU_ASSERT_EQUAL(trunc, !boundary);
    }
    /* Every single-bit flip is caught by a CRC: DATA_LOSS, never an event
     * with different content. */
    unsigned char *m = malloc(size);
    int bad = 0;
    for (size_t i = 0; i < size; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(m, buf, size);
            m[i] ^= (unsigned char)(1u << bit);
            int rec = 0;
            while (off[rec + 1] <= i) rec++;
            tfc_code c = read_all(m, size, &events, &trunc);
            /* A damaged length may also claim more bytes than there are:
             * then its CRC check comes first, so it is still DATA_LOSS. */
            if (c != TFC_DATA_LOSS || events != rec) bad++;
        }
    CU_ASSERT_EQUAL(bad, 0);
    free(m);

    /* Messages name the file and the record's byte offset. */
    char *p2 = malloc(strlen(dir) + 16);
    sprintf(p2, "%s/damaged", dir);
    unsigned char *copy = malloc(size);
    memcpy(copy, buf, size);
    copy[off[2] + 20] ^= 0x40; /* payload of record 2 */
    spit(p2, copy, size, "wb");
    tfc_event_reader *r;
    TFCT_OK(tfc_event_reader_open(p2, &r));
    TFCT_OK(tfc_event_reader_next(r));
    TFCT_OK(tfc_event_reader_next(r));
    CU_ASSERT_EQUAL(tfc_event_reader_next(r), TFC_DATA_LOSS);
    TFCT_ERR_HAS(p2);
    char at[64];
    snprintf(at, sizeof at, "record at byte offset %zu: data checksum mismatch", off[2]);
    TFCT_ERR_HAS(at);
    CU_ASSERT_EQUAL(tfc_event_reader_next(r), TFC_DATA_LOSS);
    TFCT_ERR_HAS(at);
    tfc_event_reader_free(r);
    /* A damaged length. */
    memcpy(copy, buf, size);
    copy[off[1] + 2] ^= 0x01;
    CU_ASSERT_EQUAL(tfc_event_reader_open_buffer(copy, size, "len", &r), TFC_OK);
    TFCT_OK(tfc_event_reader_next(r));
    CU_ASSERT_EQUAL(tfc_event_reader_next(r), TFC_DATA_LOSS);
    snprintf(at, sizeof at, "record at byte offset %zu: length checksum mismatch", off[1]);
    TFCT_ERR_HAS(at);
    tfc_event_reader_free(r);
    /* A wrong data CRC (the stored CRC itself changed). */
    memcpy(copy, buf, size);
    copy[off[4] - 1] ^= 0x80;
    CU_ASSERT_EQUAL(read_all(copy, size, &events, &trunc), TFC_DATA_LOSS);
    CU_ASSERT_EQUAL(events, 3);
    /* Right CRCs around a payload that is not an Event. */
    unsigned char junk[12 + 2 + 4];
    uint64_t two = 2;
    for (int i = 0; i < 8; i++) junk[i] = (unsigned char)(two >> (8 * i));
    uint32_t c1 = masked(crc32c(junk, 8));
    for (int i = 0; i < 4; i++) junk[8 + i] = (unsigned char)(c1 >> (8 * i));
    junk[12] = 0xff;
    junk[13] = 0xff;
    uint32_t c2 = masked(crc32c(junk + 12, 2));
    for (int i = 0; i < 4; i++) junk[14 + i] = (unsigned char)(c2 >> (8 * i));
    CU_ASSERT_EQUAL(tfc_event_reader_open_buffer(junk, sizeof junk, "junk", &r), TFC_OK);
    CU_ASSERT_EQUAL(tfc_event_reader_next(r), TFC_DATA_LOSS);
    TFCT_ERR_HAS("record at byte offset 0: not a valid Event message");
    tfc_event_reader_free(r);

    /* A writer that has not finished its last record: end of data with the
     * truncated flag; once the rest arrives, the record reads. */
    spit(p2, buf, off[5] + 7, "wb");
    TFCT_OK(tfc_event_reader_open(p2, &r));
    for (int i = 0; i < 5; i++) TFCT_OK(tfc_event_reader_next(r));
    CU_ASSERT_EQUAL(tfc_event_reader_next(r), TFC_OUT_OF_RANGE);
    CU_ASSERT_TRUE(tfc_event_reader_truncated(r));
    TFCT_ERR_HAS("partial record at byte offset");
    CU_ASSERT_EQUAL(tfc_event_reader_offset(r), off[5]);
    spit(p2, buf + off[5] + 7, size - off[5] - 7, "ab");
    TFCT_OK(tfc_event_reader_next(r));
    CU_ASSERT_EQUAL(tfc_event_kind_of(r), TFC_EVENT_GRAPH_DEF);
    CU_ASSERT_EQUAL(tfc_event_reader_next(r), TFC_OUT_OF_RANGE);
    CU_ASSERT_FALSE(tfc_event_reader_truncated(r));
    tfc_event_reader_free(r);

    free(copy);
    free(p2);
    free(buf);
    free(path);
    rm_rf(dir);
    free(dir);
}

/* ---- writer options and errors ---- */

typedef struct thread_arg {
    tfc_summary_writer *w;
    int id;
} thread_arg;

static void *add_many(void *p)
{
    thread_arg *a = p;
    char tag[32];
    snprintf(tag, sizeof tag, "thread%d", a->id);
    for (int i = 0; i < 100; i++)
        if (tfc_summary_writer_add_scalar(a->w, tag, i, (float)i)) return p;
    return NULL;
}

static void test_writer_options(void)
{
    char *dir = temp_dir();
    tfc_summary_writer *a, *b;
    TFCT_OK(tfc_summary_writer_new(dir, NULL, &a));
    /* Same second, same directory: refused unless given a suffix. */
    tfc_code c = tfc_summary_writer_new(dir, NULL, &b);
    if (c == TFC_OK) {
        CU_ASSERT_STRING_NOT_EQUAL(tfc_summary_writer_path(a), tfc_summary_writer_path(b));
        tfc_summary_writer_free(b);
    } else {
        CU_ASSERT_EQUAL(c, TFC_ALREADY_EXISTS);
        TFCT_ERR_HAS("filename_suffix");
    }
    tfc_summary_writer_options o = TFC_SUMMARY_WRITER_OPTIONS_INIT;
    o.filename_suffix = ".eval";
    TFCT_OK(tfc_summary_writer_new(dir, &o, &b));
    const char *pb = tfc_summary_writer_path(b);
    CU_ASSERT_STRING_EQUAL(pb + strlen(pb) - 5, ".eval");
    o.filename_suffix = "a/b";
    tfc_summary_writer *bad;
    CU_ASSERT_EQUAL(tfc_summary_writer_new(dir, &o, &bad), TFC_INVALID_ARGUMENT);

    /* Histogram edge cases: non-finite values refused, empty allowed. */
    float nan[2] = {1.0f, 0.0f / 0.0f};
    CU_ASSERT_EQUAL(tfc_summary_writer_add_histogram(a, "h", 1, nan, 2), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("value 1 is NaN");
    TFCT_OK(tfc_summary_writer_add_histogram(a, "empty", 1, NULL, 0));
    CU_ASSERT_EQUAL(tfc_summary_writer_add_scalar(a, "", 1, 0), TFC_INVALID_ARGUMENT);

    /* Several threads at once. */
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){b, i};
        pthread_create(&th[i], NULL, add_many, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        CU_ASSERT_PTR_NULL(rv);
    }
    char *pa = strdup(tfc_summary_writer_path(a)), *pbc = strdup(pb);
    tfc_summary_writer_free(a); /* free flushes */
    TFCT_OK(tfc_summary_writer_close(b));

    tfc_event_reader *r;
    TFCT_OK(tfc_event_reader_open(pa, &r));
    TFCT_OK(tfc_event_reader_next(r));
    TFCT_OK(tfc_event_reader_next(r));
    tfc_histogram h;
    TFCT_OK(tfc_event_value_histogram(r, 0, &h));
    CU_ASSERT_EQUAL(h.num, 0.0);
    CU_ASSERT_EQUAL(h.num_buckets, 1);
    CU_ASSERT_EQUAL(h.bucket_limit[0], DBL_MAX);
    CU_ASSERT_EQUAL(h.bucket[0], 0.0);
    CU_ASSERT_EQUAL(h.min, DBL_MAX);
    CU_ASSERT_EQUAL(h.max, -DBL_MAX);
    CU_ASSERT_EQUAL(tfc_event_reader_next(r), TFC_OUT_OF_RANGE);
    tfc_event_reader_free(r);
    TFCT_OK(tfc_event_reader_open(pbc, &r));
    int n = 0, per[4] = {0};
    while (tfc_event_reader_next(r) == TFC_OK) {
        n++;
        const char *tag = tfc_event_value_tag(r, 0);
        if (tag && !strncmp(tag, "thread", 6)) {
            float v;
            TFCT_OK(tfc_event_value_scalar(r, 0, &v));
            int id = tag[6] - '0';
            /* Each thread's events stay in its order. */
            CU_ASSERT_EQUAL(v, (float)per[id]);
            CU_ASSERT_EQUAL(tfc_event_step(r), per[id]);
            per[id]++;
        }
    }
    CU_ASSERT_FALSE(tfc_event_reader_truncated(r));
    CU_ASSERT_EQUAL(n, 401);
    tfc_event_reader_free(r);

    /* flush_secs: an add after the interval writes everything out. */
    char *sub = malloc(strlen(dir) + 16);
    sprintf(sub, "%s/x/y", dir); /* created with its parents */
    o = (tfc_summary_writer_options)TFC_SUMMARY_WRITER_OPTIONS_INIT;
    o.flush_secs = 0.05;
    tfc_summary_writer *w;
    TFCT_OK(tfc_summary_writer_new(sub, &o, &w));
    struct stat st0, st1, st2;
    stat(tfc_summary_writer_path(w), &st0);
    TFCT_OK(tfc_summary_writer_add_scalar(w, "a", 1, 1));
    stat(tfc_summary_writer_path(w), &st1);
    CU_ASSERT_EQUAL(st1.st_size, st0.st_size);
    usleep(80000);
    TFCT_OK(tfc_summary_writer_add_scalar(w, "a", 2, 2));
    stat(tfc_summary_writer_path(w), &st2);
    CU_ASSERT(st2.st_size > st0.st_size);
    TFCT_OK(tfc_summary_writer_close(w));

    free(sub);
    free(pa);
    free(pbc);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"independent_reader", test_independent_reader},
        {"protoc_decode", test_protoc_decode},
        {"library_reader", test_library_reader},
        {"damage", test_damage},
        {"writer_options", test_writer_options},
        {NULL, NULL},
    };
    return tfct_main("events", cases);
}
