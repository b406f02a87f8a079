/* io/ckpt_write.c — writing and committing sharded checkpoints (see io/ckpt.h). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/ckpt.h"
#include "base/test_knobs.h"
#include "base/util.h"
#include "io/fsutil.h"
#include "io/h5util.h"
#include "io/model_attrs.h"

void ckpt_slice(size_t P, int r, int N, size_t *lo, size_t *hi) {
    *lo = (size_t)((unsigned __int128)P * (unsigned)r / (unsigned)N);
    *hi = (size_t)((unsigned __int128)P * (unsigned)(r + 1) / (unsigned)N);
}

void ckpt_step_dir(char *out, size_t n, const char *run_dir, long step, int tmp) {
    snprintf(out, n, "%s/ckpt/step-%08ld%s", run_dir, step, tmp ? ".tmp" : "");
}

int ckpt_exists(const char *run_dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/ckpt/latest", run_dir);
    return access(p, F_OK) == 0;
}

long ckpt_newest_step(const char *run_dir) {
    char dir[4200], p[4500];
    snprintf(dir, sizeof dir, "%s/ckpt", run_dir);
    DIR *d = opendir(dir);
    if (!d) return -1;
    long newest = -1;
    struct dirent *e;
    struct stat st;
    while ((e = readdir(d))) {
        const char *digits = e->d_name + 5;
        if (strncmp(e->d_name, "step-", 5) != 0 || !*digits ||
            strspn(digits, "0123456789") != strlen(digits))
            continue; /* not step-N: step-N.tmp and others */
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        long step = atol(digits);
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && step > newest) newest = step;
    }
    closedir(d);
    return newest;
}

/* PATH is RUN/ckpt/latest or RUN/ckpt/best: a pointer file in a ckpt folder. */
int ckpt_is_pointer(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    struct stat st;
    return (strcmp(base, "best") == 0 || strcmp(base, "latest") == 0) && stat(path, &st) == 0 &&
           S_ISREG(st.st_mode);
}

int ckpt_is_checkpoint(const char *path) {
    char p[4200];
    if (ckpt_exists(path) || ckpt_newest_step(path) >= 0 || ckpt_is_pointer(path)) return 1;
    snprintf(p, sizeof p, "%s/manifest.crc32", path);
    if (access(p, F_OK) == 0) return 1;
    snprintf(p, sizeof p, "%s/manifest.h5", path);
    return access(p, F_OK) == 0;
}

int ckpt_mark_stopped(const char *run_dir, long step) {
    char p[4200];
    snprintf(p, sizeof p, "%s/stopped", run_dir);
    FILE *f = fopen(p, "w");
    if (!f) return -1;
    int ok = fprintf(f, "step %ld\n", step) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int ckpt_clear_stopped(const char *run_dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/stopped", run_dir);
    return unlink(p) == 0 || errno == ENOENT ? 0 : -1;
}

/* rm -r of a checkpoint folder: its files, then the folder (no deeper levels exist). */
static int remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    char p[4400];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    return rmdir(dir);
}

int ckpt_begin(const char *run_dir, long step, char *err, size_t errlen) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/ckpt", run_dir);
    if (fs_mkdirs(dir) != 0)
        return drnn_errf(err, errlen, 74, "%s: cannot create: %s", dir, strerror(errno));
    ckpt_step_dir(dir, sizeof dir, run_dir, step, 1);
    remove_dir(dir);
    if (mkdir(dir, 0777) != 0)
        return drnn_errf(err, errlen, 74, "%s: cannot create: %s", dir, strerror(errno));
    return 0;
}

/* Test knob: DRNN_TEST_CKPT_DELAY_MS sleeps between datasets so that crash tests can kill the
 * job while a checkpoint is being written. */
static void test_delay(void) {
    static long ms = -1;
    if (ms < 0) {
        const char *v = test_knob(KNOB_CKPT_DELAY_MS);
        ms = v ? atol(v) : 0;
    }
    if (ms > 0) usleep((useconds_t)ms * 1000);
}

/* Chunked dataset with shuffle + deflate + Fletcher32 of a 1-D or 2-D array. Every HDF5 result
 * counts: a full disk may first show when a dataset's chunks are flushed at H5Dclose. */
