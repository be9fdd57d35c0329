/* Crash-safe file replacement: write a temporary file next to the target,
 * fsync it, rename it over the target, fsync the directory. Readers see either
 * the old file or the complete new one, never a partial write, whatever
 * instant the process or the machine dies.
 *
 * Temporary files are named "<path>.tmp.<pid>.<random hex>"; a process killed
 * mid-write leaves one behind (tfci_atomic_remove_stale cleans them up).
 * Errors name the target path, the step that failed and errno's text.
 * Thread safety: distinct tfci_atomic_file objects may be used concurrently;
 * two writers of the same path race benignly (the last rename wins). */
#ifndef TFCI_ATOMIC_FILE_H
#define TFCI_ATOMIC_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "tfc/common.h"

/* Replaces path with data[0..size) atomically. */
tfc_code tfci_atomic_write(const char *path, const void *data, size_t size);

/* Streaming form, for files too large to assemble in memory first. */
typedef struct tfci_atomic_file tfci_atomic_file;

/* Creates the temporary file for path. */
tfc_code tfci_atomic_begin(const char *path, tfci_atomic_file **out);
/* Appends bytes (buffered). Errors are sticky: after a failure further
 * appends do nothing and commit reports the first error. */
tfc_code tfci_atomic_append(tfci_atomic_file *f, const void *data, size_t size);
/* Overwrites bytes already appended (e.g. a header whose checksums are known
 * only at the end); offset + size must not exceed the bytes appended so far. */
tfc_code tfci_atomic_pwrite(tfci_atomic_file *f, const void *data, size_t size, uint64_t offset);
/* Bytes appended so far. */
uint64_t tfci_atomic_size(const tfci_atomic_file *f);
/* Flushes, fsyncs, renames over the target and fsyncs the directory; frees f
 * whatever the outcome (the temporary file is removed on failure). */
tfc_code tfci_atomic_commit(tfci_atomic_file *f);
/* Removes the temporary file and frees f; NULL is ignored. */
void tfci_atomic_abort(tfci_atomic_file *f);

/* Removes temporary files "<dir>/<name>.tmp.<pid>.<hex>" left by processes
 * that no longer run, for names starting with prefix (all names when prefix
 * is NULL or ""). Best effort: returns how many were removed. */
int tfci_atomic_remove_stale(const char *dir, const char *prefix);

/* mkdir -p: creates dir and its missing parents (mode 0777 & ~umask). */
tfc_code tfci_mkdir_p(const char *dir);

/* fsyncs the directory holding path (so a rename or unlink in it is durable).
 * Filesystems that cannot fsync a directory (EINVAL) are not an error. */
tfc_code tfci_fsync_parent_dir(const char *path);

#endif
