#include "io/weights.h"
#include "base/test_knobs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/fsutil.h"
#include "io/h5util.h"
#include "io/isolate.h"
#include "base/util.h"

static int write_tensor(hid_t f, const param_tensor_t *t, const float *data) {
    hsize_t dims[2] = {t->shape[0], t->shape[1]};
    hid_t sp = H5Screate_simple(t->ndim, dims, NULL);
    hid_t d = H5Dcreate2(f, t->name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc =
        d >= 0 && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0 ? 0 : -1;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    return rc;
}

/* Formats why writing PATH (through its temporary) failed and returns 74. e: the errno seen right
 * after the failure; HDF5 does not always leave one, so less free space than the file needs
 * (need bytes) counts as a full disk too. */
static int write_fail(const char *path, int e, unsigned long long need, const char *what, char *err,
                      size_t errlen) {
    return drnn_errf(err, errlen, 74, "%s: cannot %s: %s", path, what,
                     fs_write_reason(e, path, need));
}

int weights_write(const char *path, const param_table_t *tab, const float *params,
                  const model_info_t *mi, char *err, size_t errlen) {
    char tmp[4200];
    const unsigned long long need = (unsigned long long)tab->total * sizeof(float) + (1u << 16);
    if (fs_tmp_begin(tmp, sizeof tmp, path) != 0)
        return drnn_errf(err, errlen, 74, "%s: %s", path, strerror(errno));
    /* A plain open first: its errno names a missing folder or a permission clearly. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int rc = write_fail(path, errno, 0, "create it", err, errlen); /* errno says it all */
        fs_tmp_discard(NULL, tmp);
        return rc;
    }
    close(fd);
    h5_quiet();
    hid_t fapl = h5_fapl_latest();
    errno = 0;
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    int e = errno;
    H5Pclose(fapl);
    if (f < 0) {
        int rc = write_fail(path, e, need, "create it", err, errlen);
        fs_tmp_discard(NULL, tmp);
        return rc;
    }
    errno = 0;
    int bad = h5_attr_set_string(f, "format", WEIGHTS_FORMAT);
    bad |= h5_attr_set_i64(f, "version", WEIGHTS_VERSION);
    model_spm_t spm = model_info_spm(mi);
    bad |= model_attrs_write(f, &mi->desc, mi->tokenizer, (const char *const *)mi->vocab,
                             (const char *const *)mi->labels, (const char *const *)mi->tgt_vocab,
                             &spm);
    for (int i = 0; i < tab->n && !bad; i++)
        bad |= write_tensor(f, &tab->t[i], params + tab->t[i].offset);
    e = errno;
    if (H5Fclose(f) < 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        int rc = write_fail(path, e, need, "write it", err, errlen);
        fs_tmp_discard(NULL, tmp);
        return rc;
    }
    int c = fs_tmp_commit(tmp, path);
    if (c != 0)
        return write_fail(path, errno, 0, c == -1 ? "put it in place" : "sync its folder", err,
                          errlen);
    return 0;
}

static int open_model(const char *path, hid_t *f, char *err, size_t errlen) {
    struct stat st;
    if (stat(path, &st) != 0)
        return drnn_errf(err, errlen, 66, "weights %s: %s", path, strerror(errno));
    h5_quiet();
    if (H5Fis_hdf5(path) <= 0)
        return drnn_errf(err, errlen, 65, "weights %s: not an HDF5 file", path);
    *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*f < 0)
        return drnn_errf(err, errlen, 65, "weights %s: HDF5 cannot open it (damaged?)", path);
    return 0;
}

/* Reads the drnn-model attributes, /vocab and /labels of the open file f. allow_absent: a file
 * with no format attribute at all gives 0 with *has_meta = 0. */
static int read_meta(hid_t f, const char *path, int allow_absent, model_info_t *mi, int *has_meta,
                     char *err, size_t errlen) {
    char fmt[64], where[4200];
    int64_t version = 0;
    memset(mi, 0, sizeof *mi);
    *has_meta = 0;
    if (allow_absent && H5Aexists(f, "format") == 0) return 0;
    if (h5_attr_get_string(f, "format", fmt, sizeof fmt) < 0 || strcmp(fmt, WEIGHTS_FORMAT) != 0)
        return drnn_errf(err, errlen, 65,
                         "weights %s: not a drnn model (format attribute is not \"%s\")", path,
                         WEIGHTS_FORMAT);
    if (h5_attr_get_i64(f, "version", &version) < 0 || version != WEIGHTS_VERSION)
        return drnn_errf(err, errlen, 65, "weights %s: model file of another version", path);
    snprintf(where, sizeof where, "weights %s", path);
    int rc = model_attrs_read(f, where, mi, err, errlen);
    if (rc) {
        model_info_free(mi);
        return rc;
    }
    *has_meta = 1;
    return 0;
}

