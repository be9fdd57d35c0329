/* Crash-safe file replacement (see atomic_file.h).
 *
 * The order matters: the data is fsynced before the rename, so after a crash
 * the target names either the old inode or a complete new one; the directory
 * is fsynced after the rename, so the new name itself survives a power cut. */
#include "atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/core.h"

/* Appends smaller than this are gathered; larger ones go straight to write(2). */
#define ATOMIC_BUFFER_SIZE ((size_t)1 << 20)

struct tfci_atomic_file {
    char *path;
    char *tmp;
    int fd;
    tfc_code err; /* first failure, sticky; its message is in err_msg */
    char *err_msg;
    unsigned char *buf;
    size_t buf_used;
    uint64_t size; /* bytes appended, buffered ones included */
};

/* Directory part of path: "." when there is none. Caller frees. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = 0;
    return d;
}

static tfc_code sys_error(const char *path, const char *what, int err)
{
    tfc_code code = TFC_UNKNOWN;
    switch (err) {
    case ENOENT:
    case ENOTDIR: code = TFC_NOT_FOUND; break;
    case EACCES:
    case EPERM:
    case EROFS: code = TFC_PERMISSION_DENIED; break;
    case ENOSPC:
    case EDQUOT:
    case ENOMEM: code = TFC_RESOURCE_EXHAUSTED; break;
    default: break;
    }
    return tfci_error(code, "writing '%s': %s: %s", path, what, strerror(err));
}

/* Records the first failure of f (the thread's message is copied so commit
 * can repeat it even after other calls overwrote the thread's last error). */
static tfc_code fail(tfci_atomic_file *f, tfc_code c)
{
    if (!f->err) {
        f->err = c;
        f->err_msg = strdup(tfc_last_error());
    }
    return c;
}

static tfc_code write_all(int fd, const void *data, size_t size, const char *path)
{
    const unsigned char *p = data;
    while (size > 0) {
        /* Linux caps one write at about 2 GiB; ask for at most 1 GiB. */
        size_t chunk = size < ((size_t)1 << 30) ? size : ((size_t)1 << 30);
        ssize_t w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            return sys_error(path, "write", errno);
        }
        if (w == 0) return sys_error(path, "write", EIO);
        p += w;
        size -= (size_t)w;
    }
    return TFC_OK;
}

tfc_code tfci_fsync_parent_dir(const char *path)
{
    char *dir = dir_of(path);
    if (!dir) return tfci_error(TFC_RESOURCE_EXHAUSTED, "writing '%s': out of memory", path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    tfc_code c = TFC_OK;
    if (fd < 0) {
        c = sys_error(path, "opening its directory to fsync it", errno);
    } else {
        if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP)
            c = sys_error(path, "fsync of its directory", errno);
        close(fd);
    }
    free(dir);
    return c;
}

tfc_code tfci_atomic_begin(const char *path, tfci_atomic_file **out)
{
    *out = NULL;
    if (!path || !*path) return tfci_error(TFC_INVALID_ARGUMENT, "atomic write: empty path");
    tfci_atomic_file *f = calloc(1, sizeof *f);
    size_t n = strlen(path);
    if (f) {
        f->fd = -1;
        f->path = strdup(path);
        f->tmp = malloc(n + 64);
        f->buf = malloc(ATOMIC_BUFFER_SIZE);
    }
    if (!f || !f->path || !f->tmp || !f->buf) {
        if (f) {
            free(f->path);
            free(f->tmp);
            free(f->buf);
            free(f);
        }
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "writing '%s': out of memory", path);
    }
    /* A name nobody else picks: pid, plus random bits from the clock and a
     * process-wide counter (O_EXCL catches the astronomically rare clash). */
    static atomic_uint_fast64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t key = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 40);
    for (int attempt = 0; attempt < 16; attempt++) {
        uint64_t r = tfci_random_bits(key, atomic_fetch_add(&counter, 1));
        snprintf(f->tmp, n + 64, "%s.tmp.%ld.%016llx", path, (long)getpid(), (unsigned long long)r);
        f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (f->fd >= 0 || errno != EEXIST) break;
    }
    if (f->fd < 0) {
        tfc_code c = sys_error(path, "creating the temporary file", errno);
        free(f->path);
        free(f->tmp);
        free(f->buf);
        free(f);
        return c;
    }
    *out = f;
    return TFC_OK;
}

static tfc_code flush_buffer(tfci_atomic_file *f)
{
    if (f->err) return f->err;
    if (f->buf_used == 0) return TFC_OK;
    tfc_code c = write_all(f->fd, f->buf, f->buf_used, f->path);
    f->buf_used = 0;
    return c ? fail(f, c) : TFC_OK;
}

