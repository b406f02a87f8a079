/* io/ckpt_read.c — verifying and reading sharded checkpoints (see io/ckpt.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "io/ckpt.h"
#include "base/util.h"
#include "io/h5util.h"
#include "io/model_attrs.h"

struct ckpt {
    char dir[4200];
    ckpt_meta_t meta;
    model_info_t mi; /* description, tokenizer, vocab, labels */
    int ntensors;
    char **tnames;
    uint64_t (*tshape)[2];
    uint64_t *toff;
    uint64_t *lo, *hi;
    uint32_t *crc;
};

int ckpt_file_crc32(const char *path, uint32_t *crc) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    static unsigned char buf[1 << 20];
    uLong c = crc32(0L, Z_NULL, 0);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) c = crc32(c, buf, (uInt)n);
    int bad = ferror(f);
    fclose(f);
    if (bad) return -1;
    *crc = (uint32_t)c;
    return 0;
}

/* Reads the first line of a small text file into buf: 0; -1 when there is no such file; an
 * existing file that holds no line (empty, unreadable) gives an empty buf and 0, which the
 * caller's parse then rejects as damaged. */
static int read_line(const char *path, char *buf, size_t n) {
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT || errno == ENOTDIR ? -1 : 0;
    if (!fgets(buf, (int)n, f)) buf[0] = '\0';
    fclose(f);
    return 0;
}

/* Finds the step folder and the manifest CRC that PATH names. */
static int resolve(const char *path, char *dir, size_t n, uint32_t *mcrc, char *err,
                   size_t errlen) {
    char p[4400], line[256], folder[4400];
    unsigned crc = 0;
    int pointer = ckpt_is_pointer(path); /* RUN/ckpt/best or RUN/ckpt/latest itself */
    snprintf(p, sizeof p, pointer ? "%s" : "%s/ckpt/latest", path);
    snprintf(folder, sizeof folder, pointer ? "%s" : "%s/ckpt", path);
    if (pointer) { /* the folder the pointer file is in */
        char *slash = strrchr(folder, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(folder, sizeof folder, ".");
    }
    if (read_line(p, line, sizeof line) == 0) {
        char name[64];
        if (sscanf(line, "%63s %8x", name, &crc) != 2 || strncmp(name, "step-", 5) ||
            strchr(name, '/'))
            return drnn_errf(err, errlen, 65, "%s: damaged (expected \"step-N CRC32\")", p);
        if (snprintf(dir, n, "%.4000s/%s", folder, name) >= (int)n)
            return drnn_errf(err, errlen, 64, "%s: path too long", path);
        *mcrc = crc;
        return 0;
    }
    snprintf(p, sizeof p, "%s/manifest.crc32", path);
    if (read_line(p, line, sizeof line) == 0) {
        if (sscanf(line, "%8x", &crc) != 1)
            return drnn_errf(err, errlen, 65, "%s: damaged (expected a CRC32)", p);
        snprintf(dir, n, "%s", path);
        *mcrc = crc;
        return 0;
    }
    snprintf(p, sizeof p, "%s/manifest.h5", path);
    struct stat st;
    if (stat(p, &st) == 0)
        return drnn_errf(err, errlen, 65, "%s/manifest.crc32 is missing: incomplete checkpoint",
                         path);
    long newest = ckpt_newest_step(path);
    if (newest >= 0) /* which one latest would have named is not known: the user says */
        return drnn_errf(err, errlen, 64,
                         "%s has step folders but no ckpt/latest, so which checkpoint is meant is "
                         "not known; name one, e.g. %s/ckpt/step-%08ld (the newest)",
                         path, path, newest);
    return drnn_errf(err, errlen, 66,
                     "%s: no checkpoint (neither a run folder with ckpt/latest nor a step-N "
                     "folder)",
                     path);
}

/* Whole-file CRC32 against the expected value, before any HDF5 call. */
static int verify_crc(const char *path, uint32_t want, char *err, size_t errlen) {
    uint32_t got = 0;
    if (ckpt_file_crc32(path, &got) != 0)
        return drnn_errf(err, errlen, 65, "%s: cannot read: %s", path, strerror(errno));
    if (got != want)
        return drnn_errf(err, errlen, 65,
                         "%s: CRC32 %08x, expected %08x: the file is damaged; resume from an "
                         "older checkpoint (--resume RUN/ckpt/step-N)",
                         path, got, want);
    return 0;
}

/* 1-D or 2-D dataset NAME of exactly n elements into dst. 0 or -1. */
static int read_array(hid_t f, const char *name, hid_t memtype, hsize_t n, void *dst) {
    if (!h5_exists(f, name)) return -1;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    int ok = sp >= 0 && H5Sget_simple_extent_npoints(sp) == (hssize_t)n &&
             (n == 0 || H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) >= 0);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return ok ? 0 : -1;
}

