/* tfc jobs: training and batch-prediction jobs in the background.
 *
 * `submit` records the job (QUEUED) and starts a detached supervisor (double
 * fork, its own session and process group, output to
 * $TFC_HOME/jobs/NAME/log), then returns. The supervisor marks the job
 * PREPARING and RUNNING, runs the work in a child process (`tfc train
 * --job-dir DIR ...` by exec of this executable, or the batch prediction),
 * and records SUCCEEDED or FAILED with the error message (the child's last
 * stderr line) and the final metrics (the job directory's last evaluation
 * events, or the prediction counts). Cancel signals the whole process group.
 * A supervisor that died without reporting (kill -9) is noticed by whoever
 * next reads the job: its pid is gone, or belongs to another process (the
 * start time in /proc/PID/stat differs), and the job is marked FAILED. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch_predict.h"
#include "cli.h"
#include "commands.h"
#include "registry.h"
#include "tfc/tfc.h"

#define NFLAGS(f) (int)(sizeof(f) / sizeof((f)[0]))

/* ---- Processes ---------------------------------------------------------------- */

/* The process's start time (clock ticks after boot) and state letter from
 * /proc/PID/stat; -1 when there is no such process. */
static long long proc_start_time(long long pid, char *state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    /* The command name may hold spaces and parentheses: fields restart after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    p++;
    char st = 0;
    unsigned long long start = 0;
    /* state is field 3, starttime field 22 */
    if (sscanf(p, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &st,
               &start) != 2)
        return -1;
    if (state) *state = st;
    return (long long)start;
}

/* The job's supervisor still runs (and is the process we started, not a
 * later one that reuses its pid). */
static bool job_process_alive(const reg_job *j)
{
    if (j->pid <= 0) return false;
    char st = 0;
    long long start = proc_start_time(j->pid, &st);
    if (start < 0 || st == 'Z' || st == 'X') return false;
    return j->pid_start <= 0 || start == j->pid_start;
}

/* A job whose process ended without reporting is FAILED with the reason,
 * never RUNNING forever. Re-reads the job when it changed it. */
static int refresh_job(sqlite3 *db, const char *cmd, reg_job *j)
{
    if (reg_state_terminal(j->state)) return TFC_EXIT_OK;
    char reason[256];
    if (j->pid > 0) {
        if (job_process_alive(j)) return TFC_EXIT_OK;
        snprintf(reason, sizeof reason,
                 "the job process (pid %lld) ended without reporting; killed from outside?", j->pid);
    } else if (reg_now() - j->create_time > 60) {
        snprintf(reason, sizeof reason, "the job process never started (its submission was interrupted)");
    } else {
        return TFC_EXIT_OK; /* being submitted right now */
    }
    bool changed;
    int rc = reg_job_transition(db, cmd, j->name, "FAILED", false, true, reason, NULL, &changed);
    if (rc) return rc;
    char *name = strdup(j->name);
    if (!name) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    reg_job_clear(j);
    rc = reg_job_get(db, cmd, name, j);
    free(name);
    return rc;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) && errno == EINTR) {
    }
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* An absolute version of a relative path (the job runs in this directory,
 * but its record should say where things are). */
static char *absolute(const char *path)
{
    if (path[0] == '/') return strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return strdup(path);
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", cwd, path);
    return s;
}

/* Comma-separated patterns, each made absolute. */
static char *absolute_list(const char *list)
{
    char *copy = strdup(list), *out = strdup(""), *save = NULL;
    for (char *p = copy && out ? strtok_r(copy, ",", &save) : NULL; p; p = strtok_r(NULL, ",", &save)) {
        char *a = *p ? absolute(p) : NULL;
        if (!a) continue;
        size_t n = strlen(out) + strlen(a) + 2;
        char *joined = malloc(n);
        if (joined) snprintf(joined, n, "%s%s%s", out, *out ? "," : "", a);
        free(a);
        free(out);
        out = joined;
        if (!out) break;
    }
    free(copy);
    return out;
}

/* ---- Final metrics of a training job: its last evaluation ---------------------- */

typedef struct metric_acc {
    json_t *obj;
    int64_t step;
    double wall;
} metric_acc;

static void read_eval_file(const char *path, metric_acc *acc)
{
    tfc_event_reader *r;
    if (tfc_event_reader_open(path, &r)) return;
    while (tfc_event_reader_next(r) == TFC_OK) {
        if (tfc_event_kind_of(r) != TFC_EVENT_SUMMARY) continue;
        int64_t step = tfc_event_step(r);
        double wall = tfc_event_wall_time(r);
        if (step < acc->step || (step == acc->step && wall < acc->wall)) continue;
        if (step > acc->step) json_object_clear(acc->obj);
        acc->step = step;
        acc->wall = wall;
        for (int i = 0; i < tfc_event_num_values(r); i++) {
            float v;
            if (tfc_event_value_kind(r, i) == TFC_SUMMARY_SCALAR && !tfc_event_value_scalar(r, i, &v))
                json_object_set_new(acc->obj, tfc_event_value_tag(r, i), json_real(v));
        }
    }
    tfc_event_reader_free(r);
}

/* The metrics of the highest-step evaluation event in DIR/eval (else in
 * the DIR/eval_* directories), as a JSON object text; NULL when there is none. */
