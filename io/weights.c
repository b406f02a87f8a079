#include "io/weights.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/fsutil.h"
#include "io/h5util.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

static int write_tensor(hid_t f, const param_tensor_t *t, const float *data) {
    hsize_t dims[2] = {t->shape[0], t->shape[1]};
    hid_t sp = H5Screate_simple(t->ndim, dims, NULL);
    hid_t d = H5Dcreate2(f, t->name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0
                 ? 0
                 : -1;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    return rc;
}

static int write_meta(hid_t f, const model_meta_t *m) {
    int bad = 0;
    bad |= h5_attr_set_string(f, "format", WEIGHTS_FORMAT);
    bad |= h5_attr_set_i64(f, "version", WEIGHTS_VERSION);
    bad |= h5_attr_set_string(f, "model", m->model);
    bad |= h5_attr_set_string(f, "cell", m->cell);
    bad |= h5_attr_set_string(f, "tokenizer", m->tokenizer);
    bad |= h5_attr_set_i64(f, "embed", m->embed);
    bad |= h5_attr_set_i64(f, "hidden", m->hidden);
    bad |= h5_attr_set_i64(f, "layers", m->layers);
    bad |= h5_attr_set_i64(f, "bidirectional", m->bidirectional);
    bad |= h5_attr_set_i64(f, "vocab_size", m->vocab_size);
    return bad;
}

int weights_write(const char *path, const param_table_t *tab, const float *params,
                  const model_meta_t *meta, const char *const *vocab, char *err, size_t errlen) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return fail(err, errlen, 74, "%s: path too long", path);
    h5_quiet();
    hid_t fapl = h5_fapl_latest();
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0) return fail(err, errlen, 74, "%s: cannot create (is the folder writable?)", tmp);
    int bad = write_meta(f, meta);
    for (int i = 0; i < tab->n && !bad; i++) bad |= write_tensor(f, &tab->t[i], params + tab->t[i].offset);
    if (!bad) bad |= h5_write_strings(f, "vocab", vocab, meta->vocab_size);
    if (H5Fclose(f) < 0) bad = 1;
    if (bad || fs_fsync_path(tmp) != 0 || rename(tmp, path) != 0 || fs_fsync_parent(path) != 0) {
        int e = errno;
        unlink(tmp);
        return fail(err, errlen, 74, "%s: write failed (%s); check free space and permissions",
                    path, e ? strerror(e) : "HDF5 error");
    }
    return 0;
}

static int open_model(const char *path, hid_t *f, char *err, size_t errlen) {
    struct stat st;
    if (stat(path, &st) != 0)
        return fail(err, errlen, 66, "weights %s: %s", path, strerror(errno));
    h5_quiet();
    if (H5Fis_hdf5(path) <= 0)
        return fail(err, errlen, 65, "weights %s: not an HDF5 file", path);
    *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*f < 0) return fail(err, errlen, 65, "weights %s: HDF5 cannot open it (damaged?)", path);
    return 0;
}

void weights_free_vocab(char **vocab, int nv) { h5_free_strings(vocab, nv); }

int weights_read_meta(const char *path, model_meta_t *meta, char ***vocab, int *nv, char *err,
                      size_t errlen) {
    hid_t f = -1;
    int rc = open_model(path, &f, err, errlen);
    if (rc) return rc;
    char fmt[64];
    int64_t v[6] = {0};
    memset(meta, 0, sizeof *meta);
    *vocab = NULL;
    *nv = 0;
    if (h5_attr_get_string(f, "format", fmt, sizeof fmt) < 0 || strcmp(fmt, WEIGHTS_FORMAT) != 0) {
        rc = fail(err, errlen, 65, "weights %s: not a drnn model (format attribute is not \"%s\")",
                  path, WEIGHTS_FORMAT);
        goto out;
    }
    if (h5_attr_get_i64(f, "version", &v[0]) < 0 || v[0] != WEIGHTS_VERSION ||
        h5_attr_get_string(f, "model", meta->model, sizeof meta->model) < 0 ||
        h5_attr_get_string(f, "cell", meta->cell, sizeof meta->cell) < 0 ||
        h5_attr_get_string(f, "tokenizer", meta->tokenizer, sizeof meta->tokenizer) < 0 ||
        h5_attr_get_i64(f, "embed", &v[1]) < 0 || h5_attr_get_i64(f, "hidden", &v[2]) < 0 ||
        h5_attr_get_i64(f, "layers", &v[3]) < 0 || h5_attr_get_i64(f, "bidirectional", &v[4]) < 0 ||
        h5_attr_get_i64(f, "vocab_size", &v[5]) < 0) {
        rc = fail(err, errlen, 65, "weights %s: model attributes missing or of another version",
                  path);
        goto out;
    }
    for (int i = 1; i < 6; i++)
        if (v[i] < 0 || v[i] > (1 << 26)) {
            rc = fail(err, errlen, 65, "weights %s: model attribute out of range", path);
            goto out;
        }
    meta->embed = (int)v[1], meta->hidden = (int)v[2], meta->layers = (int)v[3];
    meta->bidirectional = (int)v[4], meta->vocab_size = (int)v[5];
    if (h5_read_strings(f, "vocab", vocab, nv) < 0 || *nv != meta->vocab_size) {
        rc = fail(err, errlen, 65, "weights %s: /vocab missing or not vocab_size entries", path);
        goto out;
    }
out:
    H5Fclose(f);
    return rc;
}

static int read_tensor(hid_t f, const char *path, const param_tensor_t *t, float *dst, char *err,
                       size_t errlen) {
    if (!h5_exists(f, t->name))
        return fail(err, errlen, 65, "weights %s: tensor %s is missing", path, t->name);
    int rc = 0;
    hid_t d = H5Dopen2(f, t->name, H5P_DEFAULT);
    hid_t ty = d >= 0 ? H5Dget_type(d) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[H5S_MAX_RANK] = {0};
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (nd >= 0 && nd <= H5S_MAX_RANK) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (ty < 0 || H5Tget_class(ty) != H5T_FLOAT || (H5Tget_size(ty) != 4 && H5Tget_size(ty) != 8)) {
        rc = fail(err, errlen, 65, "weights %s: tensor %s is not float32 or float64", path, t->name);
    } else if (nd != t->ndim || dims[0] != t->shape[0] || (nd == 2 && dims[1] != t->shape[1])) {
        rc = fail(err, errlen, 65, "weights %s: tensor %s has shape [%llu%s%llu], expected [%zu%s%zu]",
                  path, t->name, (unsigned long long)dims[0], nd == 2 ? ", " : "",
                  nd == 2 ? (unsigned long long)dims[1] : 0ull, t->shape[0], t->ndim == 2 ? ", " : "",
                  t->ndim == 2 ? t->shape[1] : 0);
    } else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0) {
        rc = fail(err, errlen, 65, "weights %s: cannot read tensor %s", path, t->name);
    }
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    if (d >= 0) H5Dclose(d);
    return rc;
}

int weights_read_params(const char *path, const param_table_t *tab, float *params, char *err,
                        size_t errlen) {
    hid_t f = -1;
    int rc = open_model(path, &f, err, errlen);
    for (int i = 0; i < tab->n && rc == 0; i++)
        rc = read_tensor(f, path, &tab->t[i], params + tab->t[i].offset, err, errlen);
    if (f >= 0) H5Fclose(f);
    return rc;
}
