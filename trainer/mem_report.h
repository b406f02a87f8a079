/* trainer/mem_report.h — a rank's memory against what the run computes it needs (issue: peak
 * resident memory at most 1.3x the computed bytes). The computed bytes are the parameters,
 * gradients and optimizer state (4 bytes per float each) and the model kind's own buffers
 * (activations, batches, corpus readers), as the allocator counted them while the kind opened
 * and at the most they reached since: the classifier's, tagger's and seq2seq's grow with the
 * largest batch they load, so the figure is what the largest batch of the run needed.
 * The rest of the resident set is the program and its libraries (OpenBLAS's thread buffers, MPI,
 * HDF5): tens of MB whatever the model, so the first ratio says something only for large models.
 * The line also gives the process's own: its peak resident set before the kind opened (program,
 * libraries, MPI, the corpus handle), and the ratio with that counted in.
 */
#ifndef DRNN_TRAINER_MEM_REPORT_H
#define DRNN_TRAINER_MEM_REPORT_H

#include <stddef.h>

typedef struct {
    double params, grads, optim, buffers; /* bytes */
    double before;                        /* peak RSS before the model kind opened, bytes */
} mem_budget_t;

/* Buffers of 4 MiB and more get their own mapping, whatever was freed before (glibc's
 * M_MMAP_THRESHOLD, fixed): the model kinds' arenas grow with the batches, and glibc would
 * otherwise raise its threshold to the first arena it frees and place the next ones on the
 * heap, where the holes they leave stay resident. Call before the model is built. */
void mem_policy_init(void);

/* Bytes the C allocator holds for the program now (glibc's mallinfo2). */
size_t mem_heap_in_use(void);

/* The heap a model kind holds, followed across its calls: bytes now, and the most it held. */
typedef struct {
    double bytes, peak;
} mem_kind_t;
/* After a call of the kind: adds the heap the call kept (now minus BEFORE, mem_heap_in_use
 * taken just before it) to k->bytes and raises k->peak to it. Heap freed in the call counts as
 * given back; what the call allocated and freed again is not seen. */
void mem_kind_track(mem_kind_t *k, size_t before);

/* This process's peak resident set so far, bytes (getrusage). */
double mem_peak_rss(void);

/* Collective over all ranks (one sum reduction): rank 0 prints one line with the largest and
 * smallest peak resident set of the ranks against the largest computed budget:
 * "drnn-train: memory per rank: peak RSS X MB (...), computed Y MB (...): RSS / computed R;
 * process before the model Z MB: RSS / (computed + Z) R2". */
void mem_report(const mem_budget_t *b, int rank, int nranks);

#endif
