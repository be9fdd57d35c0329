/* The registry of jobs, models and versions in SQLite (see registry.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Bumped when the tables change (PRAGMA user_version). */
#define REG_SCHEMA_VERSION 1

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS jobs ("
    "  name TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('training', 'prediction')),"
    "  state TEXT NOT NULL CHECK (state IN ('QUEUED', 'PREPARING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),"
    "  create_time REAL NOT NULL, start_time REAL, end_time REAL,"
    "  pid INTEGER, pid_start INTEGER,"
    "  log_path TEXT, args TEXT, error TEXT, metrics TEXT, job_dir TEXT);"
    "CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs (create_time);"
    "CREATE TABLE IF NOT EXISTS models ("
    "  name TEXT PRIMARY KEY, description TEXT, default_version TEXT, create_time REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS versions ("
    "  model TEXT NOT NULL REFERENCES models (name), name TEXT NOT NULL,"
    "  origin TEXT, path TEXT NOT NULL, create_time REAL NOT NULL, state TEXT NOT NULL,"
    "  PRIMARY KEY (model, name));";

const char *reg_home(void)
{
    static char home[4096];
    const char *h = getenv("TFC_HOME");
    if (h && *h) {
        snprintf(home, sizeof home, "%s", h);
    } else {
        const char *u = getenv("HOME");
        snprintf(home, sizeof home, "%s/.tfc", u && *u ? u : ".");
    }
    return home;
}

int reg_mkdirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
    struct stat st;
    if (stat(tmp, &st)) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

bool reg_valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128) return false;
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'))) return false;
    for (size_t i = 1; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

double reg_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

const char *reg_time_str(double t, char *buf, size_t n)
{
    if (t <= 0) {
        snprintf(buf, n, "-");
        return buf;
    }
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static int db_fail(sqlite3 *db, const char *cmd, const char *what)
{
    return cli_fail(TFC_EXIT_ERROR, "%s: registry %s/tfc.db: %s: %s", cmd, reg_home(), what, sqlite3_errmsg(db));
}

static int exec_sql(sqlite3 *db, const char *cmd, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return TFC_EXIT_OK;
    int rc = cli_fail(TFC_EXIT_ERROR, "%s: registry %s/tfc.db: %s", cmd, reg_home(), msg ? msg : "failed");
    sqlite3_free(msg);
    return rc;
}

int reg_begin(sqlite3 *db, const char *cmd) { return exec_sql(db, cmd, "BEGIN IMMEDIATE"); }
int reg_commit(sqlite3 *db, const char *cmd) { return exec_sql(db, cmd, "COMMIT"); }
void reg_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* A transaction of our own unless the caller has one open. */
static int begin_own(sqlite3 *db, const char *cmd, bool *own)
{
    *own = sqlite3_get_autocommit(db) != 0;
    return *own ? reg_begin(db, cmd) : TFC_EXIT_OK;
}

static int end_own(sqlite3 *db, const char *cmd, bool own, int rc)
{
    if (!own) return rc;
    if (rc == TFC_EXIT_OK) return reg_commit(db, cmd);
    reg_rollback(db);
    return rc;
}

sqlite3 *reg_open(const char *cmd)
{
    const char *home = reg_home();
    if (reg_mkdirs(home)) {
        cli_fail(TFC_EXIT_ERROR, "%s: cannot make the tfc home %s: %s (set TFC_HOME)", cmd, home, strerror(errno));
        return NULL;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/tfc.db", home);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
        cli_fail(TFC_EXIT_ERROR, "%s: cannot open the registry %s: %s", cmd, path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    /* Long enough for a queue of writers; each holds the lock for milliseconds. */
    sqlite3_busy_timeout(db, 60000);
    sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    /* In WAL mode NORMAL still never corrupts the database; a power cut may
     * lose the last few state changes, not worth an fsync per command. */
    sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version == REG_SCHEMA_VERSION) return db;
    if (version > REG_SCHEMA_VERSION) {
        cli_fail(TFC_EXIT_ERROR, "%s: the registry %s was made by a newer tfc (schema %d; this one reads %d)", cmd,
                 path, version, REG_SCHEMA_VERSION);
        sqlite3_close(db);
        return NULL;
    }
    /* First use: switching to WAL needs a moment alone with the file, which
     * several new processes may race for; the busy timeout covers most of it. */
    int rc = SQLITE_BUSY;
    for (int tries = 0; tries < 50 && rc == SQLITE_BUSY; tries++) {
        rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_BUSY) usleep(20000);
    }
    if (rc != SQLITE_OK) {
        db_fail(db, cmd, "switching to WAL");
        sqlite3_close(db);
        return NULL;
    }
    char sql[2048];
    snprintf(sql, sizeof sql, "%s PRAGMA user_version = %d;", schema_sql, REG_SCHEMA_VERSION);
    if (reg_begin(db, cmd) || exec_sql(db, cmd, sql) || reg_commit(db, cmd)) {
        reg_rollback(db);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

void reg_close(sqlite3 *db) { sqlite3_close(db); }

static sqlite3_stmt *prep(sqlite3 *db, const char *cmd, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(db, cmd, "preparing a query");
        return NULL;
    }
    return st;
}

static char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? strdup((const char *)s) : NULL;
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

/* Steps a statement that returns no rows; 0 or an exit code. */
static int run(sqlite3 *db, const char *cmd, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return TFC_EXIT_OK;
    return db_fail(db, cmd, "writing");
}

/* Runs sql with up to two string parameters. */
static int exec_bound(sqlite3 *db, const char *cmd, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = prep(db, cmd, sql);
    if (!st) return TFC_EXIT_ERROR;
    if (a) bind_str(st, 1, a);
    if (b) bind_str(st, 2, b);
    return run(db, cmd, st);
}

/* ---- Jobs ---------------------------------------------------------------- */

bool reg_state_terminal(const char *s)
{
    return s && (!strcmp(s, "SUCCEEDED") || !strcmp(s, "FAILED") || !strcmp(s, "CANCELLED"));
}

void reg_job_clear(reg_job *j)
{
    free(j->name);
    free(j->kind);
    free(j->state);
    free(j->log_path);
    free(j->args);
    free(j->error);
    free(j->metrics);
    free(j->job_dir);
    memset(j, 0, sizeof *j);
}

#define JOB_COLUMNS                                                                                                   \
    "name, kind, state, create_time, start_time, end_time, pid, pid_start, log_path, args, error, metrics, job_dir"

static void read_job(sqlite3_stmt *st, reg_job *j)
{
    j->name = col_str(st, 0);
    j->kind = col_str(st, 1);
    j->state = col_str(st, 2);
    j->create_time = sqlite3_column_double(st, 3);
    j->start_time = sqlite3_column_double(st, 4);
    j->end_time = sqlite3_column_double(st, 5);
    j->pid = sqlite3_column_int64(st, 6);
    j->pid_start = sqlite3_column_int64(st, 7);
    j->log_path = col_str(st, 8);
    j->args = col_str(st, 9);
    j->error = col_str(st, 10);
    j->metrics = col_str(st, 11);
    j->job_dir = col_str(st, 12);
}

int reg_job_create(sqlite3 *db, const char *cmd, const reg_job *j)
{
    sqlite3_stmt *st = prep(db, cmd,
                            "INSERT INTO jobs (name, kind, state, create_time, log_path, args, job_dir) "
                            "VALUES (?, ?, 'QUEUED', ?, ?, ?, ?)");
    if (!st) return TFC_EXIT_ERROR;
    bind_str(st, 1, j->name);
    bind_str(st, 2, j->kind);
    sqlite3_bind_double(st, 3, j->create_time);
    bind_str(st, 4, j->log_path);
    bind_str(st, 5, j->args);
    bind_str(st, 6, j->job_dir);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return TFC_EXIT_OK;
    if (rc == SQLITE_CONSTRAINT)
        return cli_fail(TFC_EXIT_ERROR, "%s: a job named '%s' already exists (tfc jobs describe %s)", cmd, j->name,
                        j->name);
    return db_fail(db, cmd, "recording the job");
}

int reg_job_get(sqlite3 *db, const char *cmd, const char *name, reg_job *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prep(db, cmd, "SELECT " JOB_COLUMNS " FROM jobs WHERE name = ?");
    if (!st) return TFC_EXIT_ERROR;
    bind_str(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) read_job(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return TFC_EXIT_OK;
    if (rc == SQLITE_DONE)
        return cli_fail(TFC_EXIT_NOT_FOUND, "%s: there is no job '%s' (tfc jobs list shows them)", cmd, name);
    return db_fail(db, cmd, "reading the job");
}

int reg_job_list(sqlite3 *db, const char *cmd, reg_job **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = prep(db, cmd, "SELECT " JOB_COLUMNS " FROM jobs ORDER BY create_time DESC, name");
    if (!st) return TFC_EXIT_ERROR;
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            reg_job *p = realloc(*out, (size_t)cap * sizeof *p);
            if (!p) break;
            *out = p;
        }
        memset(&(*out)[*n], 0, sizeof **out);
        read_job(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        reg_job_list_free(*out, *n);
        *out = NULL;
        *n = 0;
        return db_fail(db, cmd, "listing the jobs");
    }
    return TFC_EXIT_OK;
}

void reg_job_list_free(reg_job *jobs, int n)
{
    for (int i = 0; i < n; i++) reg_job_clear(&jobs[i]);
    free(jobs);
}

int reg_job_set_pid(sqlite3 *db, const char *cmd, const char *name, long long pid, long long pid_start)
{
    sqlite3_stmt *st = prep(db, cmd, "UPDATE jobs SET pid = ?, pid_start = ? WHERE name = ?");
    if (!st) return TFC_EXIT_ERROR;
    sqlite3_bind_int64(st, 1, pid);
    sqlite3_bind_int64(st, 2, pid_start);
    bind_str(st, 3, name);
    return run(db, cmd, st);
}

int reg_job_transition(sqlite3 *db, const char *cmd, const char *name, const char *state, bool start, bool end,
                       const char *error, const char *metrics, bool *changed)
{
    if (changed) *changed = false;
    /* One statement: the check that the job has not ended and the update are
     * atomic, so a cancel and the job's own end never overwrite each other. */
    sqlite3_stmt *st = prep(db, cmd,
                            "UPDATE jobs SET state = ?1,"
                            " start_time = CASE WHEN ?2 THEN ?4 ELSE start_time END,"
                            " end_time = CASE WHEN ?3 THEN ?4 ELSE end_time END,"
                            " error = COALESCE(?5, error), metrics = COALESCE(?6, metrics)"
                            " WHERE name = ?7 AND state NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')");
    if (!st) return TFC_EXIT_ERROR;
    bind_str(st, 1, state);
    sqlite3_bind_int(st, 2, start);
    sqlite3_bind_int(st, 3, end);
    sqlite3_bind_double(st, 4, reg_now());
    bind_str(st, 5, error);
    bind_str(st, 6, metrics);
    bind_str(st, 7, name);
    int rc = run(db, cmd, st);
    if (!rc && changed) *changed = sqlite3_changes(db) > 0;
    return rc;
}

/* ---- Models and versions --------------------------------------------------- */

void reg_model_clear(reg_model *m)
{
    free(m->name);
    free(m->description);
    free(m->default_version);
    memset(m, 0, sizeof *m);
}

void reg_version_clear(reg_version *v)
{
    free(v->model);
    free(v->name);
    free(v->origin);
    free(v->path);
    free(v->state);
    memset(v, 0, sizeof *v);
}

int reg_model_create(sqlite3 *db, const char *cmd, const char *name, const char *description)
{
    sqlite3_stmt *st =
        prep(db, cmd, "INSERT INTO models (name, description, default_version, create_time) VALUES (?, ?, NULL, ?)");
    if (!st) return TFC_EXIT_ERROR;
    bind_str(st, 1, name);
    bind_str(st, 2, description);
    sqlite3_bind_double(st, 3, reg_now());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return TFC_EXIT_OK;
    if (rc == SQLITE_CONSTRAINT) return cli_fail(TFC_EXIT_ERROR, "%s: model '%s' already exists", cmd, name);
    return db_fail(db, cmd, "recording the model");
}

#define MODEL_QUERY                                                                                                   \
    "SELECT m.name, m.description, m.default_version, m.create_time,"                                                 \
    " (SELECT COUNT(*) FROM versions v WHERE v.model = m.name) FROM models m"

static void read_model(sqlite3_stmt *st, reg_model *m)
{
    m->name = col_str(st, 0);
    m->description = col_str(st, 1);
    m->default_version = col_str(st, 2);
    m->create_time = sqlite3_column_double(st, 3);
    m->num_versions = sqlite3_column_int(st, 4);
}

int reg_model_get(sqlite3 *db, const char *cmd, const char *name, reg_model *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prep(db, cmd, MODEL_QUERY " WHERE m.name = ?");
    if (!st) return TFC_EXIT_ERROR;
    bind_str(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) read_model(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return TFC_EXIT_OK;
    if (rc == SQLITE_DONE)
        return cli_fail(TFC_EXIT_NOT_FOUND, "%s: there is no model '%s' (tfc models list shows them)", cmd, name);
    return db_fail(db, cmd, "reading the model");
}

int reg_model_list(sqlite3 *db, const char *cmd, reg_model **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = prep(db, cmd, MODEL_QUERY " ORDER BY m.name");
    if (!st) return TFC_EXIT_ERROR;
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            reg_model *p = realloc(*out, (size_t)cap * sizeof *p);
            if (!p) break;
            *out = p;
        }
        memset(&(*out)[*n], 0, sizeof **out);
        read_model(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        reg_model_list_free(*out, *n);
        *out = NULL;
        *n = 0;
        return db_fail(db, cmd, "listing the models");
    }
    return TFC_EXIT_OK;
}

void reg_model_list_free(reg_model *m, int n)
{
    for (int i = 0; i < n; i++) reg_model_clear(&m[i]);
    free(m);
}

int reg_model_delete(sqlite3 *db, const char *cmd, const char *name, bool force)
{
    bool own;
    int rc = begin_own(db, cmd, &own);
    if (rc) return rc;
    reg_model m;
    rc = reg_model_get(db, cmd, name, &m);
    if (!rc && m.num_versions > 0 && !force)
        rc = cli_fail(TFC_EXIT_ERROR,
                      "%s: model '%s' has %d version(s): delete them first (tfc versions delete V --model %s) or "
                      "pass --force",
                      cmd, name, m.num_versions, name);
    reg_model_clear(&m);
    if (!rc) rc = exec_bound(db, cmd, "DELETE FROM versions WHERE model = ?", name, NULL);
    if (!rc) rc = exec_bound(db, cmd, "DELETE FROM models WHERE name = ?", name, NULL);
    return end_own(db, cmd, own, rc);
}

#define VERSION_QUERY                                                                                                 \
    "SELECT v.model, v.name, v.origin, v.path, v.state, v.create_time,"                                              \
    " (m.default_version IS v.name) FROM versions v JOIN models m ON m.name = v.model"

static void read_version(sqlite3_stmt *st, reg_version *v)
{
    v->model = col_str(st, 0);
    v->name = col_str(st, 1);
    v->origin = col_str(st, 2);
    v->path = col_str(st, 3);
    v->state = col_str(st, 4);
    v->create_time = sqlite3_column_double(st, 5);
    v->is_default = sqlite3_column_int(st, 6) != 0;
}

int reg_version_create(sqlite3 *db, const char *cmd, const reg_version *v)
{
    bool own;
    int rc = begin_own(db, cmd, &own);
    if (rc) return rc;
    reg_model m;
    rc = reg_model_get(db, cmd, v->model, &m);
    bool first = !rc && !m.default_version;
    reg_model_clear(&m);
    if (!rc) {
        sqlite3_stmt *st = prep(db, cmd,
                                "INSERT INTO versions (model, name, origin, path, create_time, state) "
                                "VALUES (?, ?, ?, ?, ?, 'READY')");
        if (!st) {
            rc = TFC_EXIT_ERROR;
        } else {
            bind_str(st, 1, v->model);
            bind_str(st, 2, v->name);
            bind_str(st, 3, v->origin);
            bind_str(st, 4, v->path);
            sqlite3_bind_double(st, 5, reg_now());
            int s = sqlite3_step(st);
            sqlite3_finalize(st);
            if (s == SQLITE_CONSTRAINT)
                rc = cli_fail(TFC_EXIT_ERROR, "%s: model '%s' already has a version '%s'", cmd, v->model, v->name);
            else if (s != SQLITE_DONE)
                rc = db_fail(db, cmd, "recording the version");
        }
    }
    if (!rc && first)
        rc = exec_bound(db, cmd, "UPDATE models SET default_version = ? WHERE name = ?", v->name, v->model);
    return end_own(db, cmd, own, rc);
}

int reg_version_get(sqlite3 *db, const char *cmd, const char *model, const char *name, reg_version *out)
{
    memset(out, 0, sizeof *out);
    reg_model m;
    int rc = reg_model_get(db, cmd, model, &m);
    reg_model_clear(&m);
    if (rc) return rc;
    sqlite3_stmt *st = prep(db, cmd, VERSION_QUERY " WHERE v.model = ? AND v.name = ?");
    if (!st) return TFC_EXIT_ERROR;
    bind_str(st, 1, model);
    bind_str(st, 2, name);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) read_version(st, out);
    sqlite3_finalize(st);
    if (s == SQLITE_ROW) return TFC_EXIT_OK;
    if (s == SQLITE_DONE)
        return cli_fail(TFC_EXIT_NOT_FOUND, "%s: model '%s' has no version '%s' (tfc versions list --model %s)", cmd,
                        model, name, model);
    return db_fail(db, cmd, "reading the version");
}

bool reg_version_exists(sqlite3 *db, const char *model, const char *name)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM versions WHERE model = ? AND name = ?", -1, &st, NULL) != SQLITE_OK)
        return false;
    bind_str(st, 1, model);
    bind_str(st, 2, name);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

int reg_version_list(sqlite3 *db, const char *cmd, const char *model, reg_version **out, int *n)
{
    *out = NULL;
    *n = 0;
    reg_model m;
    int rc = reg_model_get(db, cmd, model, &m);
    reg_model_clear(&m);
    if (rc) return rc;
    sqlite3_stmt *st = prep(db, cmd, VERSION_QUERY " WHERE v.model = ? ORDER BY v.create_time, v.name");
    if (!st) return TFC_EXIT_ERROR;
    bind_str(st, 1, model);
    int cap = 0, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            reg_version *p = realloc(*out, (size_t)cap * sizeof *p);
            if (!p) break;
            *out = p;
        }
        memset(&(*out)[*n], 0, sizeof **out);
        read_version(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE) {
        reg_version_list_free(*out, *n);
        *out = NULL;
        *n = 0;
        return db_fail(db, cmd, "listing the versions");
    }
    return TFC_EXIT_OK;
}

void reg_version_list_free(reg_version *v, int n)
{
    for (int i = 0; i < n; i++) reg_version_clear(&v[i]);
    free(v);
}

int reg_version_delete(sqlite3 *db, const char *cmd, const char *model, const char *name)
{
    bool own;
    int rc = begin_own(db, cmd, &own);
    if (rc) return rc;
    reg_version v;
    reg_model m = {0};
    rc = reg_version_get(db, cmd, model, name, &v);
    if (!rc) rc = reg_model_get(db, cmd, model, &m);
    if (!rc && v.is_default && m.num_versions > 1)
        rc = cli_fail(TFC_EXIT_ERROR,
                      "%s: version '%s' is the default of model '%s', which has other versions: make another the "
                      "default first (tfc versions set-default V --model %s)",
                      cmd, name, model, model);
    bool was_default = v.is_default;
    reg_version_clear(&v);
    reg_model_clear(&m);
    if (!rc) rc = exec_bound(db, cmd, "DELETE FROM versions WHERE model = ? AND name = ?", model, name);
    if (!rc && was_default)
        rc = exec_bound(db, cmd, "UPDATE models SET default_version = NULL WHERE name = ?", model, NULL);
    return end_own(db, cmd, own, rc);
}

int reg_version_set_default(sqlite3 *db, const char *cmd, const char *model, const char *name)
{
    bool own;
    int rc = begin_own(db, cmd, &own);
    if (rc) return rc;
    reg_version v;
    rc = reg_version_get(db, cmd, model, name, &v);
    reg_version_clear(&v);
    if (!rc) rc = exec_bound(db, cmd, "UPDATE models SET default_version = ? WHERE name = ?", name, model);
    return end_own(db, cmd, own, rc);
}
