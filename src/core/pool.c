/* A small fixed thread pool for splitting one kernel's loop across cores.
 *
 * Kernels of one step follow each other within microseconds, so idle workers
 * spin briefly before sleeping: a condition-variable wake-up costs more than
 * many of the loops it would split. The caller works too and waits only for
 * chunks a worker has actually claimed: a worker that is descheduled (a busy
 * machine) never holds the caller up, it simply finds no chunk left.
 *
 * Claims go through one atomic ticket, (job generation << 32) | next chunk,
 * so a late worker can never take a chunk of a newer job with stale fields.
 * One job at a time: a caller that finds the pool busy runs its loop itself. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "core.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

/* Spins before a worker sleeps (tens of microseconds). */
#define SPIN_ITERATIONS 20000

struct tfci_pool {
    int nthreads; /* workers, not counting the caller */
    pthread_t *threads;
    pthread_mutex_t job_lock; /* held by the caller for a whole job */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    atomic_int sleeping;
    atomic_bool stop;
    /* the current job: fields are atomics read relaxed and validated by the
     * generation in the ticket (a seqlock) */
    _Atomic(tfci_range_fn) fn;
    _Atomic(void *) arg;
    atomic_llong n, chunk, nchunks;
    atomic_uint_fast64_t ticket;
    atomic_llong done; /* chunks finished in the current job */
};

typedef struct job {
    uint64_t gen;
    tfci_range_fn fn;
    void *arg;
    int64_t n, chunk, nchunks;
} job;

/* Claims and runs chunks of job j until none is left or a newer job started. */
static void run_chunks(tfci_pool *p, const job *j)
{
    for (;;) {
        uint64_t t = atomic_load(&p->ticket);
        if ((t >> 32) != j->gen || (int64_t)(t & 0xffffffffu) >= j->nchunks) return;
        if (!atomic_compare_exchange_weak(&p->ticket, &t, t + 1)) continue;
        int64_t b = (int64_t)(t & 0xffffffffu) * j->chunk;
        int64_t e = b + j->chunk < j->n ? b + j->chunk : j->n;
        j->fn(j->arg, b, e);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

static void *worker(void *arg)
{
    tfci_pool *p = arg;
    uint64_t seen = 0;
    for (;;) {
        uint64_t g = atomic_load(&p->ticket) >> 32;
        for (int i = 0; g == seen && i < SPIN_ITERATIONS && !atomic_load_explicit(&p->stop, memory_order_relaxed);
             i++) {
            cpu_relax();
            g = atomic_load(&p->ticket) >> 32;
        }
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleeping, 1);
            while ((g = atomic_load(&p->ticket) >> 32) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->mu);
            atomic_fetch_sub(&p->sleeping, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) break;
        seen = g;
        job j = {g, atomic_load_explicit(&p->fn, memory_order_relaxed),
                 atomic_load_explicit(&p->arg, memory_order_relaxed),
                 atomic_load_explicit(&p->n, memory_order_relaxed),
                 atomic_load_explicit(&p->chunk, memory_order_relaxed),
                 atomic_load_explicit(&p->nchunks, memory_order_relaxed)};
        /* the fields belong to generation g only if it is still current */
        atomic_thread_fence(memory_order_acquire);
        if ((atomic_load(&p->ticket) >> 32) != g) continue;
        run_chunks(p, &j);
    }
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
    atomic_init(&p->sleeping, 0);
    atomic_init(&p->stop, false);
    atomic_init(&p->fn, NULL);
    atomic_init(&p->arg, NULL);
    atomic_init(&p->n, 0);
    atomic_init(&p->chunk, 0);
    atomic_init(&p->nchunks, 0);
    atomic_init(&p->ticket, 0);
    atomic_init(&p->done, 0);
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
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->job_lock);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
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
    job j = {(atomic_load(&p->ticket) >> 32) + 1, fn, arg, n, chunk, (n + chunk - 1) / chunk};
    if (j.gen > 0xffffffffu) j.gen = 1; /* wraps after 4 billion jobs */
    atomic_store_explicit(&p->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&p->arg, arg, memory_order_relaxed);
    atomic_store_explicit(&p->n, n, memory_order_relaxed);
    atomic_store_explicit(&p->chunk, chunk, memory_order_relaxed);
    atomic_store_explicit(&p->nchunks, j.nchunks, memory_order_relaxed);
    atomic_store(&p->done, 0);
    atomic_store(&p->ticket, j.gen << 32); /* publishes the job (seq_cst) */
    if (atomic_load(&p->sleeping) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
    run_chunks(p, &j);
    for (unsigned spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) < j.nchunks; spins++) {
        if (spins < 100000) cpu_relax();
        else sched_yield();
    }
    pthread_mutex_unlock(&p->job_lock);
}

int tfci_num_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
