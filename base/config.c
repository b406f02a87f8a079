/* base/config.c — see config.h. */
#include "base/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"

#define USAGE_COLUMN 25 /* where config_usage starts the help text */

static const opt_spec_t *find(const opt_spec_t *spec, int n, const char *name, size_t len) {
    for (int i = 0; i < n; i++)
        if (strlen(spec[i].name) == len && strncmp(spec[i].name, name, len) == 0) return &spec[i];
    return NULL;
}

static const opt_spec_t *find_alias(const opt_spec_t *spec, int n, const opt_alias_t *aliases,
                                    char letter) {
    for (int i = 0; aliases && aliases[i].letter; i++)
        if (aliases[i].letter == letter)
            return find(spec, n, aliases[i].name, strlen(aliases[i].name));
    return NULL;
}

/* 1 when NAME[0..len) is one of the NULL-terminated LIST (which may be NULL). */
static int in_list(const char *const *list, const char *name, size_t len) {
    for (int i = 0; list && list[i]; i++)
        if (strlen(list[i]) == len && strncmp(list[i], name, len) == 0) return 1;
    return 0;
}

/* Plain decimal: [+-]digits, then for reals [.digits][e[+-]digits], with at least one digit
 * before the exponent. strtod alone would also take "0x10" (16), "inf" and "nan". */
static int is_decimal(const char *s, int integer) {
    size_t digits = 0;
    if (*s == '+' || *s == '-') s++;
    for (; isdigit((unsigned char)*s); s++) digits++;
    if (!integer && *s == '.')
        for (s++; isdigit((unsigned char)*s); s++) digits++;
    if (digits == 0) return 0;
    if (!integer && (*s == 'e' || *s == 'E')) {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!isdigit((unsigned char)*s)) return 0;
        while (isdigit((unsigned char)*s)) s++;
    }
    return *s == '\0';
}

