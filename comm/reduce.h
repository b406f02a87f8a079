/* comm/reduce.h — bucketed, non-blocking gradient all-reduce that overlaps backward (DESIGN §11).
 *
 * The caller owns one flat float buffer of n gradients. It reports ranges as they become final
 * (comm_reduce_ready); every bucket whose floats are all final starts its reduction at once, and
 * comm_reduce_progress (cheap, called once per BPTT time step) moves the reductions along while
 * backward computes the rest. comm_reduce_wait completes everything; the step waits only there.
 * comm/ knows nothing about models: ranges are plain float offsets.
 *
 * Buckets are cut from the END of the buffer, because backward finishes the output layer (stored
 * last) first and the embedding (stored first) last:
 *
 *   buf   [ embedding | layer 0 | ... | layer L-1 | decoder ]
 *         |<-- b3 -->|<---- b2 ---->|<---- b1 ---->|<- b0 ->|    each <= bucket_bytes
 *   time  --------------------------------------------------->
 *   BPTT  decoder | layer L-1 (T steps) | ... | layer 0 | emb | wait | clip, SGD
 *   comm           [b0 ~~~~~]    [b1 ~~~~~~~~]   [b2 ~~~]  [b3]  ^ exposed part only
 *
 * fp32: one MPI_Iallreduce (sum) per bucket, in place.
 * bf16: each element is rounded to bf16 at most twice instead of at every hop:
 *   1. round the bucket to bf16, cut it into N pieces of p = ceil(m/N), MPI_Ialltoall: rank r
 *      receives piece r of every rank;
 *   2. sum the N contributions of piece r in fp32, in rank order (deterministic), round to bf16;
 *   3. MPI_Iallgather the summed pieces, convert back to fp32 into the buffer.
 * The all-to-alls run on one duplicated communicator in start order and the all-gathers on
 * another in the same order, so every rank issues the collectives of each communicator in the
 * same sequence, as MPI requires, whatever order its requests complete in.
 *
 * Cost of one bucket of m floats on N ranks (bandwidth-optimal algorithms, latency a, inverse
 * bandwidth b per byte, s = 4 bytes fp32, 2 bf16):  t ~ 2(N-1) a + 2 (N-1)/N m s b,
 * so bf16 halves the bytes. Exposed time per step ~ the buckets still running when backward ends
 * (at least the last one, which holds the embedding): smaller buckets start sooner but pay more
 * latency terms.
 *
 * Determinism: for a fixed N, buffer size and bucket size the results are bitwise repeatable and
 * identical on all ranks. One rank: every call is a cheap no-op and the buffer is unchanged.
 */
#ifndef DRNN_COMM_REDUCE_H
#define DRNN_COMM_REDUCE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { COMM_REDUCE_FP32 = 0, COMM_REDUCE_BF16 = 1 } comm_reduce_dtype_t;

typedef struct comm_reduce comm_reduce_t;

/* buf: [n] floats summed in place over all ranks (comm_init's world, duplicated for these
 * reductions); buckets of at most bucket_bytes of fp32 (at least 1 float). Allocates all scratch
 * here, none later. Collective. Dies (70) on MPI errors or out of memory. */
comm_reduce_t *comm_reduce_create(float *buf, size_t n, size_t bucket_bytes,
                                  comm_reduce_dtype_t dtype);
/* Collective, after comm_reduce_wait. NULL is allowed. */
void comm_reduce_free(comm_reduce_t *r);

/* buf[offset, offset + count) is final for this step: the caller does not touch it again until
 * comm_reduce_wait returns. Starts every bucket that became complete. Any order is accepted
 * (dies if a float is reported twice); decreasing offsets start buckets soonest. All ranks must
 * make the same calls in the same order. */
void comm_reduce_ready(comm_reduce_t *r, size_t offset, size_t count);
/* Tests the outstanding requests (and starts bf16 all-gathers whose all-to-all finished).
 * Never blocks; nearly free when nothing is in flight. */
void comm_reduce_progress(comm_reduce_t *r);
/* Starts the buckets not yet started (as if the rest of the buffer were reported now), completes
 * every reduction, polling with yields, and resets for the next step. buf then holds the sums. */
void comm_reduce_wait(comm_reduce_t *r);

/* Number of buckets, and bytes this rank sends per step in the bandwidth-optimal model above
 * (2 (N-1)/N m s summed over buckets; 0 on one rank). */
int comm_reduce_buckets(const comm_reduce_t *r);
double comm_reduce_bytes_per_step(const comm_reduce_t *r);

/* float -> bf16, round to nearest even; NaN stays NaN (quiet, sign kept), +-inf stays inf,
 * overflow rounds to inf as IEEE does. */
uint16_t comm_bf16_from_float(float f);
float comm_bf16_to_float(uint16_t h);

#endif
