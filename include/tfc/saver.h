/* tfc — checkpoints: save and restore a session's variables, keep the newest
 * N, find the latest after a crash. TensorFlow 1.x's tf.train.Saver, in C.
 *
 * Files: tfc_saver_save(sv, s, "dir/model.ckpt", 1000, ...) writes
 * "dir/model.ckpt-1000.tfc" (one file holding every variable, zlib-compressed
 * with a CRC32 per tensor) and then rewrites the state file "dir/checkpoint",
 * TensorFlow's text format:
 *
 *     model_checkpoint_path: "model.ckpt-1000.tfc"
 *     all_model_checkpoint_paths: "model.ckpt-900.tfc"
 *     all_model_checkpoint_paths: "model.ckpt-1000.tfc"
 *
 * (paths relative to the directory, oldest first). Both files are replaced
 * atomically (temporary file, fsync, rename, fsync of the directory), so a
 * crash at any instant leaves the previous checkpoint and a state file naming
 * a complete checkpoint. Checkpoints beyond max_to_keep are deleted oldest
 * first after the state file is written. The kept list lives in the state
 * file, so a process that restarts after a crash keeps counting from it.
 *
 * Ownership: tfc_saver_new gives a saver released with tfc_saver_free; it
 * lends the graph (the graph must outlive it). Strings returned through char**
 * are the caller's, released with tfc_string_free.
 * Thread safety: a saver is not changed by save or restore, so several
 * threads may use one saver, but two saves into the same directory at once
 * race on the state file; save reads variables one by one, so do not run
 * training steps during a save if the checkpoint must be one consistent step.
 * tfc_saver_map_name is graph building: not concurrent with anything else on
 * the saver.
 */
#ifndef TFC_SAVER_H
#define TFC_SAVER_H

#include "session.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfc_saver tfc_saver;

typedef struct tfc_saver_options {
    size_t size;     /* sizeof(tfc_saver_options): lets the struct grow */
    int max_to_keep; /* checkpoints kept in the directory; default 5; 0 = keep all */
} tfc_saver_options;

#define TFC_SAVER_OPTIONS_INIT {sizeof(tfc_saver_options), 5}

/* A saver for variables[0..n) of g (variable ops, e.g. tfc_variable(...).op),
 * or for every variable of g at the time of the call when variables is NULL
 * and n is 0: trainable ones, optimizer slots and global_step alike. Each is
 * stored under its op name unless tfc_saver_map_name says otherwise.
 * opts may be NULL for the defaults. */
TFC_API tfc_code tfc_saver_new(tfc_graph *g, tfc_op *const *variables, int n, const tfc_saver_options *opts,
                               tfc_saver **out);
/* NULL is ignored. */
TFC_API void tfc_saver_free(tfc_saver *sv);

/* Stores and restores the saver's variable named variable_name under
 * checkpoint_name instead of its own name: restoring a model whose variables
 * were renamed, or loading part of another model's checkpoint (TensorFlow's
 * Saver(var_list={checkpoint_name: variable})). Two variables may restore
 * from one checkpoint name, but then the saver cannot save (names in a file
 * are unique). TFC_NOT_FOUND if the saver has no such variable. */
TFC_API tfc_code tfc_saver_map_name(tfc_saver *sv, const char *variable_name, const char *checkpoint_name);

/* Saves the current values of the saver's variables (all must be
 * initialized) to "<prefix>-<global_step>.tfc" ("<prefix>.tfc" when
 * global_step is negative), then updates "<dir of prefix>/checkpoint" and
 * deletes checkpoints beyond max_to_keep. If prefix names an existing
 * directory, "<prefix>/model.ckpt" is used. Missing directories are created.
 * *saved_path (may be NULL) receives the checkpoint's path: free it with
 * tfc_string_free. Temporary files left by killed processes are removed, and
 * (when max_to_keep > 0) so are checkpoints "<prefix>-<step>.tfc" older than
 * every kept one that a crash left out of the state file. */
TFC_API tfc_code tfc_saver_save(const tfc_saver *sv, tfc_session *s, const char *prefix, int64_t global_step,
                                char **saved_path);

/* Restores the saver's variables from the checkpoint file at path. Every
 * variable is checked first (present in the file, same dtype, same shape) and
 * all tensors are read and verified; any mismatch fails with one message
 * listing every problem by variable name (TFC_NOT_FOUND when variables are
 * only missing, TFC_INVALID_ARGUMENT otherwise, TFC_DATA_LOSS for a damaged
 * file) and leaves the session's variables exactly as they were. Tensors in
 * the file that the saver does not cover are ignored, so a saver made for a
 * subset of the variables restores just those. */
TFC_API tfc_code tfc_saver_restore(const tfc_saver *sv, tfc_session *s, const char *path);

/* The newest checkpoint in dir: the state file's model_checkpoint_path, or
 * when the state file is missing, unreadable or names a file that does not
 * exist, the "<name>-<step>.tfc" file in dir with the highest step.
 * *path is the caller's (tfc_string_free). TFC_NOT_FOUND when there is none. */
TFC_API tfc_code tfc_saver_latest(const char *dir, char **path);

#ifdef __cplusplus
}
#endif
#endif