int config_int_list(const char *flag, const char *value, int *out, int max, long lo, long hi,
                    char *err, size_t errlen) {
    char item[32];
    int n = 0;
    for (const char *p = value;; n++) {
        size_t len = strcspn(p, ",");
        int ok = n < max && len < sizeof item;
        long long v = 0;
        if (ok) {
            memcpy(item, p, len), item[len] = '\0';
            errno = 0;
            ok = is_decimal(item, 1) && item[0] != '+' && item[0] != '-';
            v = ok ? strtoll(item, NULL, 10) : 0;
            ok = ok && !errno && v >= lo && v <= hi;
        }
        if (!ok) {
            drnn_errf(err, errlen, 64,
                      "--%s %s: expected 1 to %d integers in [%ld, %ld] separated by commas (no "
                      "spaces)",
                      flag, value, max, lo, hi);
            return -1;
        }
        out[n] = (int)v;
        if (p[len] == '\0') return n + 1;
        p += len + 1;
    }
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
            return drnn_errf(err, errlen, 64, "%s--%s: value too long (max %zu characters)", where,
                             o->name, o->size - 1);
        strcpy(dst, value);
        return 0;
    case OPT_FLAG: {
        int v;
        if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes"))
            v = 1;
        else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no"))
            v = 0;
        else
            return drnn_errf(err, errlen, 64, "%s--%s: expected true or false, got '%s'", where,
                             o->name, value);
        *(int *)dst = v;
        return 0;
    }
    case OPT_DOUBLE: {
        int ok = is_decimal(value, 0);
        double v = ok ? strtod(value, &end) : 0;
        if (!ok || errno || !isfinite(v) || v < o->min || v > o->max)
            return drnn_errf(err, errlen, 64,
                             "%s--%s: expected a decimal number in [%g, %g], got '%s'", where,
                             o->name, o->min, o->max, value);
        *(double *)dst = v;
        return 0;
    }
    default: {
        int ok = is_decimal(value, 1);
        long long v = ok ? strtoll(value, &end, 10) : 0;
        if (!ok || errno || (double)v < o->min || (double)v > o->max)
            return drnn_errf(err, errlen, 64,
                             "%s--%s: expected an integer in [%.0f, %.0f], got '%s'", where,
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

/* An option without a default starts empty or zero (no range check: 0 may mean "unset"). */
static void set_zero(void *opts, const opt_spec_t *o) {
    void *dst = (char *)opts + o->offset;
    switch (o->type) {
    case OPT_STR:
        *(char *)dst = '\0';
        break;
    case OPT_INT:
    case OPT_FLAG:
        *(int *)dst = 0;
        break;
    case OPT_LONG:
        *(long *)dst = 0;
        break;
    case OPT_DOUBLE:
        *(double *)dst = 0;
        break;
    case OPT_U64:
        *(uint64_t *)dst = 0;
        break;
    }
}

/* Edits (insert, delete, replace, or swap two neighbours) that turn A[0..la) into B; names of 64
 * characters or more are "far" (INT_MAX). */
static int edit_distance(const char *a, size_t la, const char *b) {
    const size_t lb = strlen(b);
    int d[64][64];
    if (la >= 64 || lb >= 64) return INT_MAX;
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* The option an unknown NAME[0..len) most likely meant: the only one it begins ("--hid"), else
 * the only nearest within two edits, fewer than NAME has characters ("--hiden"; "--x" gets none).
 * --config is no key of a config file. NULL when there is no such option. */
static const char *nearest(const opt_spec_t *spec, int n, const char *name, size_t len,
                           int in_file) {
    const char *prefix = NULL, *best = NULL;
    int nprefix = 0, nbest = 0, dbest = 3;
    for (int i = 0; i < n; i++) {
        const char *c = spec[i].name;
        if (in_file && !strcmp(c, "config")) continue;
        if (len > 0 && strlen(c) > len && !strncmp(c, name, len)) prefix = c, nprefix++;
        const int d = edit_distance(name, len, c);
        if (d < dbest)
            best = c, dbest = d, nbest = 1;
        else if (d == dbest)
            nbest++;
    }
    if (nprefix == 1) return prefix;
    return nbest == 1 && (size_t)dbest < len ? best : NULL;
}

/* WHERE is "" on the command line, "FILE:LINE: " in a config file. */
static int unknown(const opt_spec_t *spec, int n, opt_reserved_t reserved, const char *where,
                   const char *name, size_t len, char *err, size_t errlen) {
    if (in_list(reserved, name, len))
        return drnn_errf(err, errlen, 64, "%s--%.*s is not implemented in this version of drnn",
                         where, (int)len, name);
    const char *guess = nearest(spec, n, name, len, where[0] != '\0');
    if (guess)
        return drnn_errf(err, errlen, 64, "%sunknown option --%.*s; did you mean --%s?", where,
                         (int)len, name, guess);
    return drnn_errf(err, errlen, 64, "%sunknown option --%.*s (see --help)", where, (int)len,
                     name);
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static void mark_given(config_cli_t *cli, const opt_spec_t *spec, const opt_spec_t *o) {
    if (cli && cli->given) cli->given[o - spec] = 1;
}

static int parse_file(void *opts, const opt_spec_t *spec, int n, opt_reserved_t reserved,
                      config_cli_t *cli, const char *path, char *err, size_t errlen) {
    struct stat st;
    FILE *f = fopen(path, "r");
    if (!f) return drnn_errf(err, errlen, 64, "--config %s: %s", path, strerror(errno));
    /* fopen opens a folder, whose reads then fail: it would pass for an empty file. */
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return drnn_errf(err, errlen, 64, "--config %s: is a folder; name a key = value file",
                         path);
    }
    char line[8192], where[4200];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#') continue;
        snprintf(where, sizeof where, "%s:%d: ", path, lineno);
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = drnn_errf(err, errlen, 64, "%sexpected 'key = value', got '%s'", where, s);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        const opt_spec_t *o = find(spec, n, key, strlen(key));
        if (!o || !strcmp(key, "config")) {
            rc = unknown(spec, n, reserved, where, key, strlen(key), err, errlen);
        } else {
            rc = set_value(opts, o, val, where, err, errlen);
            mark_given(cli, spec, o);
        }
    }
    if (rc == 0 && ferror(f))
        rc = drnn_errf(err, errlen, 64, "--config %s: cannot read it: %s", path, strerror(errno));
    fclose(f);
    return rc;
}

/* The file named by the last --config before "--", or NULL. */
static const char *config_file_arg(int argc, char **argv, char *err, size_t errlen, int *rc) {
    const char *cfg = NULL;
    *rc = 0;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                *rc = drnn_errf(err, errlen, 64, "--config needs a file name");
                return NULL;
            }
            cfg = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            cfg = argv[i] + 9;
        }
    }
    return cfg;
}

