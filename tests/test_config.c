/* base/config.c: decimal-only numbers (no hex, inf, nan), --config FILE (a folder is 64),
 * one-letter aliases, arguments collected in order ("-" and everything after "--" included),
 * which options were given, the errors that name the option, the option an unknown name likely
 * meant, config_write's file read back with --config giving the same options (a skipped option
 * left out), and --help lines: argument names, wrapping within CONFIG_USAGE_WIDTH columns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "base/config.h"

typedef struct {
    char out[64], config[256];
    double lr;
    int n, flag;
    uint64_t big;
} opts_t;

#define OFF(f) offsetof(opts_t, f)
static const opt_spec_t spec[] = {
    {"output", OPT_STR, OFF(out), sizeof(((opts_t *)0)->out), NULL, 0, 0, "output", 0, "OUT.h5"},
    {"lr", OPT_DOUBLE, OFF(lr), 0, "0.5", 0, 100, "rate", 1, "RATE"},
    {"n", OPT_INT, OFF(n), 0, NULL, 1, 1000, "count, no default (0, unchecked)", 1, NULL},
    {"big", OPT_U64, OFF(big), 0, "7", 0, 9e18, "u64", 1, NULL},
    {"flag", OPT_FLAG, OFF(flag), 0, NULL, 0, 1, "a flag", 0, NULL},
    {"config", OPT_STR, OFF(config), sizeof(((opts_t *)0)->config), NULL, 0, 0, "file", 0, "FILE"},
};
#define NSPEC ((int)(sizeof spec / sizeof spec[0]))
static const opt_alias_t aliases[] = {{'o', "output"}, {'f', "flag"}, {0, NULL}};

/* Parses the NULL-terminated words that follow errlen as argv[1..]. */
static int parse(opts_t *o, config_cli_t *cli, char *err, size_t errlen, ...) {
    char *argv[32] = {"prog"};
    int argc = 1;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; argc < 31 && (a = va_arg(ap, char *)) != NULL;) argv[argc++] = a;
    va_end(ap);
    return config_parse_cli(o, spec, NSPEC, NULL, cli, argc, argv, err, errlen);
}

static void expect_usage_error(const char *flag, const char *value, const char *needle) {
    opts_t o;
    char err[512] = "", arg[128];
    snprintf(arg, sizeof arg, "--%s=%s", flag, value);
    int rc = parse(&o, NULL, err, sizeof err, arg, (char *)NULL);
    EXPECT(rc == 64, "%s: rc %d, expected 64", arg, rc);
    EXPECT(strstr(err, needle) != NULL, "%s: message '%s' should name '%s'", arg, err, needle);
}

static void numbers(void) {
    static const char *const bad_real[] = {"0x10",     "0X1p3", "inf", "-inf", "nan",
                                           "infinity", "1e999", "",    " 1",   "1.5x",
                                           ".",        "e5",    "1e",  "--1"};
    for (size_t i = 0; i < sizeof bad_real / sizeof *bad_real; i++)
        expect_usage_error("lr", bad_real[i], "--lr");
    static const char *const bad_int[] = {"0x10", "1e3", "1.0", "", "+", "12abc", "0", "1001"};
    for (size_t i = 0; i < sizeof bad_int / sizeof *bad_int; i++)
        expect_usage_error("n", bad_int[i], "--n");
    opts_t o;
    char err[512];
    int rc = parse(&o, NULL, err, sizeof err, "--lr", "1e-3", "--n", "+12", "--big",
                   "9000000000000000000", (char *)NULL);
    EXPECT(rc == 0 && o.lr == 1e-3 && o.n == 12 && o.big == 9000000000000000000ull,
           "decimal values: rc %d (%s), lr %g, n %d", rc, err, o.lr, o.n);
    rc = parse(&o, NULL, err, sizeof err, "--lr=.25", (char *)NULL);
    EXPECT(rc == 0 && o.lr == 0.25 && o.n == 0 && o.big == 7, "defaults and .25: rc %d", rc);
    rc = parse(&o, NULL, err, sizeof err, "--lr", "-1", (char *)NULL);
    EXPECT(rc == 64 && strstr(err, "--lr"), "out of range: rc %d", rc);
}

