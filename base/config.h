/* base/config.h — command lines and `key = value` config files from one option table.
 *
 * Order of precedence: defaults, then --config FILE (when the table has a "config" option), then
 * the command line (a repeated flag: the last wins). Options are "--name value", "--name=value",
 * flags "--name" alone, and one-letter aliases "-o value" where a program declares them. Numbers
 * are decimal: hexadecimal, inf and nan are refused. Every error names the option (and the file
 * and line for config files) and returns 64 (EX_USAGE); an unknown name suggests the option it
 * most likely meant (the only one it begins, or the only nearest within two edits). No MPI;
 * nothing printed.
 */
#ifndef DRNN_BASE_CONFIG_H
#define DRNN_BASE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

typedef enum { OPT_STR, OPT_INT, OPT_LONG, OPT_DOUBLE, OPT_FLAG, OPT_U64 } opt_type_t;

typedef struct {
    const char *name; /* without "--" */
    opt_type_t type;
    size_t offset;      /* into the options struct */
    size_t size;        /* buffer size for OPT_STR */
    const char *defval; /* NULL: no default (empty string / 0, not range-checked) */
    double min, max;    /* numeric range, inclusive */
    const char *help;   /* config_usage wraps it; a "\n" in it starts a new line there */
    int saved;          /* written by config_write (drnn-train: RUN/config.txt, the start lines) */
    const char *arg;    /* the value's name in --help ("RATE", "rnn|gru"); NULL: N for integers,
                           X for reals, NAME for strings (flags take no value) */
} opt_spec_t;

/* Option names kept for features this build does not implement: using one is a usage error that
 * says so, instead of "unknown option". NULL-terminated. */
typedef const char *const *opt_reserved_t;

/* A one-letter alias: {'o', "output"} makes "-o X" mean "--output X". */
typedef struct {
    char letter;
    const char *name; /* a name of the option table */
} opt_alias_t;

/* What a command line holds besides the options of the table. */
typedef struct {
    const opt_alias_t *aliases; /* in: NULL, or ended by {0, NULL} */
    int allow_args;             /* in: 1 collects arguments (below); 0 makes them an error */
    /* out, filled by config_parse_cli (release with config_cli_free). The arguments, in order,
     * are pointers into argv: every word that does not start with '-', "-" itself (stdin), and
     * everything after "--". */
    const char **args;
    int nargs;
    unsigned char *given; /* [nspec]: 1 when set by the command line or the config file */
} config_cli_t;

/* Applies defaults, then the config file named by --config (if any), then argv. Arguments that
 * are not options and one-letter options are errors. Returns 0, or 64 with a message in err. */
int config_parse(void *opts, const opt_spec_t *spec, int nspec, opt_reserved_t reserved, int argc,
                 char **argv, char *err, size_t errlen);

/* config_parse with the extras of CLI (may be NULL: same as config_parse). On success the caller
 * owns cli->args and cli->given (config_cli_free); on failure they are already released. 70 when
 * out of memory. */
int config_parse_cli(void *opts, const opt_spec_t *spec, int nspec, opt_reserved_t reserved,
                     config_cli_t *cli, int argc, char **argv, char *err, size_t errlen);
void config_cli_free(config_cli_t *cli);
/* 1 when option NAME was set by the command line or the config file (not by its default). */
int config_given(const config_cli_t *cli, const opt_spec_t *spec, int nspec, const char *name);

/* Writes "name = value" for every saved option except those named in SKIP (NULL-terminated; NULL:
 * none), so that a program can leave out an option that does nothing in this run (drnn-train:
 * --epochs when --steps is given). Read back with --config, the lines give the same options. */
void config_write(FILE *f, const void *opts, const opt_spec_t *spec, int nspec,
                  const char *const *skip);

/* A list option's value "v1,v2,..." (decimal integers in [LO, HI], no signs or spaces, 1 to MAX
 * of them) into OUT, read as the integer options are: returns how many, or -1 with ERR naming
 * --FLAG (exit code 64). */
int config_int_list(const char *flag, const char *value, int *out, int max, long lo, long hi,
                    char *err, size_t errlen);

#define CONFIG_USAGE_WIDTH 100 /* no line config_usage prints is longer */

/* Prints "  --name ARG  help (default V)" lines, the help wrapped at CONFIG_USAGE_WIDTH columns
 * and indented under itself ("\n" in it breaks the line there); an empty default is not shown. A
 * long "--name ARG" puts the help on the next line. */
void config_usage(FILE *f, const opt_spec_t *spec, int nspec);
/* The same with "-o, --output FILE" for the options that have an alias in ALIASES (may be NULL). */
void config_usage_cli(FILE *f, const opt_spec_t *spec, int nspec, const opt_alias_t *aliases);

#endif
