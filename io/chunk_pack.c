/* io/chunk_pack.c — see chunk_pack.h. */
#include "io/chunk_pack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_WIDTH 8

uint32_t chunk_fletcher32(const unsigned char *p, size_t n) {
    /* libhdf5 folds both sums back to 16 bits after every 360 words (no overflow before that)
     * and twice at the end; folding at the same places gives the same representative of the
     * sums mod 65535, 0xffff included. */
    uint32_t a = 0, b = 0;
    size_t words = n / 2;
    for (size_t at = 0; at < words; at += 360) {
        size_t end = words - at > 360 ? at + 360 : words;
        for (size_t i = at; i < end; i++) {
            a += (uint32_t)p[2 * i] << 8 | p[2 * i + 1];
            b += a;
        }
        a = (a & 0xffff) + (a >> 16);
        b = (b & 0xffff) + (b >> 16);
    }
    p += 2 * words;
    if (n & 1) {
        a += (uint32_t)p[0] << 8;
        b += a;
        a = (a & 0xffff) + (a >> 16);
        b = (b & 0xffff) + (b >> 16);
    }
    a = (a & 0xffff) + (a >> 16);
    b = (b & 0xffff) + (b >> 16);
    return b << 16 | a;
}

/* ---- one encoder: a deflate stream and a shuffle buffer ------------------------------------ */

typedef struct {
    z_stream z;
    int z_ok;
    unsigned char *shuffled; /* [chunk * MAX_WIDTH] */
} coder_t;

enum { JOB_FREE, JOB_QUEUED, JOB_BUSY, JOB_DONE };

typedef struct {
    const void *tag;
    uint64_t index;
    size_t n;
    int width, state, failed;
    unsigned char *raw; /* [chunk * MAX_WIDTH]: n elements, then zeros to the chunk's end */
    unsigned char *out; /* [out_cap] */
    size_t out_len;
} job_t;

struct chunk_pool {
    size_t chunk, out_cap;
    int level, strategy;
    chunk_sink_fn sink;
    void *sink_arg;
    pthread_mutex_t mu;
    pthread_cond_t work, done; /* a job was queued / finished */
    job_t *ring;
    int depth, head, count; /* jobs [head, head + count) of the ring are in use */
    coder_t self; /* the submitting thread's (finish_head, and when there are no workers) */
    pthread_t *thr;
    coder_t *coders; /* [threads] */
    int threads, started, stop;
};

static int coder_init(coder_t *c, const chunk_pool_t *p) {
    memset(c, 0, sizeof *c);
    c->shuffled = malloc(p->chunk * MAX_WIDTH);
    c->z_ok = deflateInit2(&c->z, p->level, Z_DEFLATED, 15, 8, p->strategy) == Z_OK;
    return c->shuffled && c->z_ok ? 0 : -1;
}

static void coder_free(coder_t *c) {
    if (c->z_ok) deflateEnd(&c->z);
    free(c->shuffled);
    memset(c, 0, sizeof *c);
}

/* Appends the Fletcher32 of j->out[0..len) (little-endian, as libhdf5 stores it). */
static void put_fletcher32(job_t *j, size_t len) {
    uint32_t f = chunk_fletcher32(j->out, len);
    for (int k = 0; k < 4; k++) j->out[len + (size_t)k] = (unsigned char)(f >> (8 * k));
    j->out_len = len + 4;
}

/* Job J's whole chunk through shuffle, deflate and Fletcher32 into j->out. */
static void encode(coder_t *c, const chunk_pool_t *p, job_t *j) {
    size_t bytes = p->chunk * (size_t)j->width;
    const unsigned char *src = j->raw;
    if (j->width > 1) { /* byte plane k holds byte k of every element */
        for (int k = 0; k < j->width; k++) {
            unsigned char *plane = c->shuffled + (size_t)k * p->chunk;
            for (size_t i = 0; i < p->chunk; i++) plane[i] = j->raw[i * (size_t)j->width + k];
        }
        src = c->shuffled;
    }
    j->failed = deflateReset(&c->z) != Z_OK;
    c->z.next_in = (unsigned char *)src;
    c->z.avail_in = (uInt)bytes;
    c->z.next_out = j->out;
    c->z.avail_out = (uInt)(p->out_cap - 4);
    if (j->failed || deflate(&c->z, Z_FINISH) != Z_STREAM_END) {
        j->failed = 1;
        return;
    }
    put_fletcher32(j, c->z.total_out);
}

/* ---- workers -------------------------------------------------------------------------------- */

static job_t *next_queued(chunk_pool_t *p) {
    for (int k = 0; k < p->count; k++) {
        job_t *j = &p->ring[(p->head + k) % p->depth];
        if (j->state == JOB_QUEUED) return j;
    }
    return NULL;
}

typedef struct {
    chunk_pool_t *p;
    coder_t *c;
} worker_arg_t;