static void config_files(void) {
    opts_t o;
    char err[1024], dir[] = "/tmp/drnn-test-config.XXXXXX", file[300];
    EXPECT(mkdtemp(dir) != NULL, "mkdtemp");
    int rc = parse(&o, NULL, err, sizeof err, "--config", dir, (char *)NULL);
    EXPECT(rc == 64 && strstr(err, dir) && strstr(err, "folder"), "--config DIR: rc %d, '%s'", rc,
           err);
    snprintf(file, sizeof file, "%s/c.txt", dir);
    FILE *f = fopen(file, "w");
    fprintf(f, "# comment\nlr = 2.5\nn = 9\n");
    fclose(f);
    config_cli_t cli = {aliases, 0, NULL, 0, NULL};
    rc = parse(&o, &cli, err, sizeof err, "--config", file, "--n", "3", (char *)NULL);
    EXPECT(rc == 0 && o.lr == 2.5 && o.n == 3 && !strcmp(o.config, file),
           "file then command line: rc %d, lr %g, n %d", rc, o.lr, o.n);
    EXPECT(rc == 0 && config_given(&cli, spec, NSPEC, "lr") &&
               config_given(&cli, spec, NSPEC, "n") && !config_given(&cli, spec, NSPEC, "big"),
           "given: lr and n (file, command line), not big");
    config_cli_free(&cli);
    f = fopen(file, "w");
    fprintf(f, "lr = 0x10\n");
    fclose(f);
    rc = parse(&o, NULL, err, sizeof err, "--config", file, (char *)NULL);
    EXPECT(rc == 64 && strstr(err, ":1:") && strstr(err, "--lr"), "hex in a file: '%s'", err);
    unlink(file);
    rmdir(dir);
}

/* config_write then --config: every saved option comes back exactly (doubles as the shortest
 * decimal that reads back the same, also for one that needs 17 digits), unsaved and skipped ones
 * are not written. */
static void write_read_back(void) {
    opts_t o, back;
    char err[1024], dir[] = "/tmp/drnn-test-config.XXXXXX", file[300], text[512] = "";
    EXPECT(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(file, sizeof file, "%s/config.txt", dir);
    int rc = parse(&o, NULL, err, sizeof err, "--lr", "0.1", "--n", "17", "--big", "123456789012",
                   "--flag", "--output", "x.h5", (char *)NULL);
    EXPECT(rc == 0, "options: rc %d (%s)", rc, err);
    static const char *const skip[] = {"big", NULL};
    FILE *f = fopen(file, "w");
    config_write(f, &o, spec, NSPEC, skip);
    fclose(f);
    f = fopen(file, "r");
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    EXPECT(!strcmp(text, "lr = 0.1\nn = 17\n"), "saved options only, 'big' skipped: '%s'", text);
    rc = parse(&back, NULL, err, sizeof err, "--config", file, "--big", "123456789012",
               (char *)NULL);
    EXPECT(rc == 0 && back.lr == o.lr && back.n == o.n && back.big == o.big,
           "read back: rc %d (%s), lr %.17g, n %d", rc, err, back.lr, back.n);
    f = fopen(file, "w");
    config_write(f, &o, spec, NSPEC, NULL);
    fclose(f);
    rc = parse(&back, NULL, err, sizeof err, "--config", file, (char *)NULL);
    EXPECT(rc == 0 && back.big == 123456789012ull, "no skip list: big written and read back");
    static const double values[] = {1.0 / 3.0, 0.1 + 0.2, 60, 1e-8, 0.999999, 99.5};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        o.lr = values[i];
        f = fopen(file, "w");
        config_write(f, &o, spec, NSPEC, NULL);
        fclose(f);
        rc = parse(&back, NULL, err, sizeof err, "--config", file, (char *)NULL);
        EXPECT(rc == 0 && back.lr == values[i], "%.17g read back: %.17g", values[i], back.lr);
    }
    o.lr = 60;
    f = fopen(file, "w");
    config_write(f, &o, spec, NSPEC, NULL);
    fclose(f);
    f = fopen(file, "r");
    len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    EXPECT(strstr(text, "lr = 60\n") != NULL, "60 written as 60: '%s'", text);
    unlink(file);
    rmdir(dir);
}