static int apply_defaults(void *opts, const opt_spec_t *spec, int nspec, char *err, size_t errlen) {
    for (int i = 0; i < nspec; i++) {
        if (!spec[i].defval)
            set_zero(opts, &spec[i]);
        else if (set_value(opts, &spec[i], spec[i].defval, "default ", err, errlen))
            return 64;
    }
    return 0;
}

/* Parses argv[i] (an option) and its value; advances *i past a separate value. */
static int parse_option(void *opts, const opt_spec_t *spec, int nspec, opt_reserved_t reserved,
                        config_cli_t *cli, int argc, char **argv, int *i, char *err,
                        size_t errlen) {
    const char *a = argv[*i], *eq = NULL;
    const opt_spec_t *o;
    if (a[1] != '-') { /* -x: a one-letter alias */
        o = a[2] == '\0' && cli ? find_alias(spec, nspec, cli->aliases, a[1]) : NULL;
        if (!o) return drnn_errf(err, errlen, 64, "unknown option %s (see --help)", a);
    } else {
        const char *name = a + 2;
        eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        o = find(spec, nspec, name, len);
        if (!o) return unknown(spec, nspec, reserved, "", name, len, err, errlen);
    }
    const char *val;
    if (eq)
        val = eq + 1;
    else if (o->type == OPT_FLAG)
        val = "1";
    else if (*i + 1 < argc)
        val = argv[++*i];
    else
        return drnn_errf(err, errlen, 64, "%s needs a value (see --help)", a);
    mark_given(cli, spec, o);
    if (!strcmp(o->name, "config")) return 0; /* read before the command line */
    return set_value(opts, o, val, "", err, errlen);
}

static int parse_argv(void *opts, const opt_spec_t *spec, int nspec, opt_reserved_t reserved,
                      config_cli_t *cli, int argc, char **argv, char *err, size_t errlen) {
    int allow_args = cli && cli->allow_args, only_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int is_arg = only_args || a[0] != '-' || a[1] == '\0';
        if (is_arg || !strcmp(a, "--")) {
            if (!allow_args)
                return drnn_errf(err, errlen, 64,
                                 "unexpected argument '%s' (options start with --; see --help)", a);
            if (is_arg)
                cli->args[cli->nargs++] = a;
            else
                only_args = 1;
            continue;
        }
        int rc = parse_option(opts, spec, nspec, reserved, cli, argc, argv, &i, err, errlen);
        if (rc) return rc;
    }
    return 0;
}

int config_parse_cli(void *opts, const opt_spec_t *spec, int nspec, opt_reserved_t reserved,
                     config_cli_t *cli, int argc, char **argv, char *err, size_t errlen) {
    int rc;
    if (cli) {
        cli->nargs = 0;
        cli->args = calloc(argc > 0 ? (size_t)argc : 1, sizeof *cli->args);
        cli->given = calloc(nspec > 0 ? (size_t)nspec : 1, 1);
        if (!cli->args || !cli->given) {
            config_cli_free(cli);
            return drnn_errf(err, errlen, 70, "out of memory parsing the command line");
        }
    }
    if ((rc = apply_defaults(opts, spec, nspec, err, errlen)) != 0) goto out;
    const opt_spec_t *config_opt = find(spec, nspec, "config", 6);
    const char *cfg = config_opt ? config_file_arg(argc, argv, err, errlen, &rc) : NULL;
    if (rc) goto out;
    if (cfg) {
        if ((rc = parse_file(opts, spec, nspec, reserved, cli, cfg, err, errlen)) != 0) goto out;
        if ((rc = set_value(opts, config_opt, cfg, "", err, errlen)) != 0) goto out;
    }
    rc = parse_argv(opts, spec, nspec, reserved, cli, argc, argv, err, errlen);
out:
    if (rc && cli) config_cli_free(cli);
    return rc;
}

int config_parse(void *opts, const opt_spec_t *spec, int nspec, opt_reserved_t reserved, int argc,
                 char **argv, char *err, size_t errlen) {
    return config_parse_cli(opts, spec, nspec, reserved, NULL, argc, argv, err, errlen);
}

