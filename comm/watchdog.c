#include "comm/watchdog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "comm/comm.h"

/* The open phase, published seqlock-style: seq is odd while a phase is open; the fields are
 * written only while seq is even, so a reader that sees the same odd seq before and after reading
 * them has a consistent phase. */
static atomic_ulong seq;
static atomic_long ph_step;
static _Atomic(const char *) ph_name;
static atomic_llong ph_start_ns;

static double timeout;
static pthread_t thread;
static int running;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int stopping; /* under mu */

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void comm_phase_begin(long step, const char *phase) {
    if (atomic_load(&seq) & 1) atomic_fetch_add(&seq, 1);
    atomic_store(&ph_step, step);
    atomic_store(&ph_name, phase);
    atomic_store(&ph_start_ns, now_ns());
    atomic_fetch_add(&seq, 1);
}

void comm_phase_end(void) {
    if (atomic_load(&seq) & 1) atomic_fetch_add(&seq, 1);
}

/* Prints the hang line with write(2) (no stdio lock the main thread might hold) and exits. */
static void fire(long step, const char *phase) {
    char line[512];
    int len = snprintf(line, sizeof line,
                       "%s: rank %d: hang: step %ld, phase %s waited more than "
                       "%g s; aborting\n",
                       drnn_prog(), comm_rank(), step, phase, timeout);
    if (len > 0) {
        ssize_t w =
            write(STDERR_FILENO, line, (size_t)len < sizeof line ? (size_t)len : sizeof line);
        (void)w;
    }
    _exit(70);
}

static void *watch(void *arg) {
    (void)arg;
    /* Check a few times per timeout: fires between timeout and 1.25 x timeout (at most +1 s). */
    double tick = timeout / 4 < 1.0 ? timeout / 4 : 1.0;
    long long tick_ns = (long long)(tick * 1e9);
    if (tick_ns < 1000000) tick_ns = 1000000;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        long long t = (long long)until.tv_sec * 1000000000LL + until.tv_nsec + tick_ns;
        until.tv_sec = (time_t)(t / 1000000000LL), until.tv_nsec = (long)(t % 1000000000LL);
        pthread_cond_timedwait(&cv, &mu, &until);
        if (stopping) break;
        unsigned long s1 = atomic_load(&seq);
        if (!(s1 & 1)) continue;
        long step = atomic_load(&ph_step);
        const char *phase = atomic_load(&ph_name);
        long long start = atomic_load(&ph_start_ns);
        if (atomic_load(&seq) != s1) continue; /* the phase changed while we read it */
        if ((double)(now_ns() - start) > timeout * 1e9) fire(step, phase);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

void comm_watchdog_start(double timeout_s) {
    if (timeout_s <= 0 || running) return;
    timeout = timeout_s;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &ca);
    pthread_condattr_destroy(&ca);
    stopping = 0;
    int rc = pthread_create(&thread, NULL, watch, NULL);
    if (rc != 0) drnn_die(70, "cannot start the watchdog thread: %s", strerror(rc));
    running = 1;
}

void comm_watchdog_stop(void) {
    if (!running) return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    pthread_cond_destroy(&cv);
    running = 0;
}