static int read_meta(hid_t f, ckpt_meta_t *m) {
    int64_t v[9];
    uint64_t u[6];
    const char *ni[] = {"version", "step",         "epoch",          "world_size", "batch",
                        "seq_len", "state_floats", "batch_in_epoch", "streams"};
    /* The version first: another version's attributes may differ. */
    if (h5_attr_get_i64(f, ni[0], &v[0]) < 0) return -1;
    if (v[0] != CKPT_VERSION) return -2;
    for (int i = 1; i < 9; i++)
        if (h5_attr_get_i64(f, ni[i], &v[i]) < 0) return -1;
    const char *nu[] = {"tokens_seen",  "seed",        "train_tokens",
                        "valid_tokens", "train_crc32", "valid_crc32"};
    for (int i = 0; i < 6; i++)
        if (h5_attr_get_u64(f, nu[i], &u[i]) < 0) return -1;
    int64_t pr = 0, ps = 0; /* absent before --powersgd existed */
    if ((H5Aexists(f, "powersgd_rank") > 0 && h5_attr_get_i64(f, "powersgd_rank", &pr) < 0) ||
        (H5Aexists(f, "powersgd_state") > 0 && h5_attr_get_i64(f, "powersgd_state", &ps) < 0) ||
        pr < 0 || pr > (1 << 20))
        return -1;
    m->powersgd_rank = (int)pr, m->powersgd_state = ps != 0;
    int64_t bt = 0;
    if (H5Aexists(f, "batch_tokens") > 0 && h5_attr_get_i64(f, "batch_tokens", &bt) < 0) return -1;
    if (bt < 0 || bt > (1LL << 40)) return -1;
    m->batch_tokens = (int)bt;
    for (int i = 1; i < 9; i++)
        if (v[i] < 0 || v[i] > (1LL << 40)) return -1;
    if (v[3] < 1 || v[3] > (1 << 20) || v[4] < 1 || v[6] > (1 << 26) || v[8] > (1 << 30)) return -1;
    m->streams = (int)v[8];
    m->step = (long)v[1], m->epoch = (long)v[2], m->world = (int)v[3], m->batch = (int)v[4];
    m->seq_len = (int)v[5], m->state_floats = (int)v[6], m->batch_in_epoch = (long)v[7];
    m->tokens = (double)u[0], m->seed = u[1], m->train_tokens = u[2], m->valid_tokens = u[3];
    m->train_crc32 = (uint32_t)u[4], m->valid_crc32 = (uint32_t)u[5];
    int64_t ns = 0, st = 0, bs = 0, be = 0, sk = 0;
    if (h5_attr_get_string(f, "optimizer", m->optimizer, sizeof m->optimizer) < 0 ||
        h5_attr_get_i64(f, "optimizer_state", &ns) < 0 ||
        h5_attr_get_i64(f, "optimizer_steps", &st) < 0 ||
        h5_attr_get_f64(f, "beta1", &m->beta1) < 0 || h5_attr_get_f64(f, "beta2", &m->beta2) < 0 ||
        h5_attr_get_f64(f, "eps", &m->eps) < 0 ||
        h5_attr_get_f64(f, "weight_decay", &m->weight_decay) < 0 ||
        h5_attr_get_f64(f, "lr_scale", &m->lr_scale) < 0 ||
        h5_attr_get_f64(f, "best_metric", &m->best_metric) < 0 ||
        h5_attr_get_i64(f, "best_step", &bs) < 0 || h5_attr_get_i64(f, "bad_evals", &be) < 0 ||
        h5_attr_get_i64(f, "skips", &sk) < 0)
        return -1;
    if (ns < 0 || ns > CKPT_MAX_OPT || st < 0 || bs < 0 || be < 0 || sk < 0) return -1;
    m->nopt = (int)ns, m->optim_steps = (long)st, m->best_step = (long)bs;
    m->bad_evals = (long)be, m->skips = (long)sk;
    if (h5_attr_get_string(f, "corpus_uuid", m->corpus_uuid, sizeof m->corpus_uuid) < 0 ||
        h5_attr_get_f64(f, "lr", &m->lr) < 0 || h5_attr_get_f64(f, "momentum", &m->momentum) < 0 ||
        h5_attr_get_f64(f, "clip", &m->clip) < 0 || h5_attr_get_f64(f, "dropout", &m->dropout) < 0)
        return -1;
    return 0;
}

