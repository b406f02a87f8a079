#include "trainer/mem_report.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "comm/comm.h"

void mem_policy_init(void) {
    mallopt(M_MMAP_THRESHOLD, 4 << 20); /* 0 only for a value above glibc's maximum */
}

size_t mem_heap_in_use(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd; /* in use from the heap, and mmap'd blocks */
}

void mem_kind_track(mem_kind_t *k, size_t before) {
    k->bytes += (double)mem_heap_in_use() - (double)before;
    if (k->bytes > k->peak) k->peak = k->bytes;
}

double mem_peak_rss(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss * 1024.0 : 0.0; /* KiB */
}

void mem_report(const mem_budget_t *b, int rank, int nranks) {
    /* Each rank fills its own slots: [rss of each rank | budget parts of each rank]. */
    enum { NV = 6 };
    double *v = calloc((size_t)nranks * NV, sizeof *v);
    if (!v) drnn_die(70, "out of memory");
    const double mine[NV] = {mem_peak_rss(), b->params, b->grads, b->optim, b->buffers, b->before};
    for (int k = 0; k < NV; k++) v[(size_t)k * nranks + rank] = mine[k];
    comm_allreduce_sum_doubles(v, nranks * NV);
    if (rank == 0) {
        double hi = 0, lo = 0, best[NV] = {0}, total = 0;
        int who = 0;
        for (int r = 0; r < nranks; r++) {
            double t = v[nranks + r] + v[2 * nranks + r] + v[3 * nranks + r] + v[4 * nranks + r];
            if (r == 0 || v[r] > hi) hi = v[r], who = r;
            if (r == 0 || v[r] < lo) lo = v[r];
            if (t > total) {
                total = t;
                for (int k = 1; k < NV; k++) best[k] = v[(size_t)k * nranks + r];
            }
        }
        printf("drnn-train: memory per rank: peak RSS %.1f MB (rank %d; smallest %.1f), computed "
               "%.1f MB (parameters %.1f, gradients %.1f, optimizer %.1f, model and data buffers "
               "%.1f): RSS / computed %.2f; process before the model %.1f MB: RSS / (computed + "
               "it) %.2f\n",
               hi / 1e6, who, lo / 1e6, total / 1e6, best[1] / 1e6, best[2] / 1e6, best[3] / 1e6,
               best[4] / 1e6, total > 0 ? hi / total : 0.0, best[5] / 1e6,
               total + best[5] > 0 ? hi / (total + best[5]) : 0.0);
        fflush(stdout);
    }
    free(v);
}