static char *eval_metrics(const char *job_dir)
{
    metric_acc acc = {json_object(), -1, 0};
    if (!acc.obj) return NULL;
    for (int pass = 0; pass < 2 && json_object_size(acc.obj) == 0; pass++) {
        DIR *top = opendir(job_dir);
        if (!top) break;
        struct dirent *e;
        while ((e = readdir(top))) {
            if (pass == 0 ? strcmp(e->d_name, "eval") != 0 : strncmp(e->d_name, "eval_", 5) != 0) continue;
            char dir[PATH_MAX];
            snprintf(dir, sizeof dir, "%s/%s", job_dir, e->d_name);
            DIR *d = opendir(dir);
            if (!d) continue;
            struct dirent *f;
            while ((f = readdir(d))) {
                if (strncmp(f->d_name, "events.out.tfevents.", 20)) continue;
                char file[PATH_MAX + 256];
                snprintf(file, sizeof file, "%s/%s", dir, f->d_name);
                read_eval_file(file, &acc);
            }
            closedir(d);
        }
        closedir(top);
    }
    if (json_object_size(acc.obj)) json_object_set_new(acc.obj, "global_step", json_integer(acc.step));
    char *s = json_object_size(acc.obj) ? json_dumps(acc.obj, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(9))
                                        : NULL;
    json_decref(acc.obj);
    return s;
}

/* The final metrics of a training that succeeded: tfc train's result file
 * (JOB_DIR/tfc_result.json: the final evaluation, global step, export path)
 * when this run wrote it, else the last evaluation events. */
static char *training_metrics(const char *job_dir, time_t started)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/tfc_result.json", job_dir);
    struct stat st;
    json_t *res = stat(path, &st) == 0 && st.st_mtime >= started ? json_load_file(path, 0, NULL) : NULL;
    if (!json_is_object(res)) {
        json_decref(res);
        return eval_metrics(job_dir);
    }
    json_t *flat = json_object();
    json_t *m = json_object_get(res, "metrics");
    if (json_is_object(m)) json_object_update(flat, m);
    const char *keep[2] = {"global_step", "export_path"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(res, keep[i]);
        if (v) json_object_set(flat, keep[i], v);
    }
    char *s = json_object_size(flat) ? json_dumps(flat, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(flat);
    json_decref(res);
    return s ? s : eval_metrics(job_dir);
}

/* ---- The supervisor ------------------------------------------------------------- */

static volatile sig_atomic_t cancelled;
static void on_term(int sig)
{
    (void)sig;
    cancelled = 1;
}

typedef struct job_work {
    const char *name;
    const char *kind;
    const char *job_dir;      /* training */
    char **trainer_args;      /* training: the flags after --job-dir */
    int ntrainer_args;
    bp_job prediction;        /* prediction */
    const char *metrics_path; /* prediction: where the child leaves its counts */
} job_work;