static int write_array(hid_t f, const char *name, hid_t filetype, hid_t memtype, int ndim,
                       const hsize_t *dims, const void *data, int deflate) {
    test_delay();
    hsize_t n = ndim == 1 ? dims[0] : dims[0] * dims[1];
    hid_t dcpl = H5P_DEFAULT; /* filters need chunks; an empty array is stored without them */
    if (n > 0) {
        hsize_t chunk[2] = {dims[0], ndim == 2 ? dims[1] : 1};
        const hsize_t max_chunk = 1 << 18; /* elements: 1 MiB of float32 */
        if (ndim == 1 && chunk[0] > max_chunk) chunk[0] = max_chunk;
        if (ndim == 2 && chunk[0] * chunk[1] > max_chunk)
            chunk[0] = (max_chunk / chunk[1]) ? (max_chunk / chunk[1]) : 1;
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (dcpl < 0) return -1;
        if (H5Pset_chunk(dcpl, ndim, chunk) < 0 || H5Pset_shuffle(dcpl) < 0 ||
            (deflate > 0 && H5Pset_deflate(dcpl, (unsigned)deflate) < 0) ||
            H5Pset_fletcher32(dcpl) < 0) {
            H5Pclose(dcpl);
            return -1;
        }
    }
    hid_t sp = H5Screate_simple(ndim, dims, NULL);
    hid_t d = sp >= 0 ? H5Dcreate2(f, name, filetype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT) : -1;
    int rc = d >= 0 && (n == 0 || H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0)
                 ? 0
                 : -1;
    if (d >= 0 && H5Dclose(d) < 0) rc = -1;
    if (sp >= 0 && H5Sclose(sp) < 0) rc = -1;
    if (dcpl != H5P_DEFAULT && H5Pclose(dcpl) < 0) rc = -1;
    return rc;
}

/* An empty group NAME in F. 0 or -1. */
static int make_group(hid_t f, const char *name) {
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    return g >= 0 && H5Gclose(g) >= 0 ? 0 : -1;
}

/* A new HDF5 file in the latest format, or -1. */
static hid_t create_file(const char *path) {
    h5_quiet();
    hid_t fapl = h5_fapl_latest();
    hid_t f = fapl >= 0 ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : -1;
    if (fapl >= 0) H5Pclose(fapl);
    return f;
}

/* Closes F, fsyncs PATH and returns its CRC32. */
static int finish_file(hid_t f, const char *path, uint32_t *crc) {
    if (H5Fclose(f) < 0) return -1;
    if (fs_fsync_path(path) != 0) return -1;
    return crc ? ckpt_file_crc32(path, crc) : 0;
}

int ckpt_write_shard(const char *run_dir, long step, const ckpt_shard_t *s, int deflate,
                     uint32_t *crc, char *err, size_t errlen) {
    char dir[4200], path[4400];
    ckpt_step_dir(dir, sizeof dir, run_dir, step, 1);
    snprintf(path, sizeof path, "%s/shard-%05d-of-%05d.h5", dir, s->rank, s->world);
    hid_t f = create_file(path);
    if (f < 0) return drnn_errf(err, errlen, 74, "%s: cannot create; check free space", path);
    int bad = h5_attr_set_string(f, "format", CKPT_SHARD_FORMAT);
    bad |= h5_attr_set_i64(f, "version", CKPT_VERSION);
    bad |= h5_attr_set_i64(f, "rank", s->rank);
    bad |= h5_attr_set_i64(f, "world_size", s->world);
    bad |= h5_attr_set_i64(f, "step", step);
    bad |= h5_attr_set_u64(f, "slice_lo", s->lo);
    bad |= h5_attr_set_u64(f, "slice_hi", s->hi);
    hsize_t n = s->hi - s->lo;
    bad |= write_array(f, "params", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, s->params, deflate);
    for (int i = 0; i < s->nopt; i++)
        bad |= write_array(f, s->opt_names[i], H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, s->opt[i],
                           deflate);
    if (s->nstreams > 0) { /* a model with no carried state (the classifier) has no streams */
        bad |= make_group(f, "streams");
        hsize_t ns = (hsize_t)s->nstreams, hd[2] = {ns, (hsize_t)s->hfloats};
        bad |= write_array(f, "streams/id", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &ns, s->stream_ids,
                           deflate);
        bad |= write_array(f, "streams/cursor", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &ns,
                           s->cursors, deflate);
        bad |= write_array(f, "streams/h", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, hd, s->h, deflate);
        if (s->c)
            bad |=
                write_array(f, "streams/c", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, hd, s->c, deflate);
    }
    if (s->npsgd_q > 0) {
        hsize_t nq = s->npsgd_q, ne = s->npsgd_error;
        bad |= make_group(f, "powersgd");
        bad |= write_array(f, "powersgd/q", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &nq, s->psgd_q,
                           deflate);
        bad |= write_array(f, "powersgd/error", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &ne,
                           s->psgd_error, deflate);
    }
    if (bad) {
        H5Fclose(f);
        return drnn_errf(err, errlen, 74, "%s: write failed; check free space", path);
    }
    if (finish_file(f, path, crc) != 0)
        return drnn_errf(err, errlen, 74, "%s: close/fsync failed: %s", path, strerror(errno));
    return 0;
}