void config_cli_free(config_cli_t *cli) {
    if (!cli) return;
    free(cli->args);
    free(cli->given);
    cli->args = NULL;
    cli->given = NULL;
    cli->nargs = 0;
}

int config_given(const config_cli_t *cli, const opt_spec_t *spec, int nspec, const char *name) {
    const opt_spec_t *o = find(spec, nspec, name, strlen(name));
    return o && cli->given && cli->given[o - spec];
}

void config_write(FILE *f, const void *opts, const opt_spec_t *spec, int nspec,
                  const char *const *skip) {
    for (int i = 0; i < nspec; i++) {
        const opt_spec_t *o = &spec[i];
        if (!o->saved || in_list(skip, o->name, strlen(o->name))) continue;
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
        case OPT_DOUBLE: {
            /* %g with the fewest digits (6 at least, so 600 stays 600) that read back as the
             * same double: 0.9, not 0.90000000000000002. */
            const double v = *(const double *)p;
            char num[32];
            for (int prec = 6; prec <= 17; prec++) {
                snprintf(num, sizeof num, "%.*g", prec, v);
                if (strtod(num, NULL) == v) break;
            }
            fprintf(f, "%s = %s\n", o->name, num);
            break;
        }
        }
    }
}

/* ---- --help ------------------------------------------------------------------------------ */

/* Terminal columns of S[0..len): UTF-8 continuation bytes take none. */
static int columns(const char *s, size_t len) {
    int n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Prints WORD[0..len) after a space, or first on a new line indented to USAGE_COLUMN when it
 * would pass CONFIG_USAGE_WIDTH. *col is the current column; USAGE_COLUMN: nothing on the line
 * yet (a word longer than a whole line stays whole there). */
static void put_word(FILE *f, int *col, const char *word, size_t len) {
    const int w = columns(word, len);
    if (*col > USAGE_COLUMN && *col + 1 + w > CONFIG_USAGE_WIDTH) {
        fprintf(f, "\n%*s", USAGE_COLUMN, "");
        *col = USAGE_COLUMN;
    }
    if (*col > USAGE_COLUMN) fputc(' ', f), (*col)++;
    fwrite(word, 1, len, f);
    *col += w;
}

/* The help of O from USAGE_COLUMN on, then "(default V)" kept whole, then a newline. */
static void put_help(FILE *f, const opt_spec_t *o) {
    int col = USAGE_COLUMN;
    for (const char *h = o->help; *h;) {
        size_t len = strcspn(h, " \n");
        if (len) put_word(f, &col, h, len);
        h += len;
        if (*h == '\n') fprintf(f, "\n%*s", USAGE_COLUMN, ""), col = USAGE_COLUMN;
        if (*h) h++;
    }
    if (o->defval && o->defval[0] && o->type != OPT_FLAG) {
        char def[160];
        snprintf(def, sizeof def, "(default %s)", o->defval);
        put_word(f, &col, def, strlen(def));
    }
    fputc('\n', f);
}

static const char *arg_name(const opt_spec_t *o) {
    if (o->arg) return o->arg;
    switch (o->type) {
    case OPT_DOUBLE:
        return "X";
    case OPT_STR:
        return "NAME";
    default:
        return "N";
    }
}

void config_usage_cli(FILE *f, const opt_spec_t *spec, int nspec, const opt_alias_t *aliases) {
    for (int i = 0; i < nspec; i++) {
        const opt_spec_t *o = &spec[i];
        char left[160], letter[8] = "";
        for (int k = 0; aliases && aliases[k].letter; k++)
            if (!strcmp(aliases[k].name, o->name))
                snprintf(letter, sizeof letter, "-%c, ", aliases[k].letter);
        snprintf(left, sizeof left, "%s--%s%s%s", letter, o->name, o->type == OPT_FLAG ? "" : " ",
                 o->type == OPT_FLAG ? "" : arg_name(o));
        if (2 + columns(left, strlen(left)) + 1 > USAGE_COLUMN) /* help on the next line */
            fprintf(f, "  %s\n%*s", left, USAGE_COLUMN, "");
        else
            fprintf(f, "  %-*s ", USAGE_COLUMN - 3, left);
        put_help(f, o);
    }
}

void config_usage(FILE *f, const opt_spec_t *spec, int nspec) {
    config_usage_cli(f, spec, nspec, NULL);
}