static void logf_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_line(const char *fmt, ...)
{
    char ts[32];
    reg_time_str(reg_now(), ts, sizeof ts);
    printf("[tfc jobs %s] ", ts);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* The prediction itself, in the supervisor's child. */
static int run_prediction(const job_work *w)
{
    bp_job_stats st;
    char err[2048];
    int code = bp_run_job(&w->prediction, stdout, &st, err, sizeof err);
    fflush(stdout);
    if (code) return cli_fail(cli_exit_code(code), "jobs: %s", err);
    json_t *m = json_pack("{sI sI si sf sf sf}", "prediction_count", (json_int_t)st.instances, "error_count",
                          (json_int_t)st.errors, "input_files", st.files, "load_seconds", st.load_seconds,
                          "predict_seconds", st.predict_seconds, "instances_per_second",
                          st.predict_seconds > 0 ? (double)st.instances / st.predict_seconds : 0.0);
    if (!m || json_dump_file(m, w->metrics_path, JSON_SORT_KEYS | JSON_COMPACT)) {
        json_decref(m);
        return cli_fail(TFC_EXIT_ERROR, "jobs: cannot write %s", w->metrics_path);
    }
    json_decref(m);
    printf("%lld instance(s) predicted, %lld bad, in %.3f s (%.0f instances/s; loading the model %.3f s)\n",
           (long long)st.instances, (long long)st.errors, st.predict_seconds,
           st.predict_seconds > 0 ? (double)st.instances / st.predict_seconds : 0.0, st.load_seconds);
    fflush(stdout);
    return TFC_EXIT_OK;
}

static char *read_small_file(const char *path)
{
    char *data;
    size_t len;
    char err[256];
    return bp_read_file(path, &data, &len, err, sizeof err) == TFC_OK ? data : NULL;
}

/* Runs in the detached process with stdout and stderr on the job's log;
 * returns its exit status (nobody waits for it). */
static int supervise(const job_work *w)
{
    const char *cmd = "jobs";
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    bool changed;
    if (reg_job_transition(db, cmd, w->name, "PREPARING", false, false, NULL, NULL, &changed)) {
        reg_close(db);
        return TFC_EXIT_ERROR; /* the reason is in the log; the job will show FAILED (its process ended) */
    }
    if (!changed) {
        reg_close(db);
        logf_line("job %s was cancelled before it started", w->name);
        return TFC_EXIT_ERROR;
    }
    if (!strcmp(w->kind, "training") && reg_mkdirs(w->job_dir)) {
        char msg[PATH_MAX + 100];
        snprintf(msg, sizeof msg, "cannot make the job directory %s: %s", w->job_dir, strerror(errno));
        logf_line("job %s FAILED: %s", w->name, msg);
        reg_job_transition(db, cmd, w->name, "FAILED", false, true, msg, NULL, NULL);
        reg_close(db);
        return TFC_EXIT_ERROR;
    }
    reg_close(db); /* no database handle across fork */

    int errp[2];
    if (pipe2(errp, O_CLOEXEC)) return TFC_EXIT_ERROR;
    pid_t me = getpid();
    time_t started = time(NULL);
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        /* The work dies with its supervisor: a kill -9 of the job leaves no orphan training. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != me) _exit(TFC_EXIT_ERROR);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        dup2(errp[1], 2);
        if (!strcmp(w->kind, "training")) {
            char **argv = calloc((size_t)w->ntrainer_args + 5, sizeof *argv);
            if (!argv) _exit(TFC_EXIT_ERROR);
            char self[PATH_MAX];
            ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
            self[n > 0 ? n : 0] = 0;
            int k = 0;
            argv[k++] = n > 0 ? self : "tfc";
            argv[k++] = "train";
            argv[k++] = "--job-dir";
            argv[k++] = (char *)w->job_dir;
            for (int i = 0; i < w->ntrainer_args; i++) argv[k++] = w->trainer_args[i];
            argv[k] = NULL;
            /* /proc/self/exe runs this very executable even if it was replaced on disk. */
            execv("/proc/self/exe", argv);
            fprintf(stderr, "tfc: jobs: cannot run %s train: %s\n", argv[0], strerror(errno));
            _exit(TFC_EXIT_ERROR);
        }
        int rc = run_prediction(w);
        fflush(NULL);
        exit(rc);
    }
    close(errp[1]);
    if (child < 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "cannot start the job's process: %s", strerror(errno));
        if ((db = reg_open(cmd))) {
            reg_job_transition(db, cmd, w->name, "FAILED", false, true, msg, NULL, NULL);
            reg_close(db);
        }
        close(errp[0]);
        return TFC_EXIT_ERROR;
    }
    if ((db = reg_open(cmd))) {
        reg_job_transition(db, cmd, w->name, "RUNNING", true, false, NULL, NULL, &changed);
        reg_close(db);
        if (!changed) kill(child, SIGTERM); /* cancelled meanwhile */
    }
    if (!strcmp(w->kind, "training")) {
        char line[8192];
        size_t l = (size_t)snprintf(line, sizeof line, "tfc train --job-dir %s", w->job_dir);
        for (int i = 0; i < w->ntrainer_args && l < sizeof line; i++)
            l += (size_t)snprintf(line + l, sizeof line - l, " %s", w->trainer_args[i]);
        logf_line("job %s RUNNING: %s", w->name, line);
    } else {
        logf_line("job %s RUNNING: predicting %s with %s into %s", w->name, w->prediction.input_paths,
                  w->prediction.export_dir, w->prediction.output_dir);
    }

    /* Copy the child's stderr into the log, keeping its last line as the
     * error message should the child fail. */
    char buf[4096], line[1024] = "", last[1024] = "";
    size_t ll = 0;
    for (;;) {
        ssize_t n = read(errp[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        write_all(1, buf, (size_t)n);
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                line[ll] = 0;
                if (strspn(line, " \t\r") < ll) memcpy(last, line, ll + 1);
                ll = 0;
            } else if (ll < sizeof line - 1) {
                line[ll++] = buf[i];
            }
        }
    }
    close(errp[0]);
    if (ll) {
        line[ll] = 0;
        if (strspn(line, " \t\r") < ll) memcpy(last, line, ll + 1);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }

    char msg[1200] = "";
    char *metrics = NULL;
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok) {
        metrics = !strcmp(w->kind, "training") ? training_metrics(w->job_dir, started)
                                               : read_small_file(w->metrics_path);
    } else if (WIFSIGNALED(status)) {
        snprintf(msg, sizeof msg, "the %s process was killed by signal %d (%s)",
                 !strcmp(w->kind, "training") ? "trainer" : "prediction", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    } else if (last[0]) {
        const char *m = last;
        if (!strncmp(m, "tfc: ", 5)) m += 5;
        snprintf(msg, sizeof msg, "%s", m);
    } else {
        snprintf(msg, sizeof msg, "the %s process exited with status %d",
                 !strcmp(w->kind, "training") ? "trainer" : "prediction", WEXITSTATUS(status));
    }
    /* The log is complete before the state says the job ended (stream-logs relies on it). */
    if (cancelled) logf_line("job %s cancelled", w->name);
    else if (ok) logf_line("job %s SUCCEEDED", w->name);
    else logf_line("job %s FAILED: %s", w->name, msg);
    if ((db = reg_open(cmd))) {
        reg_job_transition(db, cmd, w->name, ok ? "SUCCEEDED" : "FAILED", false, true, ok ? NULL : msg, metrics,
                           NULL);
        reg_close(db);
    }
    free(metrics);
    return ok ? TFC_EXIT_OK : TFC_EXIT_ERROR;
}

/* ---- Submitting --------------------------------------------------------------------- */

static int stream_logs(sqlite3 *db, const char *cmd, const char *name);
static int print_state(sqlite3 *db, const char *cmd, const char *name);

/* Records the job and starts its supervisor; returns at once (or follows the
 * log with stream). */
