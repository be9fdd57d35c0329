/* A small fixed thread pool for splitting one kernel's loop across cores.
 * One job at a time: a caller that finds the pool busy (another run is using
 * it) runs its loop itself rather than wait. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "core.h"

struct tfci_pool {
    int nthreads; /* workers, not counting the caller */
    pthread_t *threads;
    pthread_mutex_t job_lock; /* held by the caller for a whole job */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t generation;
    bool stop;
    /* current job */
    tfci_range_fn fn;
    void *arg;
    int64_t n, chunk;
    atomic_llong next;
    int active;
};

static void run_chunks(tfci_pool *p)
{
    for (;;) {
        int64_t b = atomic_fetch_add(&p->next, p->chunk);
        if (b >= p->n) break;
        int64_t e = b + p->chunk < p->n ? b + p->chunk : p->n;
        p->fn(p->arg, b, e);
    }
}

static void *worker(void *arg)
{
    tfci_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        run_chunks(p);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

tfci_pool *tfci_pool_new(int nthreads)
{
    if (nthreads <= 1) return NULL;
    tfci_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = calloc((size_t)nthreads - 1, sizeof *p->threads);
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->job_lock, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 0; i < nthreads - 1; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) break;
        p->nthreads++;
    }
    return p;
}

void tfci_pool_free(tfci_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->job_lock);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p);
}

int tfci_pool_size(const tfci_pool *p) { return p ? p->nthreads + 1 : 1; }

void tfci_parallel_for(tfci_pool *p, int64_t n, int64_t grain, tfci_range_fn fn, void *arg)
{
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (!p || p->nthreads == 0 || n < 2 * grain || pthread_mutex_trylock(&p->job_lock) != 0) {
        fn(arg, 0, n);
        return;
    }
    int parts = p->nthreads + 1;
    int64_t chunk = (n + parts - 1) / parts;
    if (chunk < grain) chunk = grain;
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->chunk = chunk;
    atomic_store(&p->next, 0);
    p->active = p->nthreads;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p);
    pthread_mutex_lock(&p->mu);
    while (p->active > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->job_lock);
}

int tfci_num_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
