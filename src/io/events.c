/* TensorBoard event files: the summary writer and the event reader
 * (tfc/summary.h). Framing and masked CRC32C follow TensorFlow's
 * record_writer.cc / record_reader.cc; histograms follow
 * tensorflow/core/lib/histogram/histogram.cc. */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "le_bytes.h"
#include "../core/core.h"
#include "atomic_file.h"
#include "crc32c.h"
#include "event.pb-c.h"
#include "tfc/summary.h"

#define FILE_VERSION "brain.Event:2"
/* Buffered bytes beyond this are written out without waiting for flush_secs. */
#define WRITER_MAX_BUFFER ((size_t)1 << 20)
/* Record header: uint64 length + uint32 masked CRC of it. */
#define RECORD_HEADER 12
#define RECORD_FOOTER 4

static double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ==== writer ==== */

struct tfc_summary_writer {
    pthread_mutex_t mu;
    int fd;
    char *path;
    unsigned char *buf;
    size_t len, cap;
    double flush_secs;
    double last_flush;
};

static tfc_code write_out(tfc_summary_writer *w)
{
    size_t off = 0;
    while (off < w->len) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            tfc_code c = tfci_error(errno == ENOSPC ? TFC_RESOURCE_EXHAUSTED : TFC_UNKNOWN,
                                    "event file '%s': write failed: %s", w->path, strerror(errno));
            /* Keep what was not written for a later retry. */
            memmove(w->buf, w->buf + off, w->len - off);
            w->len -= off;
            return c;
        }
        off += (size_t)n;
    }
    w->len = 0;
    w->last_flush = tfci_now_seconds();
    return TFC_OK;
}

/* Frames a packed Event as one TFRecord at the end of the buffer. */
static tfc_code append_event(tfc_summary_writer *w, const Tfcpb__Event__Event *ev)
{
    size_t n = tfcpb__event__event__get_packed_size(ev);
    size_t need = RECORD_HEADER + n + RECORD_FOOTER;
    if (need > SIZE_MAX / 2 - w->len) return tfci_error(TFC_INVALID_ARGUMENT, "event file '%s': event too large", w->path);
    if (w->len + need > w->cap) {
        size_t nc = w->cap ? w->cap : 4096;
        while (nc < w->len + need) nc *= 2;
        unsigned char *nb = realloc(w->buf, nc);
        if (!nb) return tfci_error(TFC_RESOURCE_EXHAUSTED, "event file '%s': out of memory", w->path);
        w->buf = nb;
        w->cap = nc;
    }
    unsigned char *p = w->buf + w->len;
    tfci_put_le64(p, n);
    tfci_put_le32(p + 8, tfci_crc32c_mask(tfci_crc32c(p, 8)));
    tfcpb__event__event__pack(ev, p + RECORD_HEADER);
    tfci_put_le32(p + RECORD_HEADER + n, tfci_crc32c_mask(tfci_crc32c(p + RECORD_HEADER, n)));
    w->len += need;
    if (w->len >= WRITER_MAX_BUFFER || (w->flush_secs > 0 && tfci_now_seconds() - w->last_flush >= w->flush_secs))
        return write_out(w);
    return TFC_OK;
}

static tfc_code add_locked(tfc_summary_writer *w, const Tfcpb__Event__Event *ev)
{
    pthread_mutex_lock(&w->mu);
    tfc_code c = append_event(w, ev);
    pthread_mutex_unlock(&w->mu);
    return c;
}