static void *worker(void *arg) {
    chunk_pool_t *p = ((worker_arg_t *)arg)->p;
    coder_t *c = ((worker_arg_t *)arg)->c;
    free(arg);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        job_t *j = NULL;
        while (!p->stop && !(j = next_queued(p))) pthread_cond_wait(&p->work, &p->mu);
        if (p->stop) break;
        j->state = JOB_BUSY;
        pthread_mutex_unlock(&p->mu);
        encode(c, p, j);
        pthread_mutex_lock(&p->mu);
        j->state = JOB_DONE;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- pool ----------------------------------------------------------------------------------- */

chunk_pool_t *chunk_pool_new(size_t chunk, int level, int strategy, int threads, int depth,
                             chunk_sink_fn sink, void *sink_arg) {
    chunk_pool_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->chunk = chunk, p->level = level, p->strategy = strategy;
    p->sink = sink, p->sink_arg = sink_arg;
    p->depth = depth > 0 ? depth : 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    int bad = coder_init(&p->self, p) != 0;
    p->out_cap = bad ? 0 : deflateBound(&p->self.z, (uLong)(chunk * MAX_WIDTH)) + 4;
    p->ring = calloc((size_t)p->depth, sizeof *p->ring);
    bad = bad || !p->ring;
    for (int k = 0; !bad && k < p->depth; k++) {
        p->ring[k].raw = malloc(chunk * MAX_WIDTH);
        p->ring[k].out = malloc(p->out_cap);
        bad = !p->ring[k].raw || !p->ring[k].out;
    }
    p->threads = threads > 0 ? threads : 0;
    p->thr = calloc((size_t)p->threads + 1, sizeof *p->thr);
    p->coders = calloc((size_t)p->threads + 1, sizeof *p->coders);
    bad = bad || !p->thr || !p->coders;
    for (int t = 0; !bad && t < p->threads; t++) {
        worker_arg_t *a = malloc(sizeof *a);
        bad = !a || coder_init(&p->coders[t], p) != 0;
        if (!bad) {
            a->p = p, a->c = &p->coders[t];
            bad = pthread_create(&p->thr[t], NULL, worker, a) != 0;
        }
        if (bad) free(a);
        if (!bad) p->started++;
    }
    if (bad) {
        chunk_pool_free(p);
        return NULL;
    }
    return p;
}

/* The oldest job, finished, to the sink (called and returning with the lock held). */
static int pop_head(chunk_pool_t *p) {
    job_t *j = &p->ring[p->head];
    pthread_mutex_unlock(&p->mu); /* the workers go on while the sink writes */
    int rc = j->failed ? -1 : p->sink(p->sink_arg, j->tag, j->index, j->n, j->out, j->out_len);
    pthread_mutex_lock(&p->mu);
    j->state = JOB_FREE;
    p->head = (p->head + 1) % p->depth;
    p->count--;
    return rc;
}

/* Makes the oldest job finished (called and returning with the lock held): rather than sleep
 * while the workers are busy, the submitting thread encodes a job nobody has taken, so THREADS
 * workers plus this thread keep THREADS + 1 CPUs busy and none waits on another. */
static void finish_head(chunk_pool_t *p) {
    while (p->ring[p->head].state != JOB_DONE) {
        job_t *j = next_queued(p);
        if (!j) {
            pthread_cond_wait(&p->done, &p->mu);
            continue;
        }
        j->state = JOB_BUSY;
        pthread_mutex_unlock(&p->mu);
        encode(&p->self, p, j);
        pthread_mutex_lock(&p->mu);
        j->state = JOB_DONE;
    }
}

int chunk_pool_submit(chunk_pool_t *p, const void *tag, uint64_t index, const void *raw, size_t n,
                      int width) {
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    while (rc == 0 && p->count == p->depth) {
        finish_head(p);
        rc = pop_head(p);
    }
    job_t *j = &p->ring[(p->head + p->count) % p->depth];
    pthread_mutex_unlock(&p->mu);
    if (rc) return rc;
    /* Not yet visible to the workers: filled without the lock. */
    size_t used = n * (size_t)width, full = p->chunk * (size_t)width;
    memcpy(j->raw, raw, used);
    memset(j->raw + used, 0, full - used);
    j->tag = tag, j->index = index, j->n = n, j->width = width, j->failed = 0;
    if (p->threads == 0) encode(&p->self, p, j);
    pthread_mutex_lock(&p->mu);
    j->state = p->threads == 0 ? JOB_DONE : JOB_QUEUED;
    p->count++;
    pthread_cond_signal(&p->work);
    while (rc == 0 && p->count > 0 && p->ring[p->head].state == JOB_DONE) rc = pop_head(p);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int chunk_pool_drain(chunk_pool_t *p) {
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    while (rc == 0 && p->count > 0) {
        finish_head(p);
        rc = pop_head(p);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void chunk_pool_free(chunk_pool_t *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int t = 0; t < p->started; t++) pthread_join(p->thr[t], NULL);
    for (int t = 0; p->coders && t < p->threads; t++) coder_free(&p->coders[t]);
    for (int k = 0; p->ring && k < p->depth; k++) {
        free(p->ring[k].raw);
        free(p->ring[k].out);
    }
    coder_free(&p->self);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->ring);
    free(p->thr);
    free(p->coders);
    free(p);
}
