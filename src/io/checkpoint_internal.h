/* Checkpoint files: a set of named tensors in one file (format in
 * src/io/proto/checkpoint.proto). The saver (include/tfc/saver.h) and the
 * exported-model code both store variables with these calls.
 *
 * Every failure on a bad file is TFC_DATA_LOSS (or TFC_INVALID_ARGUMENT for a
 * version or feature this library does not read) with a message naming the
 * file, the byte offset and the tensor where known. Allocations are bounded by
 * what the file can hold: never by an unchecked size field.
 * Thread safety: an open tfci_ckpt is read-only; tfci_ckpt_get may be called
 * from several threads at once. */
#ifndef TFCI_CHECKPOINT_INTERNAL_H
#define TFCI_CHECKPOINT_INTERNAL_H

#include <stddef.h>

#include "tfc/common.h"
#include "tfc/tensor.h"

/* Writes names[i] = values[i] (n >= 0 pairs, names unique and non-empty) to
 * path atomically (temporary file, fsync, rename, fsync of the directory). */
tfc_code tfci_ckpt_write(const char *path, const char *const *names, const tfc_tensor *const *values, int n);

typedef struct tfci_ckpt tfci_ckpt;

/* Reads path and validates all of it: header, format version, the checksum of
 * every byte, each entry's name, dtype, shape and sizes, and the CRC of every
 * tensor stored uncompressed. Compressed tensors are inflated by
 * tfci_ckpt_get, which checks them against their own CRC then: a caller that
 * must not act on a partly valid file gets every tensor before using any (the
 * saver does). The file is held in memory until tfci_ckpt_close. */
tfc_code tfci_ckpt_open(const char *path, tfci_ckpt **out);
/* Same from memory; source names the data in messages ("<buffer>" if NULL).
 * data is not kept. */
tfc_code tfci_ckpt_open_buffer(const void *data, size_t size, const char *source, tfci_ckpt **out);
/* Number of tensors; names in file order, lent while c lives. */
int tfci_ckpt_count(const tfci_ckpt *c);
const char *tfci_ckpt_name(const tfci_ckpt *c, int i);
/* dtype and shape of a tensor without reading its data: TFC_NOT_FOUND if
 * absent; dims must hold TFC_MAX_RANK entries (any pointer may be NULL). */
tfc_code tfci_ckpt_info(const tfci_ckpt *c, const char *name, tfc_dtype *dtype, int64_t *dims, int *rank);
/* A new tensor (caller frees) with the value stored under name; TFC_NOT_FOUND
 * if absent, TFC_DATA_LOSS if its data does not inflate to the recorded size
 * and CRC. */
tfc_code tfci_ckpt_get(const tfci_ckpt *c, const char *name, tfc_tensor **out);
/* NULL is ignored. */
void tfci_ckpt_close(tfci_ckpt *c);

#endif