static int submit(const char *cmd, reg_job *j, const job_work *w, bool stream)
{
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    char dir[PATH_MAX], log_path[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/jobs/%s", reg_home(), j->name);
    snprintf(log_path, sizeof log_path, "%s/log", dir);
    j->log_path = log_path;
    j->create_time = reg_now();
    int rc = reg_job_create(db, cmd, j);
    j->log_path = NULL;
    if (rc) {
        reg_close(db);
        return rc;
    }
    int fd = -1;
    if (reg_mkdirs(dir) || (fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        char msg[PATH_MAX + 100];
        snprintf(msg, sizeof msg, "cannot write the job's log %s: %s", log_path, strerror(errno));
        reg_job_transition(db, cmd, j->name, "FAILED", false, true, msg, NULL, NULL);
        reg_close(db);
        return cli_fail(TFC_EXIT_ERROR, "%s: %s", cmd, msg);
    }
    reg_close(db);

    int pp[2];
    if (pipe2(pp, O_CLOEXEC)) {
        close(fd);
        return cli_fail(TFC_EXIT_ERROR, "%s: pipe: %s", cmd, strerror(errno));
    }
    fflush(stdout);
    fflush(stderr);
    pid_t mid = fork();
    if (mid == 0) {
        close(pp[0]);
        pid_t sup = fork();
        if (sup == 0) {
            /* The supervisor: its own session and process group (cancel signals
             * the group), no terminal, output to the log. */
            setsid();
            long long info[2] = {getpid(), proc_start_time(getpid(), NULL)};
            write_all(pp[1], (const char *)info, sizeof info);
            close(pp[1]);
            int devnull = open("/dev/null", O_RDONLY);
            if (devnull >= 0) dup2(devnull, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            if (devnull > 2) close(devnull);
            if (fd > 2) close(fd);
            exit(supervise(w));
        }
        _exit(sup < 0 ? 1 : 0);
    }
    close(pp[1]);
    close(fd);
    long long info[2] = {0, 0};
    if (mid > 0) {
        int status;
        while (waitpid(mid, &status, 0) < 0 && errno == EINTR) {
        }
        ssize_t got = 0;
        while (got < (ssize_t)sizeof info) {
            ssize_t n = read(pp[0], (char *)info + got, sizeof info - (size_t)got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += n;
        }
        if (got != (ssize_t)sizeof info) info[0] = 0;
    }
    close(pp[0]);
    if (!(db = reg_open(cmd))) return TFC_EXIT_ERROR;
    if (info[0] > 0) {
        rc = reg_job_set_pid(db, cmd, j->name, info[0], info[1]);
    } else {
        reg_job_transition(db, cmd, j->name, "FAILED", false, true, "could not start the job's process", NULL, NULL);
        rc = cli_fail(TFC_EXIT_ERROR, "%s: could not start the job's process", cmd);
    }
    if (!rc) rc = print_state(db, cmd, j->name);
    if (!rc && stream) rc = stream_logs(db, cmd, j->name);
    reg_close(db);
    return rc;
}

static int print_state(sqlite3 *db, const char *cmd, const char *name)
{
    reg_job j;
    int rc = reg_job_get(db, cmd, name, &j);
    if (rc) return rc;
    printf("jobId: %s\nstate: %s\n", j.name, j.state);
    fflush(stdout);
    reg_job_clear(&j);
    return TFC_EXIT_OK;
}

static bool is_flag(const char *a, const char *name, bool *with_value)
{
    size_t n = strlen(name);
    if (strncmp(a, name, n)) return false;
    if (a[n] == 0) {
        *with_value = false;
        return true;
    }
    if (a[n] == '=') {
        *with_value = true;
        return true;
    }
    return false;
}

static int submit_training(int argc, char **argv)
{
    const char *cmd = "jobs submit training";
    cli_flag flags[] = {
        {"--job-dir", "DIR", NULL, "the training's job directory (checkpoints, events, export); required", NULL,
         false, false},
        {"--stream-logs", NULL, NULL, "follow the job's log until it ends (exit status: the job's success)", NULL,
         false, false},
    };
    /* NAME and this command's flags come first; everything else (all of it
     * after "--") is the trainer's, passed to tfc train as is. */
    char **mine = calloc((size_t)argc + 1, sizeof *mine), **trainer = calloc((size_t)argc + 1, sizeof *trainer);
    if (!mine || !trainer) {
        free(mine);
        free(trainer);
        return cli_fail(TFC_EXIT_ERROR, "out of memory");
    }
    int nm = 0, nt = 0;
    bool named = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool wv = false;
        if (!strcmp(a, "--")) {
            while (++i < argc) trainer[nt++] = argv[i];
            break;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h") || is_flag(a, "--stream-logs", &wv)) {
            mine[nm++] = argv[i];
        } else if (is_flag(a, "--job-dir", &wv)) {
            mine[nm++] = argv[i];
            if (!wv && i + 1 < argc) mine[nm++] = argv[++i];
        } else if (a[0] != '-' && !named && nt == 0) {
            mine[nm++] = argv[i];
            named = true;
        } else {
            trainer[nt++] = argv[i];
        }
    }
    const char *pos[1];
    int npos = 0;
    int rc = cli_parse(cmd, "NAME --job-dir DIR [--stream-logs] [--] [TRAINER FLAGS...]",
                       "Starts `tfc train --job-dir DIR TRAINER FLAGS` in the background and returns at once "
                       "(tfc train --help lists the trainer's flags). tfc jobs describe NAME shows its state and "
                       "final metrics.",
                       flags, NFLAGS(flags), nm, mine, pos, 1, &npos, NULL, NULL);
    if (rc) goto out;
    if (npos < 1) {
        rc = cli_fail(TFC_EXIT_USAGE, "%s: the job's NAME is missing (tfc %s --help)", cmd, cmd);
        goto out;
    }
    if (!reg_valid_name(pos[0])) {
        rc = cli_fail(TFC_EXIT_USAGE,
                      "%s: bad job name '%s': use a letter, then letters, digits or underscores (at most 128)", cmd,
                      pos[0]);
        goto out;
    }
    const char *job_dir = cli_get(flags, NFLAGS(flags), "--job-dir");
    if (!job_dir || !*job_dir) {
        rc = cli_fail(TFC_EXIT_USAGE, "%s: flag --job-dir is required", cmd);
        goto out;
    }
    char *abs_dir = absolute(job_dir);
    json_t *targs = json_array();
    for (int i = 0; i < nt; i++) json_array_append_new(targs, json_string(trainer[i]));
    json_t *args = json_pack("{so}", "trainer_args", targs);
    char *args_s = args ? json_dumps(args, JSON_COMPACT) : NULL;
    json_decref(args);
    if (!abs_dir || !args_s) {
        free(abs_dir);
        free(args_s);
        rc = cli_fail(TFC_EXIT_ERROR, "out of memory");
        goto out;
    }
    reg_job j = {0};
    j.name = (char *)pos[0];
    j.kind = "training";
    j.args = args_s;
    j.job_dir = abs_dir;
    job_work w = {0};
    w.name = pos[0];
    w.kind = "training";
    w.job_dir = abs_dir;
    w.trainer_args = trainer;
    w.ntrainer_args = nt;
    rc = submit(cmd, &j, &w, cli_given(flags, NFLAGS(flags), "--stream-logs"));
    free(abs_dir);
    free(args_s);
out:
    free(mine);
    free(trainer);
    return rc < 0 ? TFC_EXIT_OK : rc;
}

static int submit_prediction(int argc, char **argv)
{
    const char *cmd = "jobs submit prediction";
    cli_flag flags[] = {
        {"--model", "MODEL", NULL, "registered model whose version predicts (tfc models list)", NULL, false, false},
        {"--version", "VERSION", NULL, "version of --model; unset: the model's default version", NULL, false,
         false},
        {"--model-dir", "EXPORT_DIR", NULL, "an export directory to use instead of --model", NULL, false, false},
        {"--data-format", "FORMAT", "TEXT", "TEXT: JSON lines, one instance (a JSON object of features) per line",
         NULL, false, false},
        {"--input-paths", "GLOBS", NULL, "input files: comma-separated glob patterns (repeatable); required", NULL,
         false, true},
        {"--output-path", "DIR", NULL, "directory for the prediction.results-* and prediction.errors_stats-* files; "
                                        "required",
         NULL, false, false},
        {"--signature-name", "KEY", "serving_default", "signature of the export to run", NULL, false, false},
        {"--batch-size", "N", "1024", "instances per model run", NULL, false, false},
        {"--threads", "N", "0", "worker threads, 0 = one per core", NULL, false, false},
        {"--stream-logs", NULL, NULL, "follow the job's log until it ends (exit status: the job's success)", NULL,
         false, false},
    };
    int nf = NFLAGS(flags);
    const char *pos[1];
    int npos = 0;
    int rc = cli_parse(cmd, "NAME (--model M [--version V] | --model-dir DIR) --input-paths GLOB --output-path DIR "
                            "[FLAGS]",
                       "Predicts every instance of the JSON-lines input files in the background: results in input "
                       "order, one JSON object per instance, in DIR/prediction.results-NNNNN-of-MMMMM (a shard per "
                       "input file); each bad instance (file, line, error) in "
                       "DIR/prediction.errors_stats-00000-of-00001.",
                       flags, nf, argc, argv, pos, 1, &npos, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    if (npos < 1) return cli_fail(TFC_EXIT_USAGE, "%s: the job's NAME is missing (tfc %s --help)", cmd, cmd);
    if (!reg_valid_name(pos[0]))
        return cli_fail(TFC_EXIT_USAGE,
                        "%s: bad job name '%s': use a letter, then letters, digits or underscores (at most 128)", cmd,
                        pos[0]);
    const char *model = cli_get(flags, nf, "--model"), *version = cli_get(flags, nf, "--version");
    const char *model_dir = cli_get(flags, nf, "--model-dir"), *inputs = cli_get(flags, nf, "--input-paths");
    const char *output = cli_get(flags, nf, "--output-path"), *format = cli_get(flags, nf, "--data-format");
    if (!model == !model_dir)
        return cli_fail(TFC_EXIT_USAGE, "%s: give either --model (a registered model) or --model-dir (an export)",
                        cmd);
    if (version && !model) return cli_fail(TFC_EXIT_USAGE, "%s: --version needs --model", cmd);
    if (!inputs || !*inputs) return cli_fail(TFC_EXIT_USAGE, "%s: flag --input-paths is required", cmd);
    if (!output || !*output) return cli_fail(TFC_EXIT_USAGE, "%s: flag --output-path is required", cmd);
    if (strcmp(format, "TEXT") && strcmp(format, "text"))
        return cli_fail(TFC_EXIT_USAGE, "%s: --data-format %s is not supported (TEXT: JSON lines)", cmd, format);
    long batch, threads;
    if ((rc = cli_get_long(cmd, flags, nf, "--batch-size", &batch)) ||
        (rc = cli_get_long(cmd, flags, nf, "--threads", &threads)))
        return rc;
    if (batch < 1 || batch > 1000000)
        return cli_fail(TFC_EXIT_USAGE, "%s: --batch-size must be 1 to 1000000, not %ld", cmd, batch);
    if (threads < 0 || threads > 64)
        return cli_fail(TFC_EXIT_USAGE, "%s: --threads must be 0 to 64, not %ld", cmd, threads);

    char *export_dir = NULL, *version_name = NULL;
    if (model) {
        sqlite3 *db = reg_open(cmd);
        if (!db) return TFC_EXIT_ERROR;
        reg_model m;
        rc = reg_model_get(db, cmd, model, &m);
        if (!rc && !version && !m.default_version)
            rc = cli_fail(TFC_EXIT_NOT_FOUND, "%s: model '%s' has no versions (tfc versions create V --model %s)",
                          cmd, model, model);
        if (!rc) {
            reg_version v;
            rc = reg_version_get(db, cmd, model, version ? version : m.default_version, &v);
            if (!rc) {
                export_dir = v.path;
                version_name = v.name;
                v.path = v.name = NULL;
            }
            reg_version_clear(&v);
        }
        reg_model_clear(&m);
        reg_close(db);
        if (rc) return rc;
    } else {
        export_dir = absolute(model_dir);
    }
    char *abs_inputs = absolute_list(inputs), *abs_output = absolute(output);
    char metrics_path[PATH_MAX];
    snprintf(metrics_path, sizeof metrics_path, "%s/jobs/%s/metrics.json", reg_home(), pos[0]);
    json_t *args = json_pack("{ss ss* ss* ss ss ss ss sI sI}", "export", export_dir ? export_dir : "", "model",
                             model, "version", version_name, "input_paths", abs_inputs ? abs_inputs : "",
                             "data_format", "TEXT", "output_path", abs_output ? abs_output : "", "signature_name",
                             cli_get(flags, nf, "--signature-name"), "batch_size", (json_int_t)batch, "threads",
                             (json_int_t)threads);
    char *args_s = args ? json_dumps(args, JSON_COMPACT) : NULL;
    json_decref(args);
    if (!export_dir || !abs_inputs || !abs_output || !args_s) {
        rc = cli_fail(TFC_EXIT_ERROR, "out of memory");
    } else {
        reg_job j = {0};
        j.name = (char *)pos[0];
        j.kind = "prediction";
        j.args = args_s;
        j.job_dir = abs_output;
        job_work w = {0};
        w.name = pos[0];
        w.kind = "prediction";
        w.metrics_path = metrics_path;
        w.prediction.export_dir = export_dir;
        w.prediction.input_paths = abs_inputs;
        w.prediction.output_dir = abs_output;
        w.prediction.data_format = "TEXT";
        w.prediction.options.signature_key = cli_get(flags, nf, "--signature-name");
        w.prediction.options.batch_size = (int)batch;
        w.prediction.options.threads = (int)threads;
        rc = submit(cmd, &j, &w, cli_given(flags, nf, "--stream-logs"));
    }
    free(export_dir);
    free(version_name);
    free(abs_inputs);
    free(abs_output);
    free(args_s);
    return rc;
}

/* ---- Describe, list, cancel, stream-logs ---------------------------------------------- */

static void print_json_fields(const char *title, const char *text)
{
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return;
    }
    printf("%s:\n", title);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (json_is_string(v)) {
            printf("  %s: %s\n", k, json_string_value(v));
        } else if (json_is_integer(v)) {
            printf("  %s: %lld\n", k, (long long)json_integer_value(v));
        } else if (json_is_real(v)) {
            printf("  %s: %.6g\n", k, json_real_value(v));
        } else if (json_is_array(v)) {
            printf("  %s:", k);
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x) printf(" %s", json_is_string(x) ? json_string_value(x) : "?");
            printf("\n");
        } else if (!json_is_null(v)) {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            printf("  %s: %s\n", k, s ? s : "?");
            free(s);
        }
    }
    json_decref(o);
}

static json_t *job_json(const reg_job *j)
{
    char t[3][32];
    json_t *o = json_pack("{ss ss ss ss ss* ss* ss* ss* sI}", "jobId", j->name, "kind", j->kind, "state", j->state,
                          "createTime", reg_time_str(j->create_time, t[0], sizeof t[0]), "startTime",
                          j->start_time > 0 ? reg_time_str(j->start_time, t[1], sizeof t[1]) : NULL, "endTime",
                          j->end_time > 0 ? reg_time_str(j->end_time, t[2], sizeof t[2]) : NULL, "errorMessage",
                          j->error, "logPath", j->log_path, "pid", (json_int_t)j->pid);
    if (!o) return NULL;
    json_object_set_new(o, !strcmp(j->kind, "training") ? "jobDir" : "outputPath",
                        j->job_dir ? json_string(j->job_dir) : json_null());
    json_t *args = j->args ? json_loads(j->args, 0, NULL) : NULL;
    json_object_set_new(o, !strcmp(j->kind, "training") ? "trainingInput" : "predictionInput",
                        args ? args : json_null());
    json_t *metrics = j->metrics ? json_loads(j->metrics, 0, NULL) : NULL;
    json_object_set_new(o, !strcmp(j->kind, "training") ? "metrics" : "predictionOutput",
                        metrics ? metrics : json_null());
    return o;
}

static int jobs_describe(int argc, char **argv)
{
    const char *cmd = "jobs describe";
    cli_flag flags[] = {
        {"--format", "FORMAT", "text", "text (one field a line) or json", NULL, false, false},
    };
    const char *pos[1];
    int npos = 0;
    int rc = cli_parse(cmd, "NAME [--format text|json]",
                       "Shows a job: its state, creation, start and end times, the error of a failed job, the final "
                       "metrics (training: the last evaluation; prediction: the counts), the job directory and log.",
                       flags, NFLAGS(flags), argc, argv, pos, 1, &npos, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    if (npos < 1) return cli_fail(TFC_EXIT_USAGE, "%s: the job's NAME is missing", cmd);
    const char *format = cli_get(flags, NFLAGS(flags), "--format");
    if (strcmp(format, "text") && strcmp(format, "json"))
        return cli_fail(TFC_EXIT_USAGE, "%s: --format must be text or json, not '%s'", cmd, format);
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    reg_job j;
    rc = reg_job_get(db, cmd, pos[0], &j);
    if (!rc) rc = refresh_job(db, cmd, &j);
    reg_close(db);
    if (rc) return rc;
    if (!strcmp(format, "json")) {
        json_t *o = job_json(&j);
        char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) : NULL;
        if (s) printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        char t[32];
        printf("jobId: %s\n", j.name);
        printf("kind: %s\n", j.kind);
        printf("state: %s\n", j.state);
        printf("createTime: %s\n", reg_time_str(j.create_time, t, sizeof t));
        printf("startTime: %s\n", reg_time_str(j.start_time, t, sizeof t));
        printf("endTime: %s\n", reg_time_str(j.end_time, t, sizeof t));
        if (j.error) printf("errorMessage: %s\n", j.error);
        printf("%s: %s\n", !strcmp(j.kind, "training") ? "jobDir" : "outputPath", j.job_dir ? j.job_dir : "-");
        printf("logPath: %s\n", j.log_path ? j.log_path : "-");
        if (j.pid > 0) printf("pid: %lld\n", j.pid);
        if (!strcmp(j.kind, "training")) {
            print_json_fields("trainingInput", j.args);
            if (j.metrics) print_json_fields("metrics", j.metrics);
            else if (!strcmp(j.state, "SUCCEEDED")) printf("metrics: none (no evaluation in the job directory)\n");
        } else {
            print_json_fields("predictionInput", j.args);
            print_json_fields("predictionOutput", j.metrics);
        }
    }
    reg_job_clear(&j);
    return TFC_EXIT_OK;
}

static int jobs_list(int argc, char **argv)
{
    const char *cmd = "jobs list";
    cli_flag flags[] = {
        {"--format", "FORMAT", "table", "table or json", NULL, false, false},
    };
    int rc = cli_parse(cmd, "[--format table|json]", "Lists every job, newest first.", flags, NFLAGS(flags), argc,
                       argv, NULL, 0, NULL, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    const char *format = cli_get(flags, NFLAGS(flags), "--format");
    if (strcmp(format, "table") && strcmp(format, "json"))
        return cli_fail(TFC_EXIT_USAGE, "%s: --format must be table or json, not '%s'", cmd, format);
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    reg_job *jobs;
    int n;
    rc = reg_job_list(db, cmd, &jobs, &n);
    for (int i = 0; i < n && !rc; i++) rc = refresh_job(db, cmd, &jobs[i]);
    reg_close(db);
    if (rc) {
        reg_job_list_free(jobs, n);
        return rc;
    }
    if (!strcmp(format, "json")) {
        json_t *a = json_array();
        for (int i = 0; i < n; i++) json_array_append_new(a, job_json(&jobs[i]));
        char *s = json_dumps(a, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
        if (s) printf("%s\n", s);
        free(s);
        json_decref(a);
    } else {
        printf("%-32s %-10s %-9s %-20s %s\n", "JOB_ID", "KIND", "STATE", "CREATED", "ENDED");
        for (int i = 0; i < n; i++) {
            char t[2][32];
            printf("%-32s %-10s %-9s %-20s %s\n", jobs[i].name, jobs[i].kind, jobs[i].state,
                   reg_time_str(jobs[i].create_time, t[0], sizeof t[0]),
                   reg_time_str(jobs[i].end_time, t[1], sizeof t[1]));
        }
    }
    reg_job_list_free(jobs, n);
    return TFC_EXIT_OK;
}

static int jobs_cancel(int argc, char **argv)
{
    const char *cmd = "jobs cancel";
    cli_flag flags[] = {
        {"--grace-secs", "S", "10", "seconds the job has to stop after SIGTERM before it gets SIGKILL", NULL, false,
         false},
    };
    const char *pos[1];
    int npos = 0;
    int rc = cli_parse(cmd, "NAME [--grace-secs S]",
                       "Cancels a job that has not ended: marks it CANCELLED and sends SIGTERM to its process "
                       "group (the supervisor and the trainer or prediction), SIGKILL after the grace period.",
                       flags, NFLAGS(flags), argc, argv, pos, 1, &npos, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    if (npos < 1) return cli_fail(TFC_EXIT_USAGE, "%s: the job's NAME is missing", cmd);
    double grace;
    if ((rc = cli_get_double(cmd, flags, NFLAGS(flags), "--grace-secs", &grace))) return rc;
    if (grace < 0) return cli_fail(TFC_EXIT_USAGE, "%s: --grace-secs must be >= 0", cmd);
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    reg_job j;
    rc = reg_job_get(db, cmd, pos[0], &j);
    if (!rc) rc = refresh_job(db, cmd, &j);
    bool changed = false;
    if (!rc && reg_state_terminal(j.state))
        rc = cli_fail(TFC_EXIT_ERROR, "%s: job '%s' already ended (%s)", cmd, j.name, j.state);
    /* The state first: the supervisor then cannot record its own end over it. */
    if (!rc) rc = reg_job_transition(db, cmd, j.name, "CANCELLED", false, true, NULL, NULL, &changed);
    if (!rc && !changed) {
        reg_job_clear(&j);
        rc = reg_job_get(db, cmd, pos[0], &j);
        if (!rc) rc = cli_fail(TFC_EXIT_ERROR, "%s: job '%s' already ended (%s)", cmd, j.name, j.state);
    }
    reg_close(db);
    if (!rc && j.pid > 0 && job_process_alive(&j)) {
        kill(-(pid_t)j.pid, SIGTERM);
        double until = reg_now() + grace;
        while (job_process_alive(&j) && reg_now() < until) sleep_ms(20);
        if (job_process_alive(&j)) kill(-(pid_t)j.pid, SIGKILL);
    }
    if (!rc) printf("jobId: %s\nstate: CANCELLED\n", j.name);
    reg_job_clear(&j);
    return rc;
}

/* Prints the log as it grows until the job ends; the exit status is the
 * job's success. */
static int stream_logs(sqlite3 *db, const char *cmd, const char *name)
{
    reg_job j;
    int rc = reg_job_get(db, cmd, name, &j);
    if (rc) return rc;
    int fd = -1, idle_ms = 10;
    double started = reg_now();
    char buf[65536];
    for (;;) {
        rc = refresh_job(db, cmd, &j);
        if (rc) break;
        bool ended = reg_state_terminal(j.state);
        if (fd < 0 && j.log_path) fd = open(j.log_path, O_RDONLY | O_CLOEXEC);
        /* Drain after reading the state: an ended job's log is complete. */
        bool grew = false;
        for (ssize_t n; fd >= 0 && (n = read(fd, buf, sizeof buf)) != 0;) {
            if (n < 0) {
                if (errno == EINTR) continue;
                break;
            }
            grew = true;
            if (write_all(1, buf, (size_t)n)) break;
        }
        if (ended) break;
        /* Short jobs (a batch prediction) end within a second: poll them
         * closely; a long training needs no fast polling. */
        if (reg_now() - started < 2) idle_ms = 10;
        else idle_ms = grew ? 10 : (idle_ms * 2 > 200 ? 200 : idle_ms * 2);
        sleep_ms(idle_ms);
        char *nm = strdup(j.name);
        reg_job_clear(&j);
        rc = nm ? reg_job_get(db, cmd, nm, &j) : TFC_EXIT_ERROR;
        free(nm);
        if (rc) return rc;
    }
    if (fd >= 0) close(fd);
    if (!rc) {
        if (!strcmp(j.state, "SUCCEEDED"))
            fprintf(stderr, "tfc: job %s SUCCEEDED\n", j.name);
        else
            rc = cli_fail(TFC_EXIT_ERROR, "job %s %s%s%s", j.name, j.state, j.error ? ": " : "",
                          j.error ? j.error : "");
    }
    reg_job_clear(&j);
    return rc;
}

static int jobs_stream_logs(int argc, char **argv)
{
    const char *cmd = "jobs stream-logs";
    const char *pos[1];
    int npos = 0;
    int rc = cli_parse(cmd, "NAME",
                       "Prints the job's log, following it until the job ends. Exit status 0 when the job "
                       "SUCCEEDED, 1 when it FAILED or was CANCELLED.",
                       NULL, 0, argc, argv, pos, 1, &npos, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    if (npos < 1) return cli_fail(TFC_EXIT_USAGE, "%s: the job's NAME is missing", cmd);
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    rc = stream_logs(db, cmd, pos[0]);
    reg_close(db);
    return rc;
}

static const char jobs_usage[] =
    "usage: tfc jobs SUBCOMMAND ...   (tfc jobs SUBCOMMAND --help for its flags)\n\n"
    "subcommands:\n"
    "  submit training NAME --job-dir DIR [--] TRAINER FLAGS   train in the background\n"
    "  submit prediction NAME --model M [--version V] --input-paths GLOB --output-path DIR\n"
    "                                                          batch prediction in the background\n"
    "  describe NAME        state, times, error, final metrics\n"
    "  list                 every job, newest first\n"
    "  cancel NAME          stop a job (state CANCELLED)\n"
    "  stream-logs NAME     follow a job's log until it ends\n"
    "\nstates: QUEUED, PREPARING, RUNNING, SUCCEEDED, FAILED, CANCELLED. Jobs live in $TFC_HOME "
    "(default ~/.tfc): the registry tfc.db and jobs/NAME/log.\n";

static int jobs_submit(int argc, char **argv)
{
    static const cli_subcommand subs[] = {{"training", submit_training}, {"prediction", submit_prediction}};
    return cli_dispatch("jobs submit", jobs_usage, subs, 2, argc, argv);
}

int cmd_jobs(int argc, char **argv)
{
    static const cli_subcommand subs[] = {{"submit", jobs_submit},
                                          {"describe", jobs_describe},
                                          {"list", jobs_list},
                                          {"cancel", jobs_cancel},
                                          {"stream-logs", jobs_stream_logs}};
    return cli_dispatch("jobs", jobs_usage, subs, 5, argc, argv);
}