TFC_API tfc_code tfc_summary_writer_new(const char *logdir, const tfc_summary_writer_options *opts,
                                        tfc_summary_writer **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_summary_writer_new: out is NULL");
    *out = NULL;
    if (!logdir || !*logdir) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_summary_writer_new: logdir is empty");
    const char *suffix = "";
    double flush_secs = 120.0;
    if (opts) {
        if (opts->size < offsetof(tfc_summary_writer_options, flush_secs) + sizeof opts->flush_secs)
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "tfc_summary_writer_new: options size %zu is too small (use "
                              "TFC_SUMMARY_WRITER_OPTIONS_INIT)",
                              opts->size);
        if (opts->filename_suffix) suffix = opts->filename_suffix;
        if (strchr(suffix, '/'))
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_summary_writer_new: filename_suffix '%s' contains '/'",
                              suffix);
        flush_secs = opts->flush_secs;
        if (!(flush_secs >= 0))
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_summary_writer_new: flush_secs is %g (expected >= 0)",
                              flush_secs);
    }
    tfc_code c = tfci_mkdir_p(logdir);
    if (c) {
        tfci_error_prefix("tfc_summary_writer_new");
        return c;
    }
    char host[256];
    if (gethostname(host, sizeof host) != 0) strcpy(host, "localhost");
    host[sizeof host - 1] = 0;
    double wall = now_wall();
    size_t n = strlen(logdir) + strlen(host) + strlen(suffix) + 64;
    tfc_summary_writer *w = calloc(1, sizeof *w);
    char *path = malloc(n);
    if (!w || !path) {
        free(w);
        free(path);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_summary_writer_new: out of memory");
    }
    /* TensorFlow's name: the seconds zero-padded to 10 digits. */
    snprintf(path, n, "%s/events.out.tfevents.%010lld.%s%s", logdir, (long long)floor(wall), host, suffix);
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_APPEND, 0666);
    if (w->fd < 0) {
        int e = errno;
        c = tfci_error(e == EEXIST ? TFC_ALREADY_EXISTS : e == EACCES ? TFC_PERMISSION_DENIED : TFC_UNKNOWN,
                       "tfc_summary_writer_new: creating '%s': %s%s", path, strerror(e),
                       e == EEXIST ? " (another writer started this second: set filename_suffix)" : "");
        free(path);
        free(w);
        return c;
    }
    pthread_mutex_init(&w->mu, NULL);
    w->path = path;
    w->flush_secs = flush_secs;
    w->last_flush = tfci_now_seconds();
    Tfcpb__Event__Event ev = TFCPB__EVENT__EVENT__INIT;
    ev.wall_time = wall;
    ev.what_case = TFCPB__EVENT__EVENT__WHAT_FILE_VERSION;
    ev.file_version = (char *)FILE_VERSION;
    c = append_event(w, &ev);
    if (!c) c = write_out(w);
    if (c) {
        unlink(path);
        tfc_summary_writer_free(w);
        return c;
    }
    *out = w;
    return TFC_OK;
}

TFC_API const char *tfc_summary_writer_path(const tfc_summary_writer *w) { return w ? w->path : NULL; }

static tfc_code check_tag(const tfc_summary_writer *w, const char *tag, const char *who)
{
    if (!w) return tfci_error(TFC_INVALID_ARGUMENT, "%s: writer is NULL", who);
    if (!tag || !*tag) return tfci_error(TFC_INVALID_ARGUMENT, "%s: tag is empty", who);
    return TFC_OK;
}

TFC_API tfc_code tfc_summary_writer_add_scalar(tfc_summary_writer *w, const char *tag, int64_t step, float value)
{
    tfc_code c = check_tag(w, tag, "tfc_summary_writer_add_scalar");
    if (c) return c;
    Tfcpb__Event__Summary__Value v = TFCPB__EVENT__SUMMARY__VALUE__INIT;
    v.tag = (char *)tag;
    v.value_case = TFCPB__EVENT__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
    v.simple_value = value;
    Tfcpb__Event__Summary__Value *vs[1] = {&v};
    Tfcpb__Event__Summary s = TFCPB__EVENT__SUMMARY__INIT;
    s.n_value = 1;
    s.value = vs;
    Tfcpb__Event__Event ev = TFCPB__EVENT__EVENT__INIT;
    ev.wall_time = now_wall();
    ev.step = step;
    ev.what_case = TFCPB__EVENT__EVENT__WHAT_SUMMARY;
    ev.summary = &s;
    return add_locked(w, &ev);
}

/* TensorFlow's default bucket limits: -DBL_MAX, -1e20.., -1e-12, 0, 1e-12,
 * .., 1e20-ish, DBL_MAX. Built once. */
static double *default_limits;
static size_t num_default_limits;
static pthread_once_t limits_once = PTHREAD_ONCE_INIT;

static void build_limits(void)
{
    size_t npos = 0;
    for (double v = 1.0e-12; v < 1.0e20; v *= 1.1) npos++;
    size_t n = 2 * (npos + 1) + 1;
    double *l = malloc(n * sizeof *l);
    if (!l) return;
    double v = 1.0e-12;
    for (size_t k = 0; k < npos; k++, v *= 1.1) {
        l[npos - k] = -v; /* negatives mirrored, ascending */
        l[npos + 2 + k] = v;
    }
    l[0] = -DBL_MAX;
    l[npos + 1] = 0.0;
    l[n - 1] = DBL_MAX;
    default_limits = l;
    num_default_limits = n;
}

