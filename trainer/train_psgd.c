#include "trainer/train_psgd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/test_knobs.h"
#include "base/util.h"
#include "comm/comm.h"
#include "model/rng.h"

/* DRNN_TEST_POWERSGD_DUMP=DIR: files of raw little-endian float32 for tests/reference/
 * powersgd_ref.py. DIR/layout.txt (rank 0): "ranks N" then "matrix k offset rows cols r" per
 * compressed matrix; DIR/q0-step-S.bin (rank 0): every matrix's initial Q [cols, r] as drawn, in
 * matrix order; DIR/step-S-rank-R.bin: per matrix, in order, this rank's gradient as backward
 * left it [rows, cols], P [rows, r] and Q [cols, r] after their sums (P orthonormalized), the
 * decompressed sum [rows, cols] and this rank's error feedback [rows, cols]. */
static void dump_write(const char *name, const float *const *part, const size_t *len, int n) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", test_knob(KNOB_POWERSGD_DUMP), name);
    FILE *f = fopen(path, "wb");
    int bad = !f;
    for (int i = 0; i < n && !bad; i++) bad = fwrite(part[i], sizeof(float), len[i], f) != len[i];
    if (f && fclose(f) != 0) bad = 1;
    if (bad) drnn_die(74, "%s: cannot write: %s", path, strerror(errno));
}

comm_psgd_t *train_psgd_create(float *grads, const param_table_t *tab, int R, size_t bucket_bytes,
                               comm_reduce_dtype_t dtype, int rank) {
    comm_psgd_matrix_t mats[PARAM_MAX_TENSORS];
    for (int i = 0; i < tab->n; i++) {
        const param_tensor_t *t = &tab->t[i];
        mats[i] = (comm_psgd_matrix_t){t->offset, t->shape[0], t->ndim == 2 ? t->shape[1] : 1};
    }
    const char *dump = test_knob(KNOB_POWERSGD_DUMP);
    comm_psgd_t *p =
        comm_psgd_create(grads, tab->total, mats, tab->n, R, bucket_bytes, dtype, dump != NULL);
    size_t whole = 0, sent = 0;
    for (int k = 0; k < comm_psgd_count(p); k++) {
        int r;
        comm_psgd_matrix_t m = comm_psgd_matrix(p, k, &r);
        whole += m.rows * m.cols, sent += (m.rows + m.cols) * (size_t)r;
    }
    if (rank == 0) {
        printf("powersgd: rank %d: %d matrices of %zu floats travel as %zu, %zu other floats "
               "whole: %.1fx fewer bytes\n",
               R, comm_psgd_count(p), whole, sent, tab->total - whole,
               (double)tab->total / (double)(tab->total - whole + sent));
        if (dump) {
            char path[4400];
            snprintf(path, sizeof path, "%s/layout.txt", dump);
            FILE *f = fopen(path, "w");
            if (!f) drnn_die(74, "%s: cannot write: %s", path, strerror(errno));
            fprintf(f, "ranks %d\n", comm_size());
            for (int k = 0; k < comm_psgd_count(p); k++) {
                int r;
                comm_psgd_matrix_t m = comm_psgd_matrix(p, k, &r);
                fprintf(f, "matrix %d %zu %zu %zu %d\n", k, m.offset, m.rows, m.cols, r);
            }
            if (fclose(f) != 0) drnn_die(74, "%s: cannot write: %s", path, strerror(errno));
        }
    }
    return p;
}

int train_psgd_begin(comm_psgd_t *p, long step, long start, uint64_t seed, int rank) {
    const int compress = step > start;
    if (compress && !comm_psgd_has_state(p)) {
        comm_psgd_set_state(p, 0); /* e = 0 */
        const float *q[PARAM_MAX_TENSORS];
        size_t len[PARAM_MAX_TENSORS];
        for (int k = 0; k < comm_psgd_count(p); k++) {
            int r;
            comm_psgd_matrix_t m = comm_psgd_matrix(p, k, &r);
            q[k] = comm_psgd_q(p, k), len[k] = m.cols * (size_t)r;
            rng_fill_normal(comm_psgd_q(p, k), len[k], 0.0f, 1.0f, seed, RNG_POWERSGD, (uint32_t)k,
                            (uint32_t)step);
        }
        comm_psgd_set_state(p, 1);
        if (rank == 0 && test_knob(KNOB_POWERSGD_DUMP)) {
            char name[64];
            snprintf(name, sizeof name, "q0-step-%08ld.bin", step);
            dump_write(name, q, len, comm_psgd_count(p));
        }
    }
    comm_psgd_begin(p, compress);
    return compress;
}

void train_psgd_dump(comm_psgd_t *p, long step, int rank) {
    if (!test_knob(KNOB_POWERSGD_DUMP)) return;
    int n = comm_psgd_count(p);
    const float **part = calloc((size_t)n * 5 + 1, sizeof *part);
    size_t *len = calloc((size_t)n * 5 + 1, sizeof *len);
    if (!part || !len) drnn_die(70, "out of memory (PowerSGD dump)");
    size_t ne = 0, eo = 0;
    const float *e = comm_psgd_error(p, &ne);
    for (int k = 0; k < n; k++) {
        int r;
        comm_psgd_matrix_t m = comm_psgd_matrix(p, k, &r);
        size_t nm = m.rows * m.cols;
        part[5 * k] = comm_psgd_input(p, k), len[5 * k] = nm;
        part[5 * k + 1] = comm_psgd_p(p, k), len[5 * k + 1] = m.rows * (size_t)r;
        part[5 * k + 2] = comm_psgd_q(p, k), len[5 * k + 2] = m.cols * (size_t)r;
        part[5 * k + 3] = comm_psgd_decompressed(p, k), len[5 * k + 3] = nm;
        part[5 * k + 4] = e + eo, len[5 * k + 4] = nm;
        eo += nm;
    }
    char name[64];
    snprintf(name, sizeof name, "step-%08ld-rank-%05d.bin", step, rank);
    dump_write(name, part, len, 5 * n);
    free(part), free(len);
}