static int write_meta(hid_t f, const ckpt_meta_t *m) {
    int bad = h5_attr_set_string(f, "format", CKPT_FORMAT);
    bad |= h5_attr_set_i64(f, "version", CKPT_VERSION);
    bad |= h5_attr_set_i64(f, "step", m->step);
    bad |= h5_attr_set_i64(f, "epoch", m->epoch);
    bad |= h5_attr_set_u64(f, "tokens_seen", (uint64_t)m->tokens);
    bad |= h5_attr_set_i64(f, "world_size", m->world);
    bad |= h5_attr_set_i64(f, "batch", m->batch);
    bad |= h5_attr_set_i64(f, "seq_len", m->seq_len);
    bad |= h5_attr_set_i64(f, "batch_tokens", m->batch_tokens);
    bad |= h5_attr_set_i64(f, "batch_in_epoch", m->batch_in_epoch);
    bad |= h5_attr_set_i64(f, "streams", m->streams);
    bad |= h5_attr_set_f64(f, "lr", m->lr);
    bad |= h5_attr_set_f64(f, "momentum", m->momentum);
    bad |= h5_attr_set_f64(f, "clip", m->clip);
    bad |= h5_attr_set_f64(f, "dropout", m->dropout);
    bad |= h5_attr_set_u64(f, "seed", m->seed);
    bad |= h5_attr_set_string(f, "corpus_uuid", m->corpus_uuid);
    bad |= h5_attr_set_u64(f, "train_tokens", m->train_tokens);
    bad |= h5_attr_set_u64(f, "valid_tokens", m->valid_tokens);
    bad |= h5_attr_set_u64(f, "train_crc32", m->train_crc32);
    bad |= h5_attr_set_u64(f, "valid_crc32", m->valid_crc32);
    bad |= h5_attr_set_string(f, "optimizer", m->optimizer);
    bad |= h5_attr_set_i64(f, "optimizer_state", m->nopt);
    bad |= h5_attr_set_i64(f, "optimizer_steps", m->optim_steps);
    bad |= h5_attr_set_f64(f, "beta1", m->beta1);
    bad |= h5_attr_set_f64(f, "beta2", m->beta2);
    bad |= h5_attr_set_f64(f, "eps", m->eps);
    bad |= h5_attr_set_f64(f, "weight_decay", m->weight_decay);
    bad |= h5_attr_set_f64(f, "lr_scale", m->lr_scale);
    bad |= h5_attr_set_f64(f, "best_metric", m->best_metric);
    bad |= h5_attr_set_i64(f, "best_step", m->best_step);
    bad |= h5_attr_set_i64(f, "bad_evals", m->bad_evals);
    bad |= h5_attr_set_i64(f, "skips", m->skips);
    bad |= h5_attr_set_i64(f, "state_floats", m->state_floats);
    bad |= h5_attr_set_i64(f, "powersgd_rank", m->powersgd_rank);
    bad |= h5_attr_set_i64(f, "powersgd_state", m->powersgd_state);
    return bad;
}

/* /tensors/{name, shape, offset} and /shards/{lo, hi, crc32}. */
static int write_tables(hid_t f, const param_table_t *tab, const size_t *lo, const size_t *hi,
                        const uint32_t *crc, int world, int deflate) {
    int bad = 0;
    const char *names[PARAM_MAX_TENSORS];
    uint64_t shape[PARAM_MAX_TENSORS][2], off[PARAM_MAX_TENSORS];
    for (int i = 0; i < tab->n; i++) {
        names[i] = tab->t[i].name;
        shape[i][0] = tab->t[i].shape[0];
        shape[i][1] = tab->t[i].ndim == 2 ? tab->t[i].shape[1] : 0;
        off[i] = tab->t[i].offset;
    }
    bad |= make_group(f, "tensors");
    bad |= h5_write_strings(f, "tensors/name", names, tab->n);
    hsize_t n = (hsize_t)tab->n, sd[2] = {n, 2};
    bad |= write_array(f, "tensors/shape", H5T_STD_U64LE, H5T_NATIVE_UINT64, 2, sd, shape, deflate);
    bad |= write_array(f, "tensors/offset", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &n, off, deflate);
    bad |= make_group(f, "shards");
    uint64_t *l = calloc((size_t)world, sizeof *l), *h = calloc((size_t)world, sizeof *h);
    uint32_t *c = calloc((size_t)world, sizeof *c);
    if (!l || !h || !c) bad = 1;
    for (int r = 0; !bad && r < world; r++) l[r] = lo[r], h[r] = hi[r], c[r] = crc[r];
    hsize_t w = (hsize_t)world;
    if (!bad) {
        bad |= write_array(f, "shards/lo", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &w, l, deflate);
        bad |= write_array(f, "shards/hi", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &w, h, deflate);
        bad |= write_array(f, "shards/crc32", H5T_STD_U32LE, H5T_NATIVE_UINT32, 1, &w, c, deflate);
    }
    free(l), free(h), free(c);
    return bad;
}