/* First limit greater than x (std::upper_bound). */
static size_t upper_bound(const double *l, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x < l[mid]) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

TFC_API tfc_code tfc_summary_writer_add_histogram(tfc_summary_writer *w, const char *tag, int64_t step,
                                                  const float *values, size_t n)
{
    tfc_code c = check_tag(w, tag, "tfc_summary_writer_add_histogram");
    if (c) return c;
    if (n && !values) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_summary_writer_add_histogram: values is NULL");
    pthread_once(&limits_once, build_limits);
    if (!default_limits) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_summary_writer_add_histogram: out of memory");
    const size_t nb = num_default_limits;
    double *counts = calloc(nb, sizeof *counts);
    double *out_limits = malloc(nb * sizeof *out_limits), *out_counts = malloc(nb * sizeof *out_counts);
    if (!counts || !out_limits || !out_counts) {
        free(counts);
        free(out_limits);
        free(out_counts);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_summary_writer_add_histogram: out of memory");
    }
    double mn = DBL_MAX, mx = -DBL_MAX, sum = 0, sumsq = 0;
    for (size_t i = 0; i < n; i++) {
        double x = values[i];
        if (!isfinite(x)) {
            free(counts);
            free(out_limits);
            free(out_counts);
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "tfc_summary_writer_add_histogram: '%s': value %zu is %s (histograms need finite "
                              "values)",
                              tag, i, isnan(x) ? "NaN" : "infinite");
        }
        size_t b = upper_bound(default_limits, nb, x);
        if (b >= nb) b = nb - 1; /* x == DBL_MAX: not reachable from a float */
        counts[b] += 1.0;
        if (x < mn) mn = x;
        if (x > mx) mx = x;
        sum += x;
        sumsq += x * x;
    }
    /* Runs of empty buckets become one entry ending at the run's last limit. */
    size_t k = 0;
    for (size_t i = 0; i < nb;) {
        double end = default_limits[i], cnt = counts[i];
        i++;
        if (cnt <= 0.0)
            while (i < nb && counts[i] <= 0.0) end = default_limits[i++];
        out_limits[k] = end;
        out_counts[k] = cnt;
        k++;
    }
    Tfcpb__Event__HistogramProto h = TFCPB__EVENT__HISTOGRAM_PROTO__INIT;
    h.min = mn;
    h.max = mx;
    h.num = (double)n;
    h.sum = sum;
    h.sum_squares = sumsq;
    h.n_bucket_limit = h.n_bucket = k;
    h.bucket_limit = out_limits;
    h.bucket = out_counts;
    Tfcpb__Event__Summary__Value v = TFCPB__EVENT__SUMMARY__VALUE__INIT;
    v.tag = (char *)tag;
    v.value_case = TFCPB__EVENT__SUMMARY__VALUE__VALUE_HISTO;
    v.histo = &h;
    Tfcpb__Event__Summary__Value *vs[1] = {&v};
    Tfcpb__Event__Summary s = TFCPB__EVENT__SUMMARY__INIT;
    s.n_value = 1;
    s.value = vs;
    Tfcpb__Event__Event ev = TFCPB__EVENT__EVENT__INIT;
    ev.wall_time = now_wall();
    ev.step = step;
    ev.what_case = TFCPB__EVENT__EVENT__WHAT_SUMMARY;
    ev.summary = &s;
    c = add_locked(w, &ev);
    free(counts);
    free(out_limits);
    free(out_counts);
    return c;
}

TFC_API tfc_code tfc_summary_writer_add_graph(tfc_summary_writer *w, const void *graph_def, size_t size)
{
    if (!w) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_summary_writer_add_graph: writer is NULL");
    if (size && !graph_def) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_summary_writer_add_graph: graph_def is NULL");
    Tfcpb__Event__Event ev = TFCPB__EVENT__EVENT__INIT;
    ev.wall_time = now_wall();
    ev.what_case = TFCPB__EVENT__EVENT__WHAT_GRAPH_DEF;
    ev.graph_def.data = (uint8_t *)graph_def;
    ev.graph_def.len = size;
    return add_locked(w, &ev);
}

