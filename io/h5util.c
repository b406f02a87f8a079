#include "io/h5util.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void h5_quiet(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

hid_t h5_fapl_latest(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

int h5_attr_get_string(hid_t obj, const char *name, char *buf, size_t len) {
    int rc = -1;
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ft = a >= 0 ? H5Aget_type(a) : -1;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    if (ft < 0 || sp < 0 || H5Tget_class(ft) != H5T_STRING) goto done;
    if (H5Sget_simple_extent_npoints(sp) != 1) goto done;
    if (H5Tis_variable_str(ft) > 0) {
        char *s = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft)); /* HDF5 does not convert between ASCII and UTF-8 */
        if (H5Aread(a, mt, &s) >= 0 && s) {
            if (strlen(s) < len) {
                strcpy(buf, s);
                rc = 0;
            }
            H5free_memory(s);
        }
        H5Tclose(mt);
    } else {
        size_t sz = H5Tget_size(ft);
        if (sz == 0 || sz >= len) goto done;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz + 1);
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (H5Aread(a, mt, buf) >= 0) {
            buf[sz] = '\0';
            rc = 0;
        }
        H5Tclose(mt);
    }
done:
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
    return rc;
}

static int attr_get_int(hid_t obj, const char *name, hid_t memtype, void *out) {
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
    int ok = ft >= 0 && sp >= 0 && H5Tget_class(ft) == H5T_INTEGER &&
             H5Sget_simple_extent_npoints(sp) == 1 && H5Aread(a, memtype, out) >= 0;
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return ok ? 0 : -1;
}

int h5_attr_get_i64(hid_t obj, const char *name, int64_t *out) {
    return attr_get_int(obj, name, H5T_NATIVE_INT64, out);
}

int h5_attr_get_u64(hid_t obj, const char *name, uint64_t *out) {
    return attr_get_int(obj, name, H5T_NATIVE_UINT64, out);
}

static int attr_set(hid_t obj, const char *name, hid_t filetype, hid_t memtype, const void *v) {
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, filetype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, memtype, v) >= 0 ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

int h5_attr_set_string(hid_t obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int rc = attr_set(obj, name, t, t, &value);
    H5Tclose(t);
    return rc;
}

int h5_attr_set_i64(hid_t obj, const char *name, int64_t value) {
    return attr_set(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

int h5_attr_set_u64(hid_t obj, const char *name, uint64_t value) {
    return attr_set(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}

int h5_attr_set_i64s(hid_t obj, const char *name, const int64_t *v, int n) {
    if (n < 1) return -1;
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    hsize_t dim = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t a = sp >= 0 ? H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int rc = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, v) >= 0 ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

int h5_attr_get_i64s(hid_t obj, const char *name, int64_t *out, int max, int *n) {
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
    hssize_t count = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int ok = ft >= 0 && H5Tget_class(ft) == H5T_INTEGER && H5Sget_simple_extent_ndims(sp) <= 1 &&
             count >= 1 && count <= max && H5Aread(a, H5T_NATIVE_INT64, out) >= 0;
    if (ok) *n = (int)count;
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return ok ? 0 : -1;
}

int h5_attr_set_f64(hid_t obj, const char *name, double value) {
    return attr_set(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

int h5_attr_get_f64(hid_t obj, const char *name, double *out) {
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
    int ok = ft >= 0 && sp >= 0 && H5Tget_class(ft) == H5T_FLOAT &&
             H5Sget_simple_extent_npoints(sp) == 1 && H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0;
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return ok ? 0 : -1;
}

void h5_free_strings(char **s, int n) {
    if (!s) return;
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

int h5_read_strings(hid_t file, const char *path, char ***out, int *n) {
    int rc = -1;
    char **res = NULL;
    hssize_t count = 0;
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    hid_t ft = d >= 0 ? H5Dget_type(d) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
    if (ft < 0 || sp < 0 || H5Tget_class(ft) != H5T_STRING || H5Sget_simple_extent_ndims(sp) != 1)
        goto done;
    count = H5Sget_simple_extent_npoints(sp);
    if (count < 0 || count > (1 << 26)) goto done;
    res = calloc((size_t)count + 1, sizeof *res);
    if (!res) goto done;
    if (H5Tis_variable_str(ft) > 0) {
        char **raw = calloc((size_t)count + 1, sizeof *raw);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (raw && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0) {
            rc = 0;
            for (hssize_t i = 0; i < count; i++) {
                res[i] = strdup(raw[i] ? raw[i] : "");
                if (!res[i]) rc = -1;
            }
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
        }
        H5Tclose(mt);
        free(raw);
    } else {
        size_t sz = H5Tget_size(ft);
        char *flat = calloc((size_t)count, sz + 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz + 1);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (flat && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, flat) >= 0) {
            rc = 0;
            for (hssize_t i = 0; i < count; i++) {
                res[i] = strndup(flat + (size_t)i * (sz + 1), sz);
                if (!res[i]) rc = -1;
            }
        }
        H5Tclose(mt);
        free(flat);
    }
done:
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    if (d >= 0) H5Dclose(d);
    if (rc == 0) {
        *out = res;
        *n = (int)count;
    } else {
        h5_free_strings(res, (int)count);
    }
    return rc;
}

int h5_write_strings(hid_t file, const char *path, const char *const *s, int n) {
    hsize_t dims[1] = {(hsize_t)n};
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(file, path, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && (n == 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) >= 0) ? 0 : -1;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

int h5_exists(hid_t file, const char *path) {
    char buf[256];
    size_t len = strlen(path);
    if (len >= sizeof buf) return 0;
    /* H5Lexists fails on a missing intermediate group: walk the path component by component. */
    for (size_t i = 1; i <= len; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            memcpy(buf, path, i);
            buf[i] = '\0';
            if (H5Lexists(file, buf, H5P_DEFAULT) <= 0) return 0;
        }
    }
    return 1;
}

int h5_write_bytes(hid_t file, const char *path, const void *bytes, size_t len) {
    hsize_t dims[1] = {(hsize_t)len};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(file, path, H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && (len == 0 ||
                        H5Dwrite(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes) >= 0)
                 ? 0
                 : -1;
    if (rc == 0) rc = h5_attr_set_u64(d, "crc32", crc32(0L, bytes, (uInt)len));
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    return rc;
}

int h5_read_bytes(hid_t file, const char *path, void **out, size_t *len) {
    *out = NULL;
    *len = 0;
    if (!h5_exists(file, path)) return 1;
    int rc = -1;
    uint64_t want = 0;
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    hid_t ft = d >= 0 ? H5Dget_type(d) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
    if (ft < 0 || sp < 0 || H5Tget_class(ft) != H5T_INTEGER || H5Tget_size(ft) != 1 ||
        H5Sget_simple_extent_ndims(sp) != 1 || h5_attr_get_u64(d, "crc32", &want) != 0)
        goto done;
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if (n <= 0 || n > ((hssize_t)1 << 30)) goto done;
    unsigned char *buf = malloc((size_t)n);
    if (buf && H5Dread(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 &&
        crc32(0L, buf, (uInt)n) == want) {
        *out = buf;
        *len = (size_t)n;
        rc = 0;
    } else {
        free(buf);
    }
done:
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    if (d >= 0) H5Dclose(d);
    return rc;
}