static void command_lines(void) {
    opts_t o;
    char err[512];
    config_cli_t cli = {aliases, 1, NULL, 0, NULL};
    int rc = parse(&o, &cli, err, sizeof err, "in1", "-o", "x.h5", "-", "-f", "--lr", "2", "--",
                   "--n", "-o", (char *)NULL);
    EXPECT(rc == 0, "aliases and arguments: rc %d (%s)", rc, err);
    EXPECT(!strcmp(o.out, "x.h5") && o.flag == 1 && o.lr == 2, "-o and -f set --output, --flag");
    EXPECT(cli.nargs == 4 && !strcmp(cli.args[0], "in1") && !strcmp(cli.args[1], "-") &&
               !strcmp(cli.args[2], "--n") && !strcmp(cli.args[3], "-o"),
           "arguments in order, '-' and all after '--': %d", cli.nargs);
    EXPECT(config_given(&cli, spec, NSPEC, "output") && !config_given(&cli, spec, NSPEC, "n"),
           "given through an alias");
    config_cli_free(&cli);
    rc = parse(&o, &cli, err, sizeof err, "-x", (char *)NULL);
    EXPECT(rc == 64 && strstr(err, "-x") && !cli.args, "unknown alias: rc %d '%s'", rc, err);
    rc = parse(&o, &cli, err, sizeof err, "-o", (char *)NULL);
    EXPECT(rc == 64 && strstr(err, "-o needs a value"), "-o without a value: '%s'", err);
    rc = parse(&o, &cli, err, sizeof err, "--bogus=1", (char *)NULL);
    EXPECT(rc == 64 && strstr(err, "--bogus"), "unknown option: '%s'", err);
    rc = parse(&o, NULL, err, sizeof err, "in1", (char *)NULL);
    EXPECT(rc == 64 && strstr(err, "in1"), "arguments refused without a cli: '%s'", err);
    rc = parse(&o, NULL, err, sizeof err, "-o", "x", (char *)NULL);
    EXPECT(rc == 64 && strstr(err, "-o"), "aliases refused without a cli: '%s'", err);
}

/* An unknown option names the one it likely meant, on the command line and in a config file
 * (file:line); a far or ambiguous name gets the plain message. Always 64. */
static void suggestions(void) {
    static const struct {
        const char *arg, *want;
    } cases[] = {
        {"--outptu=x", "unknown option --outptu; did you mean --output?"}, /* two letters swapped */
        {"--ouput", "unknown option --ouput; did you mean --output?"},     /* a letter missing */
        {"--lrr", "unknown option --lrr; did you mean --lr?"},             /* one too many */
        {"--fla", "unknown option --fla; did you mean --flag?"},           /* the only prefix */
        {"--co=1", "unknown option --co; did you mean --config?"},
        {"--bogus", "unknown option --bogus (see --help)"}, /* 3 edits from everything */
        {"--x", "unknown option --x (see --help)"},         /* one edit from --n: as long as it */
        {"--ln=1", "unknown option --ln (see --help)"},     /* --lr and --n both one edit away */
    };
    opts_t o;
    char err[512], dir[] = "/tmp/drnn-test-config.XXXXXX", file[300];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = parse(&o, NULL, err, sizeof err, cases[i].arg, (char *)NULL);
        EXPECT(rc == 64 && !strcmp(err, cases[i].want), "%s: rc %d, '%s', expected '%s'",
               cases[i].arg, rc, err, cases[i].want);
    }
    EXPECT(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(file, sizeof file, "%s/c.txt", dir);
    FILE *f = fopen(file, "w");
    fprintf(f, "lr = 1\nbigg = 3\n");
    fclose(f);
    int rc = parse(&o, NULL, err, sizeof err, "--config", file, (char *)NULL);
    EXPECT(rc == 64 && strstr(err, ":2: unknown option --bigg; did you mean --big?"),
           "config file: rc %d, '%s'", rc, err);
    f = fopen(file, "w");
    fprintf(f, "confi = x\n"); /* --config is no key of a config file: nothing to suggest */
    fclose(f);
    rc = parse(&o, NULL, err, sizeof err, "--config", file, (char *)NULL);
    EXPECT(rc == 64 && strstr(err, ":1: unknown option --confi (see --help)"),
           "config file, --config: rc %d, '%s'", rc, err);
    unlink(file);
    rmdir(dir);
}

