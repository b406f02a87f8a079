/* trainer/config.h — long options and `key = value` config files from one option table.
 *
 * Order of precedence: defaults, then --config FILE, then the command line (a repeated flag: the
 * last wins). Every error names the option (and the file and line for config files) and returns
 * 64 (EX_USAGE).
 */
#ifndef DRNN_TRAINER_CONFIG_H
#define DRNN_TRAINER_CONFIG_H

#include <stddef.h>
#include <stdio.h>

typedef enum { OPT_STR, OPT_INT, OPT_LONG, OPT_DOUBLE, OPT_FLAG, OPT_U64 } opt_type_t;

typedef struct {
    const char *name; /* without "--" */
    opt_type_t type;
    size_t offset;      /* into the options struct */
    size_t size;        /* buffer size for OPT_STR */
    const char *defval; /* NULL: no default (empty string / 0) */
    double min, max;    /* numeric range, inclusive */
    const char *help;
    int saved; /* written to config.txt */
} opt_spec_t;

/* Names DESIGN §8 reserves that this build does not implement yet: using one is a usage error
 * that says so, instead of "unknown option". NULL-terminated. */
typedef const char *const *opt_reserved_t;

/* Applies defaults, then the config file named by --config (if any), then argv.
 * Returns 0, or 64 with a message in err. */
int config_parse(void *opts, const opt_spec_t *spec, int nspec, opt_reserved_t reserved, int argc,
                 char **argv, char *err, size_t errlen);

/* Writes "name = value" for every saved option. */
void config_write(FILE *f, const void *opts, const opt_spec_t *spec, int nspec);

/* Prints "  --name  help (default X)" lines. */
void config_usage(FILE *f, const opt_spec_t *spec, int nspec);

#endif