TFC_API tfc_code tfc_summary_writer_flush(tfc_summary_writer *w)
{
    if (!w) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_summary_writer_flush: writer is NULL");
    pthread_mutex_lock(&w->mu);
    tfc_code c = write_out(w);
    pthread_mutex_unlock(&w->mu);
    return c;
}

TFC_API tfc_code tfc_summary_writer_close(tfc_summary_writer *w)
{
    if (!w) return TFC_OK;
    tfc_code c = TFC_OK;
    if (w->fd >= 0) {
        c = write_out(w);
        if (!c && fsync(w->fd) != 0 && errno != EINVAL)
            c = tfci_error(TFC_UNKNOWN, "event file '%s': fsync failed: %s", w->path, strerror(errno));
        if (close(w->fd) != 0 && !c)
            c = tfci_error(TFC_UNKNOWN, "event file '%s': close failed: %s", w->path, strerror(errno));
        w->fd = -1;
    }
    pthread_mutex_destroy(&w->mu);
    free(w->buf);
    free(w->path);
    free(w);
    return c;
}

TFC_API void tfc_summary_writer_free(tfc_summary_writer *w)
{
    if (!w) return;
    if (tfc_summary_writer_close(w) != TFC_OK)
        tfci_log(TFC_LOG_ERROR, "tfc_summary_writer_free: %s", tfc_last_error());
}

/* ==== reader ==== */

struct tfc_event_reader {
    char *source;
    int fd;                   /* -1 for a memory reader */
    unsigned char *mem;       /* memory reader's copy */
    size_t mem_size;
    uint64_t offset;          /* next record */
    bool truncated;
    tfc_code sticky;          /* a DATA_LOSS repeats */
    char *sticky_msg;
    unsigned char *buf;       /* current record's payload */
    size_t cap;
    Tfcpb__Event__Event *ev;  /* current event */
};

static tfc_code reader_new(const char *source, tfc_event_reader **out)
{
    tfc_event_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->source = strdup(source))) {
        free(r);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "event file '%s': out of memory", source);
    }
    r->fd = -1;
    *out = r;
    return TFC_OK;
}

TFC_API tfc_code tfc_event_reader_open(const char *path, tfc_event_reader **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_event_reader_open: out is NULL");
    *out = NULL;
    if (!path) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_event_reader_open: path is NULL");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tfci_error(errno == ENOENT ? TFC_NOT_FOUND : errno == EACCES ? TFC_PERMISSION_DENIED : TFC_UNKNOWN,
                          "event file '%s': %s", path, strerror(errno));
    tfc_event_reader *r = NULL;
    tfc_code c = reader_new(path, &r);
    if (c) {
        close(fd);
        return c;
    }
    r->fd = fd;
    *out = r;
    return TFC_OK;
}

TFC_API tfc_code tfc_event_reader_open_buffer(const void *data, size_t size, const char *source,
                                              tfc_event_reader **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_event_reader_open_buffer: out is NULL");
    *out = NULL;
    if (!data && size) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_event_reader_open_buffer: data is NULL");
    tfc_event_reader *r = NULL;
    tfc_code c = reader_new(source ? source : "<buffer>", &r);
    if (c) return c;
    r->mem = malloc(size ? size : 1);
    if (!r->mem) {
        tfc_event_reader_free(r);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "event file '%s': out of memory", source ? source : "<buffer>");
    }
    if (size) memcpy(r->mem, data, size);
    r->mem_size = size;
    *out = r;
    return TFC_OK;
}

TFC_API void tfc_event_reader_free(tfc_event_reader *r)
{
    if (!r) return;
    if (r->ev) tfcpb__event__event__free_unpacked(r->ev, NULL);
    if (r->fd >= 0) close(r->fd);
    free(r->mem);
    free(r->buf);
    free(r->sticky_msg);
    free(r->source);
    free(r);
}

/* Bytes available from offset on (the file may still grow). */
static tfc_code available(tfc_event_reader *r, uint64_t *avail)
{
    uint64_t size = r->mem_size;
    if (r->fd >= 0) {
        struct stat st;
        if (fstat(r->fd, &st) != 0)
            return tfci_error(TFC_UNKNOWN, "event file '%s': %s", r->source, strerror(errno));
        size = (uint64_t)st.st_size;
    }
    *avail = size > r->offset ? size - r->offset : 0;
    return TFC_OK;
}