/* config_usage_cli: "  [-o, ]--name ARG" then the help from column 25, wrapped within
 * CONFIG_USAGE_WIDTH columns without losing or splitting a word ("(default V)" is one); "\n" in a
 * help breaks the line; a long "--name ARG" puts its help on the next line; ARG by type. */
static void usage_lines(void) {
    static const char long_help[] =
        "recurrent cell: rnn, rnn_relu, gru or lstm (seq2seq: the encoder's; its decoder is a "
        "GRU), a help long enough to wrap three times at a hundred columns, so that every "
        "line of it must break between words and start under the first";
    static const opt_spec_t uspec[] = {
        {"cell", OPT_STR, OFF(out), sizeof(((opts_t *)0)->out), "gru", 0, 0, long_help, 0,
         "rnn|rnn_relu|gru|lstm"},
        {"output", OPT_STR, OFF(out), sizeof(((opts_t *)0)->out), NULL, 0, 0, "output", 0, NULL},
        {"lr", OPT_DOUBLE, OFF(lr), 0, "0.5", 0, 100, "learning rate", 1, "RATE"},
        {"x", OPT_DOUBLE, OFF(lr), 0, NULL, 0, 100, "first line\nsecond line", 1, NULL},
        {"n", OPT_INT, OFF(n), 0, "1000", 1, 1000,
         "count, with a help just long enough that its default must go below it", 1, NULL},
        {"flag", OPT_FLAG, OFF(flag), 0, NULL, 0, 1, "a flag", 0, NULL},
    };
    static const char *const want[] = {
        "  -o, --output NAME      output",
        "  --lr RATE              learning rate (default 0.5)",
        "  --x X                  first line",
        "                         second line",
        "  --n N                  count, with a help just long enough that its default must go "
        "below it",
        "                         (default 1000)",
        "  -f, --flag             a flag",
    };
    FILE *f = tmpfile();
    EXPECT(f != NULL, "tmpfile");
    if (!f) return;
    config_usage_cli(f, uspec, (int)(sizeof uspec / sizeof *uspec), aliases);
    rewind(f);
    char lines[16][256], help[1024] = "", whole[1024];
    int n = 0, i = 1;
    while (n < 16 && fgets(lines[n], sizeof lines[n], f)) {
        lines[n][strcspn(lines[n], "\n")] = '\0';
        EXPECT(strlen(lines[n]) <= CONFIG_USAGE_WIDTH, "line %d has %zu columns (over %d): '%s'",
               n + 1, strlen(lines[n]), CONFIG_USAGE_WIDTH, lines[n]);
        n++;
    }
    fclose(f);
    EXPECT(n > 0 && !strcmp(lines[0], "  --cell rnn|rnn_relu|gru|lstm"), "first line: '%s'",
           lines[0]);
    /* The long help's lines, from column 25: joined back they give the help and its default. */
    for (; i < n && !strncmp(lines[i], "                         ", 25) && lines[i][25] != ' '; i++)
        snprintf(help + strlen(help), sizeof help - strlen(help), "%s%s", i > 1 ? " " : "",
                 lines[i] + 25);
    snprintf(whole, sizeof whole, "%s (default gru)", long_help);
    EXPECT(i == 5 && !strcmp(help, whole), "long help in %d lines: '%s'", i - 1, help);
    for (int k = 0; k < (int)(sizeof want / sizeof *want); k++, i++)
        EXPECT(i < n && !strcmp(lines[i], want[k]), "line %d: '%s', expected '%s'", i + 1,
               i < n ? lines[i] : "(none)", want[k]);
    EXPECT(i == n, "%d lines, expected %d", n, i);
}

int main(void) {
    numbers();
    config_files();
    write_read_back();
    command_lines();
    suggestions();
    usage_lines();
    return TEST_RESULT("unit_config");
}