int weights_read_meta_any(const char *path, model_info_t *mi, int *has_meta, char *err,
                          size_t errlen) {
    hid_t f = -1;
    memset(mi, 0, sizeof *mi);
    int rc = open_model(path, &f, err, errlen);
    if (rc) return rc;
    rc = read_meta(f, path, 1, mi, has_meta, err, errlen);
    H5Fclose(f);
    return rc;
}

int weights_read_meta(const char *path, model_info_t *mi, char *err, size_t errlen) {
    hid_t f = -1;
    int has_meta = 0;
    memset(mi, 0, sizeof *mi);
    int rc = open_model(path, &f, err, errlen);
    if (rc) return rc;
    rc = read_meta(f, path, 0, mi, &has_meta, err, errlen);
    H5Fclose(f);
    return rc;
}

/* Copies an untrusted name into buf for a one-line message (control bytes become '?'). */
static const char *printable(const char *name, char *buf, size_t len) {
    size_t i = 0;
    for (; name[i] && i + 1 < len; i++)
        buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    buf[i] = '\0';
    return buf;
}

/* "int32", "uint8", "float16", "a string", ... for a message. */
static const char *type_str(char *buf, size_t len, hid_t ty) {
    H5T_class_t cls = ty >= 0 ? H5Tget_class(ty) : H5T_NO_CLASS;
    size_t bits = ty >= 0 ? 8 * H5Tget_size(ty) : 0;
    if (cls == H5T_INTEGER)
        snprintf(buf, len, "%sint%zu", H5Tget_sign(ty) == H5T_SGN_NONE ? "u" : "", bits);
    else if (cls == H5T_FLOAT)
        snprintf(buf, len, "float%zu", bits);
    else if (cls == H5T_STRING)
        snprintf(buf, len, "a string");
    else
        snprintf(buf, len, "not a number type");
    return buf;
}

/* "[d0, d1, ...]" (at most 4 dims shown). */
static void shape_str(char *buf, size_t len, const hsize_t *dims, int nd) {
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < nd && i < 4 && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%llu", i ? ", " : "",
                              (unsigned long long)dims[i]);
    if (k < len) snprintf(buf + k, len - k, "%s]", nd > 4 ? ", ..." : "");
}

/* Reads tensor t into dst [t->size], or into a scratch buffer when dst is NULL (a check only). */
static int read_tensor(hid_t f, const char *path, const param_tensor_t *t, float *dst, char *err,
                       size_t errlen) {
    if (!h5_exists(f, t->name))
        return drnn_errf(err, errlen, 65, "weights %s: tensor %s is missing", path, t->name);
    int rc = 0;
    float *scratch = NULL;
    hid_t d = H5Dopen2(f, t->name, H5P_DEFAULT);
    hid_t ty = d >= 0 ? H5Dget_type(d) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[H5S_MAX_RANK] = {0};
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (nd >= 0 && nd <= H5S_MAX_RANK) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (ty < 0 || H5Tget_class(ty) != H5T_FLOAT || (H5Tget_size(ty) != 4 && H5Tget_size(ty) != 8)) {
        char ts[32];
        rc = drnn_errf(err, errlen, 65, "weights %s: tensor %s is %s, expected float32 or float64",
                       path, t->name, type_str(ts, sizeof ts, ty));
    } else if (nd != t->ndim || dims[0] != t->shape[0] || (nd == 2 && dims[1] != t->shape[1])) {
        char got[96], want[64];
        shape_str(got, sizeof got, dims, nd);
        hsize_t w[2] = {t->shape[0], t->shape[1]};
        shape_str(want, sizeof want, w, t->ndim);
        rc = drnn_errf(err, errlen, 65, "weights %s: tensor %s has shape %s, expected %s", path,
                       t->name, got, want);
    } else if (!dst && !(dst = scratch = malloc(t->size ? t->size * sizeof(float) : 1))) {
        rc = drnn_errf(err, errlen, 70, "weights %s: out of memory for tensor %s", path, t->name);
    } else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0) {
        rc = drnn_errf(err, errlen, 65, "weights %s: cannot read tensor %s (damaged file?)", path,
                       t->name);
    }
    free(scratch);
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    if (d >= 0) H5Dclose(d);
    return rc;
}