/* Reads n bytes at offset + at into dst; false on a short read. */
static bool read_at(tfc_event_reader *r, uint64_t at, void *dst, size_t n)
{
    if (r->fd < 0) {
        if (at > r->mem_size || n > r->mem_size - at) return false;
        memcpy(dst, r->mem + at, n);
        return true;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(r->fd, (char *)dst + got, n - got, (off_t)(at + got));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        got += (size_t)k;
    }
    return true;
}

static tfc_code data_loss(tfc_event_reader *r, const char *fmt, ...) TFCI_PRINTF(2, 3);
static tfc_code data_loss(tfc_event_reader *r, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    tfci_error(TFC_DATA_LOSS, "event file '%s': %s", r->source, what);
    r->sticky = TFC_DATA_LOSS;
    free(r->sticky_msg);
    r->sticky_msg = strdup(tfc_last_error());
    return TFC_DATA_LOSS;
}

static tfc_code end_of_data(tfc_event_reader *r, bool truncated)
{
    r->truncated = truncated;
    if (truncated)
        return tfci_error(TFC_OUT_OF_RANGE, "event file '%s': partial record at byte offset %llu (not yet written?)",
                          r->source, (unsigned long long)r->offset);
    return tfci_error(TFC_OUT_OF_RANGE, "event file '%s': end of data at byte offset %llu", r->source,
                      (unsigned long long)r->offset);
}

TFC_API tfc_code tfc_event_reader_next(tfc_event_reader *r)
{
    if (!r) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_event_reader_next: reader is NULL");
    if (r->ev) {
        tfcpb__event__event__free_unpacked(r->ev, NULL);
        r->ev = NULL;
    }
    if (r->sticky) return tfci_error(r->sticky, "%s", r->sticky_msg ? r->sticky_msg : "event file damaged");
    r->truncated = false;
    uint64_t avail = 0;
    tfc_code c = available(r, &avail);
    if (c) return c;
    if (avail == 0) return end_of_data(r, false);
    unsigned char head[RECORD_HEADER];
    if (avail < RECORD_HEADER || !read_at(r, r->offset, head, RECORD_HEADER)) return end_of_data(r, true);
    unsigned long long at = (unsigned long long)r->offset;
    uint32_t want = tfci_get_le32(head + 8);
    if (tfci_crc32c_mask(tfci_crc32c(head, 8)) != want)
        return data_loss(r, "record at byte offset %llu: length checksum mismatch (damaged record header)", at);
    uint64_t len = tfci_get_le64(head);
    /* The length is checksummed, so a record longer than the file is one
     * still being written: nothing is allocated from it until it is there. */
    if (len > avail - RECORD_HEADER || avail - RECORD_HEADER - len < RECORD_FOOTER) return end_of_data(r, true);
    if (len + RECORD_FOOTER > r->cap) {
        unsigned char *nb = realloc(r->buf, (size_t)len + RECORD_FOOTER);
        if (!nb) return tfci_error(TFC_RESOURCE_EXHAUSTED, "event file '%s': out of memory", r->source);
        r->buf = nb;
        r->cap = (size_t)len + RECORD_FOOTER;
    }
    if (!read_at(r, r->offset + RECORD_HEADER, r->buf, (size_t)len + RECORD_FOOTER)) return end_of_data(r, true);
    if (tfci_crc32c_mask(tfci_crc32c(r->buf, (size_t)len)) != tfci_get_le32(r->buf + len))
        return data_loss(r, "record at byte offset %llu: data checksum mismatch (damaged payload, %llu bytes)", at,
                         (unsigned long long)len);
    r->ev = tfcpb__event__event__unpack(NULL, (size_t)len, r->buf);
    if (!r->ev) return data_loss(r, "record at byte offset %llu: not a valid Event message (%llu bytes)", at,
                                 (unsigned long long)len);
    r->offset += RECORD_HEADER + len + RECORD_FOOTER;
    return TFC_OK;
}

TFC_API bool tfc_event_reader_truncated(const tfc_event_reader *r) { return r && r->truncated; }
TFC_API uint64_t tfc_event_reader_offset(const tfc_event_reader *r) { return r ? r->offset : 0; }