static int read_tables(ckpt_t *c, hid_t f) {
    int nt = 0;
    if (h5_read_strings(f, "tensors/name", &c->tnames, &nt) < 0) return -1;
    c->ntensors = nt;
    if (nt < 1 || nt > PARAM_MAX_TENSORS) return -1;
    c->tshape = calloc((size_t)nt, sizeof *c->tshape);
    c->toff = calloc((size_t)nt, sizeof *c->toff);
    int W = c->meta.world;
    c->lo = calloc((size_t)W, sizeof *c->lo);
    c->hi = calloc((size_t)W, sizeof *c->hi);
    c->crc = calloc((size_t)W, sizeof *c->crc);
    if (!c->tshape || !c->toff || !c->lo || !c->hi || !c->crc) return -1;
    if (read_array(f, "tensors/shape", H5T_NATIVE_UINT64, (hsize_t)nt * 2, c->tshape) < 0 ||
        read_array(f, "tensors/offset", H5T_NATIVE_UINT64, (hsize_t)nt, c->toff) < 0 ||
        read_array(f, "shards/lo", H5T_NATIVE_UINT64, (hsize_t)W, c->lo) < 0 ||
        read_array(f, "shards/hi", H5T_NATIVE_UINT64, (hsize_t)W, c->hi) < 0 ||
        read_array(f, "shards/crc32", H5T_NATIVE_UINT32, (hsize_t)W, c->crc) < 0)
        return -1;
    /* Slices must tile [0, P) in rank order. */
    for (int r = 0; r < W; r++)
        if (c->lo[r] > c->hi[r] || (r > 0 && c->lo[r] != c->hi[r - 1]) || (r == 0 && c->lo[0]))
            return -1;
    return 0;
}

int ckpt_open(ckpt_t **out, const char *path, char *err, size_t errlen) {
    *out = NULL;
    ckpt_t *c = calloc(1, sizeof *c);
    if (!c) return drnn_errf(err, errlen, 70, "out of memory");
    uint32_t mcrc = 0;
    char mpath[4400];
    int rc = resolve(path, c->dir, sizeof c->dir, &mcrc, err, errlen);
    if (rc) goto fail;
    snprintf(mpath, sizeof mpath, "%s/manifest.h5", c->dir);
    if ((rc = verify_crc(mpath, mcrc, err, errlen))) goto fail;
    h5_quiet();
    hid_t f = H5Fopen(mpath, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        rc = drnn_errf(err, errlen, 65, "%s: HDF5 cannot open it", mpath);
        goto fail;
    }
    char fmt[64];
    int mr = -1;
    if (h5_attr_get_string(f, "format", fmt, sizeof fmt) < 0 || strcmp(fmt, CKPT_FORMAT) != 0)
        rc = drnn_errf(err, errlen, 65, "%s: not a drnn checkpoint manifest", mpath);
    else if ((mr = read_meta(f, &c->meta)) != 0)
        rc = drnn_errf(err, errlen, 65,
                       mr == -2 ? "%s: checkpoint format version is not %d; use the drnn that "
                                  "wrote it"
                                : "%s: manifest attributes missing or invalid (version %d)",
                       mpath, CKPT_VERSION);
    else if ((rc = model_attrs_read(f, mpath, &c->mi, err, errlen)) != 0)
        ;
    else if (read_tables(c, f) < 0)
        rc = drnn_errf(err, errlen, 65, "%s: tensor or shard table missing or inconsistent", mpath);
    H5Fclose(f);
    if (rc) goto fail;
    c->meta.desc = c->mi.desc;
    snprintf(c->meta.tokenizer, sizeof c->meta.tokenizer, "%s", c->mi.tokenizer);
    c->meta.spm = model_info_spm(&c->mi);
    *out = c;
    return 0;
fail:
    ckpt_close(c);
    return rc;
}