/* Writes a small text file durably (io/fsutil.h's fs_tmp_*). 0; -1 when PATH was not replaced
 * (the temporary is removed); -2 when it was, but its folder could not be synced. errno tells
 * why. */
static int write_text_atomic(const char *path, const char *text) {
    char tmp[4400];
    FILE *f = fs_tmp_fopen(tmp, sizeof tmp, path);
    if (!f) return -1;
    if (fputs(text, f) < 0) {
        fs_tmp_discard(f, tmp);
        return -1;
    }
    if (fs_tmp_fclose(f) != 0) {
        fs_tmp_discard(NULL, tmp);
        return -1;
    }
    return fs_tmp_commit(tmp, path);
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The step RUN/ckpt/best names, or -1. */
static long best_step(const char *run_dir) {
    char p[4200], line[128];
    snprintf(p, sizeof p, "%s/ckpt/best", run_dir);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    long step = -1;
    if (fgets(line, sizeof line, f) && sscanf(line, "step-%ld", &step) != 1) step = -1;
    fclose(f);
    return step;
}

int ckpt_mark_best(const char *run_dir, long step, char *err, size_t errlen) {
    char latest[4200], best[4200], line[128] = "";
    snprintf(latest, sizeof latest, "%s/ckpt/latest", run_dir);
    snprintf(best, sizeof best, "%s/ckpt/best", run_dir);
    FILE *f = fopen(latest, "r");
    long named = -1;
    if (f) {
        if (!fgets(line, sizeof line, f) || sscanf(line, "step-%ld", &named) != 1) named = -1;
        fclose(f);
    }
    if (named != step)
        return drnn_errf(err, errlen, 70, "%s does not name step %ld, just written", latest, step);
    if (write_text_atomic(best, line) != 0)
        return drnn_errf(err, errlen, 74, "%s: cannot replace: %s", best, strerror(errno));
    return 0;
}

/* Keeps the newest `keep` complete step-* folders, always including the one just committed
 * (NEWEST, which may not be the highest step when a run was resumed from an older one) and the
 * one RUN/ckpt/best names, and removes leftover step-*.tmp folders and latest.tmp.PID /
 * best.tmp.PID files of crashed writes (this job holds the run folder's lock, and its own
 * pointer temporaries are renamed by now). Housekeeping: when memory runs out, nothing is
 * removed rather than the wrong folder. */
static void prune(const char *run_dir, long newest, int keep) {
    char dir[4200], p[4400];
    snprintf(dir, sizeof dir, "%s/ckpt", run_dir);
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int ok = 1;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (strncmp(e->d_name, "latest.tmp.", 11) == 0 || strncmp(e->d_name, "best.tmp.", 9) == 0) {
            if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < (int)sizeof p) unlink(p);
            continue;
        }
        if (strncmp(e->d_name, "step-", 5) != 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        names[n] = strdup(e->d_name);
        ok = names[n] != NULL;
        n += ok;
    }
    ok = ok && e == NULL; /* every entry listed */
    closedir(d);
    if (ok) qsort(names, n, sizeof *names, cmp_names);
    int kept = 1; /* the newest */
    const long best = best_step(run_dir);
    for (size_t i = n; ok && i-- > 0;) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (strstr(names[i], ".tmp"))
            remove_dir(p);
        else if (atol(names[i] + 5) == newest || atol(names[i] + 5) == best) { /* kept */
        } else if (kept < keep)
            kept++;
        else
            remove_dir(p);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* step-N.tmp/manifest.h5 and manifest.crc32; *mcrc gets the manifest's CRC32. 0 or 74. */
static int write_manifest(const char *tmpdir, const ckpt_meta_t *meta, const param_table_t *tab,
                          const char *const *vocab, const char *const *labels,
                          const char *const *tgt_vocab, const size_t *lo, const size_t *hi,
                          const uint32_t *crc, int deflate, uint32_t *mcrc, char *err,
                          size_t errlen) {
    char path[4400], line[32];
    snprintf(path, sizeof path, "%s/manifest.h5", tmpdir);
    hid_t f = create_file(path);
    if (f < 0) return drnn_errf(err, errlen, 74, "%s: cannot create; check free space", path);
    int bad = write_meta(f, meta);
    bad |= model_attrs_write(f, &meta->desc, meta->tokenizer, vocab, labels, tgt_vocab, &meta->spm);
    bad |= write_tables(f, tab, lo, hi, crc, meta->world, deflate);
    if (bad) {
        H5Fclose(f);
        return drnn_errf(err, errlen, 74, "%s: write failed; check free space", path);
    }
    if (finish_file(f, path, mcrc) != 0)
        return drnn_errf(err, errlen, 74, "%s: close/fsync failed: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/manifest.crc32", tmpdir);
    snprintf(line, sizeof line, "%08x\n", *mcrc);
    if (write_text_atomic(path, line) != 0)
        return drnn_errf(err, errlen, 74, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

/* Renames step-N.tmp to step-N, then points latest at it. A step-N folder that is already there
 * (a run resumed from an older checkpoint passes the same step again; latest may name it) waits
 * aside as step-N.old.tmp until latest has moved, and is put back on a failure: latest names a
 * complete checkpoint whatever fails. On a failure the new folder is step-N.tmp again, for the
 * caller to remove. 0 or 74. */
static int publish(const char *run_dir, long step, uint32_t mcrc, char *err, size_t errlen) {
    char tmpdir[4200], dir[4200], aside[4300], latest[4300], line[64];
    ckpt_step_dir(tmpdir, sizeof tmpdir, run_dir, step, 1);
    ckpt_step_dir(dir, sizeof dir, run_dir, step, 0);
    snprintf(aside, sizeof aside, "%s.old.tmp", dir);
    snprintf(latest, sizeof latest, "%s/ckpt/latest", run_dir);
    snprintf(line, sizeof line, "step-%08ld %08x\n", step, mcrc);
    remove_dir(aside);
    int had_old = rename(dir, aside) == 0;
    if (!had_old && errno != ENOENT)
        return drnn_errf(err, errlen, 74, "%s: cannot replace: %s", dir, strerror(errno));
    int rc = 0, renamed = rename(tmpdir, dir) == 0;
    if (!renamed || fs_fsync_parent(dir) != 0)
        rc = drnn_errf(err, errlen, 74, "%s: cannot commit: %s", dir, strerror(errno));
    test_delay();
    int w = rc ? -1 : write_text_atomic(latest, line);
    if (w == -1 && !rc)
        rc = drnn_errf(err, errlen, 74, "%s: cannot replace: %s", latest, strerror(errno));
    if (w == -2) { /* latest names the new folder; only its durability is in doubt */
        rc = drnn_errf(err, errlen, 74, "%s: replaced, but %s/ckpt cannot be synced: %s", latest,
                       run_dir, strerror(errno));
        remove_dir(aside);
        return rc;
    }
    if (rc && renamed) rename(dir, tmpdir);
    if (rc && had_old) rename(aside, dir);
    if (!rc) remove_dir(aside);
    return rc;
}

void ckpt_discard(const char *run_dir, long step) {
    char dir[4200];
    ckpt_step_dir(dir, sizeof dir, run_dir, step, 1);
    remove_dir(dir);
}

int ckpt_commit(const char *run_dir, const ckpt_meta_t *meta, const param_table_t *tab,
                const char *const *vocab, const char *const *labels, const char *const *tgt_vocab,
                const size_t *lo, const size_t *hi, const uint32_t *crc, int deflate, int keep,
                char *err, size_t errlen) {
    char tmpdir[4200];
    ckpt_step_dir(tmpdir, sizeof tmpdir, run_dir, meta->step, 1);
    uint32_t mcrc = 0;
    int rc = write_manifest(tmpdir, meta, tab, vocab, labels, tgt_vocab, lo, hi, crc, deflate,
                            &mcrc, err, errlen);
    test_delay();
    if (!rc) rc = publish(run_dir, meta->step, mcrc, err, errlen);
    if (rc) {
        ckpt_discard(run_dir, meta->step);
        return rc;
    }
    prune(run_dir, meta->step, keep);
    return 0;
}