tfc_code tfci_atomic_append(tfci_atomic_file *f, const void *data, size_t size)
{
    if (f->err) return f->err;
    if (size == 0) return TFC_OK;
    if (f->buf_used + size <= ATOMIC_BUFFER_SIZE) {
        memcpy(f->buf + f->buf_used, data, size);
        f->buf_used += size;
    } else {
        tfc_code c = flush_buffer(f);
        if (c) return c;
        if (size < ATOMIC_BUFFER_SIZE) {
            memcpy(f->buf, data, size);
            f->buf_used = size;
        } else {
            c = write_all(f->fd, data, size, f->path);
            if (c) return fail(f, c);
        }
    }
    f->size += size;
    return TFC_OK;
}

tfc_code tfci_atomic_pwrite(tfci_atomic_file *f, const void *data, size_t size, uint64_t offset)
{
    if (f->err) return f->err;
    if (offset > f->size || size > f->size - offset)
        return fail(f, tfci_error(TFC_INTERNAL, "writing '%s': pwrite of %zu bytes at %llu past the end (%llu)",
                                  f->path, size, (unsigned long long)offset, (unsigned long long)f->size));
    tfc_code c = flush_buffer(f);
    if (c) return c;
    const unsigned char *p = data;
    while (size > 0) {
        ssize_t w = pwrite(f->fd, p, size, (off_t)offset);
        if (w < 0) {
            if (errno == EINTR) continue;
            return fail(f, sys_error(f->path, "pwrite", errno));
        }
        if (w == 0) return fail(f, sys_error(f->path, "pwrite", EIO));
        p += w;
        size -= (size_t)w;
        offset += (uint64_t)w;
    }
    return TFC_OK;
}

uint64_t tfci_atomic_size(const tfci_atomic_file *f) { return f->size; }

static void destroy(tfci_atomic_file *f)
{
    free(f->path);
    free(f->tmp);
    free(f->buf);
    free(f->err_msg);
    free(f);
}

void tfci_atomic_abort(tfci_atomic_file *f)
{
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    unlink(f->tmp);
    destroy(f);
}

tfc_code tfci_atomic_commit(tfci_atomic_file *f)
{
    tfc_code c = flush_buffer(f);
    if (!c && fsync(f->fd) != 0) c = fail(f, sys_error(f->path, "fsync", errno));
    if (!c) {
        int fd = f->fd;
        f->fd = -1;
        /* close can report a deferred write error (NFS): it counts. */
        if (close(fd) != 0) c = fail(f, sys_error(f->path, "close", errno));
    }
    if (!c && rename(f->tmp, f->path) != 0) c = fail(f, sys_error(f->path, "renaming the temporary file over it", errno));
    if (c) {
        tfci_error(f->err, "%s", f->err_msg ? f->err_msg : "atomic write failed");
        tfci_atomic_abort(f);
        return c;
    }
    /* The new file is in place; only its name's durability is left. */
    c = tfci_fsync_parent_dir(f->path);
    destroy(f);
    return c;
}

tfc_code tfci_atomic_write(const char *path, const void *data, size_t size)
{
    tfci_atomic_file *f;
    tfc_code c = tfci_atomic_begin(path, &f);
    if (c) return c;
    c = tfci_atomic_append(f, data, size);
    if (c) {
        tfci_atomic_abort(f);
        return c;
    }
    return tfci_atomic_commit(f);
}

/* Parses "<pid>.<hex>" ending a temporary name; the pid or -1. */
static long stale_pid(const char *tail)
{
    char *end;
    errno = 0;
    long pid = strtol(tail, &end, 10);
    if (errno || end == tail || *end != '.' || pid <= 0) return -1;
    const char *hex = end + 1;
    if (!*hex) return -1;
    for (const char *p = hex; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return -1;
    return pid;
}

int tfci_atomic_remove_stale(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t plen = prefix ? strlen(prefix) : 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (plen && strncmp(e->d_name, prefix, plen) != 0) continue;
        const char *mark = strstr(e->d_name, ".tmp.");
        if (!mark) continue;
        long pid = stale_pid(mark + 5);
        if (pid < 0 || pid == (long)getpid()) continue;
        /* Only a process that is gone: a live one may still be writing. */
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) break;
        snprintf(p, n, "%s/%s", dir, e->d_name);
        if (unlink(p) == 0) removed++;
        free(p);
    }
    closedir(d);
    return removed;
}

tfc_code tfci_mkdir_p(const char *dir)
{
    if (!dir || !*dir) return tfci_error(TFC_INVALID_ARGUMENT, "creating a directory: empty path");
    char *p = strdup(dir);
    if (!p) return tfci_error(TFC_RESOURCE_EXHAUSTED, "creating '%s': out of memory", dir);
    tfc_code c = TFC_OK;
    /* Create each prefix ending before a '/', then the whole path. */
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != 0) continue;
        char saved = *s;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            c = tfci_error(errno == EACCES || errno == EROFS ? TFC_PERMISSION_DENIED : TFC_UNKNOWN,
                           "creating directory '%s': %s", p, strerror(errno));
            break;
        }
        *s = saved;
        if (!saved) break;
    }
    if (!c) {
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
            c = tfci_error(TFC_FAILED_PRECONDITION, "creating directory '%s': it exists and is not a directory", dir);
    }
    free(p);
    return c;
}