void ckpt_close(ckpt_t *c) {
    if (!c) return;
    model_info_free(&c->mi);
    h5_free_strings(c->tnames, c->ntensors);
    free(c->tshape), free(c->toff), free(c->lo), free(c->hi), free(c->crc);
    free(c);
}

const ckpt_meta_t *ckpt_meta(const ckpt_t *c) {
    return &c->meta;
}
const char *ckpt_dir(const ckpt_t *c) {
    return c->dir;
}
const char *const *ckpt_labels(const ckpt_t *c) {
    return (const char *const *)c->mi.labels;
}
const model_info_t *ckpt_info(const ckpt_t *c) {
    return &c->mi;
}

const char *const *ckpt_tgt_vocab(const ckpt_t *c) {
    return (const char *const *)c->mi.tgt_vocab;
}
const char *const *ckpt_vocab(const ckpt_t *c) {
    return (const char *const *)c->mi.vocab;
}

int ckpt_check_table(const ckpt_t *c, const param_table_t *tab, char *err, size_t errlen) {
    if (c->ntensors != tab->n)
        return drnn_errf(err, errlen, 64, "checkpoint %s has %d tensors, this model %d", c->dir,
                         c->ntensors, tab->n);
    for (int i = 0; i < tab->n; i++) {
        const param_tensor_t *t = &tab->t[i];
        uint64_t d1 = t->ndim == 2 ? t->shape[1] : 0;
        if (strcmp(c->tnames[i], t->name) || c->tshape[i][0] != t->shape[0] ||
            c->tshape[i][1] != d1 || c->toff[i] != t->offset)
            return drnn_errf(err, errlen, 64,
                             "checkpoint %s: tensor %d is %s [%llu, %llu], this model has %s; "
                             "use the model options the checkpoint was written with",
                             c->dir, i, c->tnames[i], (unsigned long long)c->tshape[i][0],
                             (unsigned long long)c->tshape[i][1], t->name);
    }
    if (c->hi[c->meta.world - 1] != (uint64_t)tab->t[tab->n - 1].offset + tab->t[tab->n - 1].size)
        return drnn_errf(err, errlen, 65, "checkpoint %s: shard slices do not cover the model",
                         c->dir);
    return 0;
}

