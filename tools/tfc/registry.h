/* The tfc command's registry of jobs, models and versions: one SQLite
 * database, $TFC_HOME/tfc.db (TFC_HOME defaults to ~/.tfc), made on first
 * use. Many tfc processes may use it at once: WAL journal, a busy timeout,
 * and BEGIN IMMEDIATE around every read-modify-write.
 *
 * Functions that can fail print one line "tfc: CMD: ..." to stderr and
 * return an exit code of cli.h (TFC_EXIT_NOT_FOUND for a job, model or
 * version that does not exist, TFC_EXIT_ERROR for a duplicate or a database
 * failure). Strings in the records are malloc'd and released by the
 * matching *_clear. */
#ifndef TFC_TOOL_REGISTRY_H
#define TFC_TOOL_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <sqlite3.h>

/* $TFC_HOME, else $HOME/.tfc (static storage). */
const char *reg_home(void);
/* Opens (making if needed) the database; NULL after printing why. */
sqlite3 *reg_open(const char *cmd);
void reg_close(sqlite3 *db);
/* Names of jobs, models and versions: a letter, then letters, digits and
 * underscores, at most 128 characters (gcloud's rule; also safe as a path). */
bool reg_valid_name(const char *name);
/* Seconds since the epoch, and as "2024-05-01T12:00:00Z" (UTC) into buf. */
double reg_now(void);
const char *reg_time_str(double t, char *buf, size_t n);
/* mkdir -p; 0 or -1 with errno. */
int reg_mkdirs(const char *path);

/* ---- Jobs ---------------------------------------------------------------- */

typedef struct reg_job {
    char *name;
    char *kind;  /* "training" or "prediction" */
    char *state; /* QUEUED, PREPARING, RUNNING, SUCCEEDED, FAILED, CANCELLED */
    double create_time, start_time, end_time; /* 0 when not yet */
    long long pid;       /* the job's supervisor process (its process group); 0 before it starts */
    long long pid_start; /* its start time in clock ticks after boot (/proc/PID/stat), to tell reuse */
    char *log_path;
    char *args;    /* JSON: what the job runs (trainer flags, or the prediction input) */
    char *error;   /* why a job failed */
    char *metrics; /* JSON object: final evaluation metrics, or prediction counts */
    char *job_dir; /* training: the job directory; prediction: the output path */
} reg_job;

void reg_job_clear(reg_job *j);
bool reg_state_terminal(const char *state);
/* Records a new job in state QUEUED; TFC_EXIT_ERROR if the name is taken. */
int reg_job_create(sqlite3 *db, const char *cmd, const reg_job *j);
/* TFC_EXIT_NOT_FOUND if there is no such job. */
int reg_job_get(sqlite3 *db, const char *cmd, const char *name, reg_job *out);
/* Every job, newest first (*out: reg_job_list_free). */
int reg_job_list(sqlite3 *db, const char *cmd, reg_job **out, int *n);
void reg_job_list_free(reg_job *jobs, int n);
int reg_job_set_pid(sqlite3 *db, const char *cmd, const char *name, long long pid, long long pid_start);
/* Moves a job that has not ended to state; start / end stamp the times;
 * error and metrics (may be NULL) are stored. A job that already ended is
 * left alone: *changed (may be NULL) tells. */
int reg_job_transition(sqlite3 *db, const char *cmd, const char *name, const char *state, bool start, bool end,
                       const char *error, const char *metrics, bool *changed);

/* ---- Models and versions --------------------------------------------------- */

typedef struct reg_model {
    char *name, *description, *default_version;
    double create_time;
    int num_versions;
} reg_model;

typedef struct reg_version {
    char *model, *name;
    char *origin; /* the export it was copied from */
    char *path;   /* its copy in the registry */
    char *state;  /* READY */
    double create_time;
    bool is_default;
} reg_version;

void reg_model_clear(reg_model *m);
void reg_version_clear(reg_version *v);
int reg_model_create(sqlite3 *db, const char *cmd, const char *name, const char *description);
int reg_model_get(sqlite3 *db, const char *cmd, const char *name, reg_model *out);
int reg_model_list(sqlite3 *db, const char *cmd, reg_model **out, int *n);
void reg_model_list_free(reg_model *m, int n);
/* Deletes a model; with versions only when force (their rows go too; the
 * caller removes the files). */
int reg_model_delete(sqlite3 *db, const char *cmd, const char *name, bool force);

/* Records a version (the model must exist, the name be new); the model's
 * first version becomes its default. Run inside reg_begin/reg_commit when
 * the caller also moves files. */
int reg_version_create(sqlite3 *db, const char *cmd, const reg_version *v);
int reg_version_get(sqlite3 *db, const char *cmd, const char *model, const char *name, reg_version *out);
/* Quietly: whether the model has that version. */
bool reg_version_exists(sqlite3 *db, const char *model, const char *name);
int reg_version_list(sqlite3 *db, const char *cmd, const char *model, reg_version **out, int *n);
void reg_version_list_free(reg_version *v, int n);
/* Refuses to delete the default version while others exist. */
int reg_version_delete(sqlite3 *db, const char *cmd, const char *model, const char *name);
int reg_version_set_default(sqlite3 *db, const char *cmd, const char *model, const char *name);

/* Transactions (BEGIN IMMEDIATE: the write lock is taken up front, so a
 * read-modify-write never meets a busy upgrade). */
int reg_begin(sqlite3 *db, const char *cmd);
int reg_commit(sqlite3 *db, const char *cmd);
void reg_rollback(sqlite3 *db);

#endif