typedef struct {
    const param_table_t *tab;
    char extra[PARAM_NAME_MAX + 16]; /* first unexpected root link, "" if none */
} extras_t;

static herr_t find_extra(hid_t g, const char *name, const H5L_info_t *info, void *arg) {
    (void)g, (void)info;
    extras_t *x = arg;
    static const char *const not_tensors[] = {"vocab", "labels", "tgt_vocab", "spm_model",
                                              "tgt_spm_model"};
    for (size_t i = 0; i < sizeof not_tensors / sizeof not_tensors[0]; i++)
        if (!strcmp(name, not_tensors[i])) return 0;
    for (int i = 0; i < x->tab->n; i++)
        if (strcmp(name, x->tab->t[i].name) == 0) return 0;
    printable(name, x->extra, sizeof x->extra);
    return 1;
}

int weights_read_params(const char *path, const param_table_t *tab, float *params, char *err,
                        size_t errlen) {
    hid_t f = -1;
    int rc = open_model(path, &f, err, errlen);
    for (int i = 0; i < tab->n && rc == 0; i++)
        rc = read_tensor(f, path, &tab->t[i], params ? params + tab->t[i].offset : NULL, err,
                         errlen);
    if (rc == 0) {
        extras_t x = {.tab = tab, .extra = ""};
        hsize_t idx = 0;
        if (H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, &idx, find_extra, &x) < 0)
            rc = drnn_errf(err, errlen, 65, "weights %s: cannot list its datasets (damaged file?)",
                           path);
        else if (x.extra[0])
            rc = drnn_errf(err, errlen, 65,
                           "weights %s: unexpected tensor %s (not part of the model the options "
                           "describe: check --cell, --layers)",
                           path, x.extra);
    }
    if (f >= 0) H5Fclose(f);
    return rc;
}

/* ---- isolated validation ----------------------------------------------------------------- */

typedef struct {
    const char *path;
    const param_table_t *tab;
} check_job_t;

/* Runs in the child: everything the parent is about to do with the file. */
static int check_file(void *arg, char *err, size_t errlen) {
    const check_job_t *job = arg;
    model_info_t mi;
    int has_meta = 0;
    int rc = weights_read_meta_any(job->path, &mi, &has_meta, err, errlen);
    model_info_free(&mi);
    if (rc == 0 && job->tab) rc = weights_read_params(job->path, job->tab, NULL, err, errlen);
    return rc;
}

int weights_validate_isolated(const char *path, const param_table_t *tab, char *err,
                              size_t errlen) {
    struct stat st;
    if (stat(path, &st) != 0)
        return drnn_errf(err, errlen, 66, "weights %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return drnn_errf(err, errlen, 66, "weights %s: is a folder", path);
    check_job_t job = {path, tab};
    double timeout = WEIGHTS_CHECK_TIMEOUT + (double)st.st_size / 50e6;
    /* Test-only knob: the fuzz test meets files that hang libhdf5 and need not wait 30 s each. */
    const char *knob = test_knob(KNOB_ISOLATE_TIMEOUT);
    if (knob && atof(knob) > 0) timeout = atof(knob);
    isolate_result_t res;
    int rc = isolate_run(&res, check_file, &job, timeout, err, errlen);
    if (rc) {
        char why[256];
        snprintf(why, sizeof why, "%s", err);
        return drnn_errf(err, errlen, 70, "weights %s: cannot check it: %s", path, why);
    }
    if (res.status == ISOLATE_CRASHED)
        return drnn_errf(err, errlen, 65,
                         "weights %s: the file is damaged (libhdf5 died reading it, signal %d)",
                         path, res.signal);
    if (res.status == ISOLATE_TIMEOUT)
        return drnn_errf(err, errlen, 65,
                         "weights %s: the file is damaged (libhdf5 still reading it after %.0f s)",
                         path, timeout);
    if (res.code != 0 && !err[0])
        return drnn_errf(err, errlen, 65, "weights %s: the file is damaged (check exited with %d)",
                         path, res.code);
    return res.code;
}