/* Reads shard r into the caller's buffers; seen[id] marks streams already filled. */
static int read_shard(ckpt_t *c, int r, float *params, int nopt, const char *const *opt_names,
                      float *const *opt, float *h, float *cst, unsigned char *seen, char *err,
                      size_t errlen) {
    char path[4600];
    const ckpt_meta_t *m = &c->meta;
    snprintf(path, sizeof path, "%s/shard-%05d-of-%05d.h5", c->dir, r, m->world);
    int rc = verify_crc(path, c->crc[r], err, errlen);
    if (rc) return rc;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return drnn_errf(err, errlen, 65, "%s: HDF5 cannot open it", path);
    char fmt[64];
    int64_t rank = -1, world = -1;
    uint64_t lo = 1, hi = 0;
    hsize_t n = c->hi[r] - c->lo[r];
    int hf = m->state_floats / (cst ? 2 : 1);
    uint64_t *ids = NULL, *cur = NULL;
    float *hb = NULL, *cb = NULL;
    hssize_t ns = -1;
    rc = 65;
    if (h5_attr_get_string(f, "format", fmt, sizeof fmt) < 0 || strcmp(fmt, CKPT_SHARD_FORMAT) ||
        h5_attr_get_i64(f, "rank", &rank) < 0 || h5_attr_get_i64(f, "world_size", &world) < 0 ||
        h5_attr_get_u64(f, "slice_lo", &lo) < 0 || h5_attr_get_u64(f, "slice_hi", &hi) < 0 ||
        rank != r || world != m->world || lo != c->lo[r] || hi != c->hi[r]) {
        drnn_errf(err, errlen, 65, "%s: shard attributes do not match the manifest", path);
        goto out;
    }
    int bad = read_array(f, "params", H5T_NATIVE_FLOAT, n, params + c->lo[r]) < 0;
    for (int i = 0; i < nopt && m->nopt > 0 && !bad; i++)
        bad = read_array(f, opt_names[i], H5T_NATIVE_FLOAT, n, opt[i] + c->lo[r]) < 0;
    if (bad) {
        drnn_errf(err, errlen, 65,
                  "%s: cannot read the parameters or optimizer state (Fletcher32 or size error)",
                  path);
        goto out;
    }
    if (!h || m->streams == 0) { /* weights only, or a model without carried state */
        rc = 0;
        goto out;
    }
    hid_t d = h5_exists(f, "streams/id") ? H5Dopen2(f, "streams/id", H5P_DEFAULT) : -1;
    if (d >= 0) {
        hid_t sp = H5Dget_space(d);
        ns = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
        if (sp >= 0) H5Sclose(sp);
        H5Dclose(d);
    }
    if (ns < 0 || ns > m->streams) {
        drnn_errf(err, errlen, 65, "%s: /streams/id missing or too long", path);
        goto out;
    }
    ids = calloc((size_t)ns + 1, sizeof *ids);
    cur = calloc((size_t)ns + 1, sizeof *cur);
    hb = calloc((size_t)ns * hf + 1, sizeof *hb);
    cb = cst ? calloc((size_t)ns * hf + 1, sizeof *cb) : NULL;
    if (!ids || !cur || !hb || (cst && !cb) ||
        read_array(f, "streams/id", H5T_NATIVE_UINT64, (hsize_t)ns, ids) < 0 ||
        read_array(f, "streams/cursor", H5T_NATIVE_UINT64, (hsize_t)ns, cur) < 0 ||
        read_array(f, "streams/h", H5T_NATIVE_FLOAT, (hsize_t)ns * hf, hb) < 0 ||
        (cst && read_array(f, "streams/c", H5T_NATIVE_FLOAT, (hsize_t)ns * hf, cb) < 0)) {
        drnn_errf(err, errlen, 65, "%s: cannot read /streams (Fletcher32 or size error)", path);
        goto out;
    }
    for (hssize_t i = 0; i < ns; i++) {
        if (ids[i] >= (uint64_t)m->streams || seen[ids[i]]) {
            drnn_errf(err, errlen, 65, "%s: stream id %llu invalid or duplicated", path,
                      (unsigned long long)ids[i]);
            goto out;
        }
        seen[ids[i]] = 1;
        memcpy(h + ids[i] * hf, hb + i * hf, sizeof(float) * hf);
        if (cst) memcpy(cst + ids[i] * hf, cb + i * hf, sizeof(float) * hf);
    }
    rc = 0;
out:
    free(ids), free(cur), free(hb), free(cb);
    H5Fclose(f);
    return rc;
}

int ckpt_read_powersgd(const ckpt_t *c, int shard, float *q, size_t nq, float *e, size_t ne,
                       char *err, size_t errlen) {
    char path[4600];
    snprintf(path, sizeof path, "%s/shard-%05d-of-%05d.h5", c->dir, shard, c->meta.world);
    int rc = verify_crc(path, c->crc[shard], err, errlen);
    if (rc) return rc;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return drnn_errf(err, errlen, 65, "%s: HDF5 cannot open it", path);
    int bad = (q && read_array(f, "powersgd/q", H5T_NATIVE_FLOAT, nq, q) < 0) ||
              (e && read_array(f, "powersgd/error", H5T_NATIVE_FLOAT, ne, e) < 0);
    H5Fclose(f);
    if (bad)
        return drnn_errf(err, errlen, 65,
                         "%s: cannot read PowerSGD's state /powersgd/q and /powersgd/error of "
                         "%zu and %zu floats (missing, another size, or damaged)",
                         path, nq, ne);
    return 0;
}

int ckpt_read(ckpt_t *c, float *params, int nopt, const char *const *opt_names, float *const *opt,
              float *h, float *cst, char *err, size_t errlen) {
    unsigned char *seen = calloc((size_t)c->meta.streams + 1, 1);
    if (!seen) return drnn_errf(err, errlen, 70, "out of memory");
    int rc = 0;
    for (int r = 0; r < c->meta.world && rc == 0; r++)
        rc = read_shard(c, r, params, nopt, opt_names, opt, h, cst, seen, err, errlen);
    for (int i = 0; rc == 0 && h && i < c->meta.streams; i++)
        if (!seen[i])
            rc = drnn_errf(err, errlen, 65, "checkpoint %s: no shard holds stream %d", c->dir, i);
    free(seen);
    return rc;
}