TFC_API double tfc_event_wall_time(const tfc_event_reader *r) { return r && r->ev ? r->ev->wall_time : 0.0; }
TFC_API int64_t tfc_event_step(const tfc_event_reader *r) { return r && r->ev ? r->ev->step : 0; }

TFC_API tfc_event_kind tfc_event_kind_of(const tfc_event_reader *r)
{
    if (!r || !r->ev) return TFC_EVENT_OTHER;
    switch (r->ev->what_case) {
    case TFCPB__EVENT__EVENT__WHAT_FILE_VERSION: return TFC_EVENT_FILE_VERSION;
    case TFCPB__EVENT__EVENT__WHAT_GRAPH_DEF: return TFC_EVENT_GRAPH_DEF;
    case TFCPB__EVENT__EVENT__WHAT_SUMMARY: return TFC_EVENT_SUMMARY;
    default: return TFC_EVENT_OTHER;
    }
}

TFC_API const char *tfc_event_file_version(const tfc_event_reader *r)
{
    return tfc_event_kind_of(r) == TFC_EVENT_FILE_VERSION ? r->ev->file_version : NULL;
}

TFC_API const void *tfc_event_graph_def(const tfc_event_reader *r, size_t *size)
{
    bool is = tfc_event_kind_of(r) == TFC_EVENT_GRAPH_DEF;
    if (size) *size = is ? r->ev->graph_def.len : 0;
    return is ? (r->ev->graph_def.data ? (const void *)r->ev->graph_def.data : (const void *)"") : NULL;
}

static const Tfcpb__Event__Summary__Value *value_at(const tfc_event_reader *r, int i)
{
    if (tfc_event_kind_of(r) != TFC_EVENT_SUMMARY || !r->ev->summary || i < 0 ||
        (size_t)i >= r->ev->summary->n_value)
        return NULL;
    return r->ev->summary->value[i];
}

TFC_API int tfc_event_num_values(const tfc_event_reader *r)
{
    if (tfc_event_kind_of(r) != TFC_EVENT_SUMMARY || !r->ev->summary) return 0;
    size_t n = r->ev->summary->n_value;
    return n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
}

TFC_API const char *tfc_event_value_tag(const tfc_event_reader *r, int i)
{
    const Tfcpb__Event__Summary__Value *v = value_at(r, i);
    return v ? v->tag : NULL;
}

TFC_API tfc_summary_kind tfc_event_value_kind(const tfc_event_reader *r, int i)
{
    const Tfcpb__Event__Summary__Value *v = value_at(r, i);
    if (!v) return TFC_SUMMARY_OTHER;
    switch (v->value_case) {
    case TFCPB__EVENT__SUMMARY__VALUE__VALUE_SIMPLE_VALUE: return TFC_SUMMARY_SCALAR;
    case TFCPB__EVENT__SUMMARY__VALUE__VALUE_HISTO: return v->histo ? TFC_SUMMARY_HISTOGRAM : TFC_SUMMARY_OTHER;
    default: return TFC_SUMMARY_OTHER;
    }
}

TFC_API tfc_code tfc_event_value_scalar(const tfc_event_reader *r, int i, float *value)
{
    if (!value) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_event_value_scalar: value is NULL");
    if (tfc_event_value_kind(r, i) != TFC_SUMMARY_SCALAR)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_event_value_scalar: value %d of the current event is not a scalar",
                          i);
    *value = value_at(r, i)->simple_value;
    return TFC_OK;
}

TFC_API tfc_code tfc_event_value_histogram(const tfc_event_reader *r, int i, tfc_histogram *out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_event_value_histogram: out is NULL");
    if (tfc_event_value_kind(r, i) != TFC_SUMMARY_HISTOGRAM)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "tfc_event_value_histogram: value %d of the current event is not a histogram", i);
    const Tfcpb__Event__HistogramProto *h = value_at(r, i)->histo;
    if (h->n_bucket != h->n_bucket_limit)
        return tfci_error(TFC_DATA_LOSS, "event file '%s': histogram '%s' has %zu bucket limits but %zu counts",
                          r->source, value_at(r, i)->tag, h->n_bucket_limit, h->n_bucket);
    out->min = h->min;
    out->max = h->max;
    out->num = h->num;
    out->sum = h->sum;
    out->sum_squares = h->sum_squares;
    out->num_buckets = h->n_bucket;
    out->bucket_limit = h->bucket_limit;
    out->bucket = h->bucket;
    return TFC_OK;
}
