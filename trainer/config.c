#include "trainer/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return 64;
}

static const opt_spec_t *find(const opt_spec_t *spec, int n, const char *name, size_t len) {
    for (int i = 0; i < n; i++)
        if (strlen(spec[i].name) == len && strncmp(spec[i].name, name, len) == 0) return &spec[i];
    return NULL;
}

static int is_reserved(opt_reserved_t reserved, const char *name, size_t len) {
    for (int i = 0; reserved && reserved[i]; i++)
        if (strlen(reserved[i]) == len && strncmp(reserved[i], name, len) == 0) return 1;
    return 0;
}

/* Stores VALUE into the option; WHERE says where it came from for messages. */
static int set_value(void *opts, const opt_spec_t *o, const char *value, const char *where,
                     char *err, size_t errlen) {
    char *end = NULL;
    void *dst = (char *)opts + o->offset;
    errno = 0;
    switch (o->type) {
    case OPT_STR:
        if (strlen(value) >= o->size)
            return fail(err, errlen, "%s--%s: value too long (max %zu characters)", where, o->name,
                        o->size - 1);
        strcpy(dst, value);
        return 0;
    case OPT_FLAG: {
        int v;
        if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes"))
            v = 1;
        else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no"))
            v = 0;
        else
            return fail(err, errlen, "%s--%s: expected true or false, got '%s'", where, o->name,
                        value);
        *(int *)dst = v;
        return 0;
    }
    case OPT_DOUBLE: {
        double v = strtod(value, &end);
        if (end == value || *end || errno || !isfinite(v) || v < o->min || v > o->max)
            return fail(err, errlen, "%s--%s: expected a number in [%g, %g], got '%s'", where,
                        o->name, o->min, o->max, value);
        *(double *)dst = v;
        return 0;
    }
    default: {
        long long v = strtoll(value, &end, 10);
        if (end == value || *end || errno || (double)v < o->min || (double)v > o->max)
            return fail(err, errlen, "%s--%s: expected an integer in [%.0f, %.0f], got '%s'", where,
                        o->name, o->min, o->max, value);
        if (o->type == OPT_INT)
            *(int *)dst = (int)v;
        else if (o->type == OPT_LONG)
            *(long *)dst = (long)v;
        else
            *(uint64_t *)dst = (uint64_t)v;
        return 0;
    }
    }
}

static int unknown(opt_reserved_t reserved, const char *where, const char *name, size_t len,
                   char *err, size_t errlen) {
    if (is_reserved(reserved, name, len))
        return fail(err, errlen, "%s--%.*s is not implemented in this version of drnn", where,
                    (int)len, name);
    return fail(err, errlen, "%sunknown option --%.*s (see --help)", where, (int)len, name);
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static int parse_file(void *opts, const opt_spec_t *spec, int n, opt_reserved_t reserved,
                      const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) return fail(err, errlen, "--config %s: %s", path, strerror(errno));
    char line[8192], where[4200];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#') continue;
        snprintf(where, sizeof where, "%s:%d: ", path, lineno);
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = fail(err, errlen, "%sexpected 'key = value', got '%s'", where, s);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        const opt_spec_t *o = find(spec, n, key, strlen(key));
        if (!o || !strcmp(key, "config"))
            rc = unknown(reserved, where, key, strlen(key), err, errlen);
        else
            rc = set_value(opts, o, val, where, err, errlen);
    }
    fclose(f);
    return rc;
}

int config_parse(void *opts, const opt_spec_t *spec, int nspec, opt_reserved_t reserved, int argc,
                 char **argv, char *err, size_t errlen) {
    for (int i = 0; i < nspec; i++) {
        const opt_spec_t *o = &spec[i];
        const char *d = o->defval ? o->defval : (o->type == OPT_STR ? "" : "0");
        if (set_value(opts, o, d, "default ", err, errlen)) return 64;
    }
    /* First pass: find --config so the command line can override the file. */
    const char *cfg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) return fail(err, errlen, "--config needs a file name");
            cfg = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            cfg = argv[i] + 9;
        }
    }
    if (cfg) {
        int rc = parse_file(opts, spec, nspec, reserved, cfg, err, errlen);
        if (rc) return rc;
        const opt_spec_t *o = find(spec, nspec, "config", 6);
        if (o) set_value(opts, o, cfg, "", err, errlen);
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
            return fail(err, errlen, "unexpected argument '%s' (options start with --; see --help)",
                        a);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const opt_spec_t *o = find(spec, nspec, name, len);
        if (!o) return unknown(reserved, "", name, len, err, errlen);
        const char *val;
        if (eq)
            val = eq + 1;
        else if (o->type == OPT_FLAG)
            val = "1";
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return fail(err, errlen, "--%s needs a value (see --help)", o->name);
        if (!strcmp(o->name, "config")) continue;
        int rc = set_value(opts, o, val, "", err, errlen);
        if (rc) return rc;
    }
    return 0;
}

void config_write(FILE *f, const void *opts, const opt_spec_t *spec, int nspec) {
    for (int i = 0; i < nspec; i++) {
        const opt_spec_t *o = &spec[i];
        if (!o->saved) continue;
        const void *p = (const char *)opts + o->offset;
        switch (o->type) {
        case OPT_STR:
            fprintf(f, "%s = %s\n", o->name, (const char *)p);
            break;
        case OPT_INT:
        case OPT_FLAG:
            fprintf(f, "%s = %d\n", o->name, *(const int *)p);
            break;
        case OPT_LONG:
            fprintf(f, "%s = %ld\n", o->name, *(const long *)p);
            break;
        case OPT_U64:
            fprintf(f, "%s = %llu\n", o->name, (unsigned long long)*(const uint64_t *)p);
            break;
        case OPT_DOUBLE:
            fprintf(f, "%s = %.17g\n", o->name, *(const double *)p);
            break;
        }
    }
}

void config_usage(FILE *f, const opt_spec_t *spec, int nspec) {
    for (int i = 0; i < nspec; i++) {
        const opt_spec_t *o = &spec[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s", o->name, o->type == OPT_FLAG ? "" : " X");
        fprintf(f, "  %-22s %s", left, o->help);
        if (o->defval && o->type != OPT_FLAG) fprintf(f, " (default %s)", o->defval);
        fputc('\n', f);
    }
}
