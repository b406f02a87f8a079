/* prep/drnn_prep.c — drnn-prep: text to a tokenized HDF5 corpus (DESIGN §6, §8).
 *
 * Streams with bounded memory (word counting aside) in up to three passes over the input:
 *   1. count the tokens N, which fixes the split boundaries train | valid | test;
 *   2. count symbol frequencies in the first N_train tokens only (skipped when there is no tail:
 *      pass 1 then counts them) and build the vocabulary;
 *   3. tokenize again and write the ids of each split.
 * --format labels, pairs and tags take the same three passes over examples, one per line, instead
 * (prep/prep_lines.c, prep_labels.c, prep_pairs.c, prep_tags.c).
 * Inputs that cannot be read twice (stdin, pipes) are first copied as they are (gzip or not) to
 * OUT.spool<k>.<pid> next to the output; .gz files are simply decompressed again in each pass.
 * Every exit path removes the temporary files, also on SIGINT, SIGTERM and SIGHUP; what a killed
 * run (SIGKILL) left is removed by the next run to the same output (prep/prep_stale.c).
 */
#include "prep/prep.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/spm.h"
#include "io/textfile.h"
#include "base/cpus.h"
#include "base/util.h"
#include "base/config.h"

#define MAX_SPOOL   8
#define WRITE_BATCH 8192 /* ids handed to the writer at once */

/* ---- dying and temporary files ---------------------------------------------------------------
 * The signal handler may only unlink names that are complete, hence the counters set after. */

static char g_spool[MAX_SPOOL][PATH_MAX];
static volatile sig_atomic_t g_nspool;
static char g_tmp[PATH_MAX];
static volatile sig_atomic_t g_tmp_set;
static corpus_writer_t *g_writer;

void prep_cleanup(void) {
    if (g_writer) corpus_writer_abort(g_writer);
    g_writer = NULL;
    if (g_tmp_set) unlink(g_tmp);
    g_tmp_set = 0;
    for (int i = 0; i < g_nspool; i++) unlink(g_spool[i]);
    g_nspool = 0;
}

static void on_signal(int sig) {
    if (g_tmp_set) unlink(g_tmp);
    for (int i = 0; i < g_nspool; i++) unlink(g_spool[i]);
    raise(sig); /* SA_RESETHAND restored the default action: die of the signal */
}

static void install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* ---- inputs and output ---------------------------------------------------------------------- */

static void check_input(const char *path, const char *out) {
    struct stat st, ost;
    if (!strcmp(path, "-")) return;
    if (stat(path, &st) != 0)
        prep_die(66, "cannot open input '%s': %s; check the path", path, strerror(errno));
    if (stat(out, &ost) == 0 && ost.st_dev == st.st_dev && ost.st_ino == st.st_ino)
        prep_die(64, "-o '%s' is also an input; choose another output name", out);
    if (S_ISDIR(st.st_mode)) prep_die(66, "input '%s' is a folder; name text files", path);
    if (!S_ISREG(st.st_mode)) { /* opening a named pipe would block, and closing it lose data */
        if (access(path, R_OK) != 0)
            prep_die(66, "cannot read input '%s': %s", path, strerror(errno));
        return;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) prep_die(66, "cannot read input '%s': %s", path, strerror(errno));
    close(fd);
}

static void check_output(const char *out) {
    struct stat st;
    char *copy = strdup(out);
    if (!copy) prep_die(70, "out of memory");
    const char *dir = dirname(copy);
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
        prep_die(74, "-o '%s' is a folder; give a file name such as %s/corpus.h5", out, out);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        prep_die(74, "output folder '%s' does not exist; create it or choose another -o", dir);
    if (access(dir, W_OK | X_OK) != 0)
        prep_die(74, "cannot write to output folder '%s': %s; choose another -o", dir,
                 strerror(errno));
    free(copy);
}

/* Copies a non-rewindable input byte for byte (a gzip stream stays compressed: the passes
 * decompress it like any .gz file) to OUT.spool<k>.<pid>. Returns the copy's name. */
static const char *spool_input(const char *out, const char *path) {
    static char buf[1 << 16];
    if (g_nspool == MAX_SPOOL) prep_die(64, "at most %d inputs may be stdin or pipes", MAX_SPOOL);
    char *name = g_spool[g_nspool];
    snprintf(name, PATH_MAX, "%s.spool%d.%ld", out, (int)g_nspool, (long)getpid());
    int in = strcmp(path, "-") ? open(path, O_RDONLY) : STDIN_FILENO;
    if (in < 0) prep_die(66, "cannot read input '%s': %s", path, strerror(errno));
    g_nspool++; /* before the file exists, so a signal never leaves it behind */
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        int e = errno;
        g_nspool--; /* not ours: never unlink it */
        prep_die(74, "cannot create spool file '%s': %s", name, strerror(e));
    }
    prep_hold_spool(name);
    for (;;) {
        ssize_t got = read(in, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) prep_die(74, "cannot read input '%s': %s", path, strerror(errno));
        if (got == 0) break;
        for (ssize_t off = 0; off < got;) {
            ssize_t put = write(fd, buf + off, (size_t)(got - off));
            if (put < 0 && errno != EINTR)
                prep_die(74, "cannot write '%s': %s", name, strerror(errno));
            off += put > 0 ? put : 0;
        }
    }
    if (close(fd) != 0) prep_die(74, "cannot write '%s': %s", name, strerror(errno));
    if (in != STDIN_FILENO) close(in);
    return name;
}

static const char *rewindable(const char *out, const char *path) {
    struct stat st;
    if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode)) return path;
    return spool_input(out, path);
}

/* Inputs smaller than this are counted by one thread. */
#define PREP_HALVES_MIN (4u << 20)

/* ---- passes ------------------------------------------------------------------------------- */

/* Dies with a read error RC (message ERR) of FILE, a copy of NAME when the two differ. */
static void die_reading(int rc, const char *err, const char *file, const char *name) {
    if (strcmp(file, name) != 0) prep_die(rc, "%s (a copy of %s)", err, name);
    prep_die(rc, "%s", err);
}

/* Feeds FILES[0..n) as one stream, runs of one-byte symbols to RUN, CR line endings dropped
 * unless --keep-cr (prep/prep_cr.c) and added to *CRS (CRS may be NULL); dies on read errors (66,
 * 65, 74) and when emit reports running out of memory (-1). NAMES are the files as the user gave
 * them. Returns 1 when emit stopped the stream early, else 0. */
static int feed_files(const prep_opts_t *o, const char *const *files, const char *const *names,
                      int n, tok_emit_fn emit, tok_emit_run_fn run, void *arg, uint64_t *crs) {
    char err[PATH_MAX + 256];
    int stop = 0;
    tok_splitter_t *s = prep_splitter(o, 0);
    tok_splitter_set_run(s, run);
    prep_cr_t f = {.s = s, .emit = emit, .arg = arg, .keep = o->keep_cr};
    for (int i = 0; i < n && !stop; i++) {
        int rc = prep_cr_feed_file(&f, files[i], &stop, err, sizeof err);
        if (rc) {
            tok_splitter_free(s);
            die_reading(rc, err, files[i], names[i]);
        }
    }
    if (!stop) stop = tok_splitter_finish(s, emit, arg);
    tok_splitter_free(s);
    if (stop < 0) prep_die(70, "out of memory counting symbols");
    if (crs) *crs += f.crs;
    return stop;
}

static int feed_inputs(const prep_opts_t *o, tok_emit_fn emit, tok_emit_run_fn run, void *arg,
                       uint64_t *crs) {
    return feed_files(o, o->inputs, o->names, o->ninputs, emit, run, arg, crs);
}

static int feed_valid(const prep_opts_t *o, tok_emit_fn emit, tok_emit_run_fn run, void *arg,
                      uint64_t *crs) {
    return feed_files(o, &o->valid_file, &o->valid_name, 1, emit, run, arg, crs);
}

typedef struct {
    uint64_t n, limit;      /* tokens seen; stop after LIMIT */
    tok_counter_t *counter; /* NULL: count tokens only */
} count_ctx_t;

static int count_emit(void *arg, const unsigned char *sym, size_t len) {
    count_ctx_t *c = arg;
    if (c->n == c->limit) return 1;
    c->n++;
    return c->counter && tok_counter_add(c->counter, sym, len) != 0 ? -1 : 0;
}

static int count_run(void *arg, const unsigned char *syms, size_t n) {
    count_ctx_t *c = arg;
    size_t take = c->limit - c->n < n ? (size_t)(c->limit - c->n) : n;
    c->n += take;
    if (c->counter && tok_counter_add_run(c->counter, syms, take) != 0) return -1;
    return take < n; /* a symbol past the limit */
}

uint64_t prep_share(uint64_t total, double frac) {
    return (uint64_t)floor((double)total * frac + 0.5);
}

/* The split sizes of TOTAL tokens into n[]; dies when they leave no train tokens. */
static void plan_splits(const prep_opts_t *o, uint64_t total, uint64_t n[CORPUS_NSPLITS]) {
    if (total == 0 && o->ninputs == 1)
        prep_die(65, "input '%s' has no %s tokens; give a non-empty text", o->names[0],
                 tok_kind_name(o->kind));
    if (total == 0)
        prep_die(65, "the %d inputs ('%s', ...) have no %s tokens; give a non-empty text",
                 o->ninputs, o->names[0], tok_kind_name(o->kind));
    n[CORPUS_TEST] = prep_share(total, o->test_frac);
    n[CORPUS_VALID] = prep_share(total, o->valid_frac);
    if (n[CORPUS_TEST] + n[CORPUS_VALID] >= total)
        prep_die(65, "the input has only %llu tokens: too few to split off valid and test",
                 (unsigned long long)total);
    n[CORPUS_TRAIN] = total - n[CORPUS_VALID] - n[CORPUS_TEST];
}

/* One half of the one input, counted by its own splitter (and counter) in its own thread. */
typedef struct {
    const prep_opts_t *o;
    uint64_t off, len; /* bytes of o->inputs[0] */
    count_ctx_t c;
    int rc, stop;
    char err[PATH_MAX + 256];
} half_t;

static void *count_half(void *arg) {
    half_t *h = arg;
    tok_splitter_t *s =
        h->o->kind == TOK_SPM ? tok_splitter_new_spm(h->o->spm[0]) : tok_splitter_new(h->o->kind);
    h->stop = 0;
    h->c.n = 0;
    if (!s) {
        h->rc = drnn_errf(h->err, sizeof h->err, 70, "out of memory");
        return NULL;
    }
    tok_splitter_set_run(s, count_run);
    prep_cr_t f = {.s = s, .emit = count_emit, .arg = &h->c, .keep = h->o->keep_cr};
    h->rc =
        prep_cr_feed_range(&f, h->o->inputs[0], h->off, h->len, &h->stop, h->err, sizeof h->err);
    if (h->rc == 0 && !h->stop) h->stop = tok_splitter_finish(s, count_emit, &h->c);
    tok_splitter_free(s);
    return NULL;
}

/* Counts both halves, the second in a thread of its own; dies as feed_files does. */
static void count_halves(half_t h[2]) {
    pthread_t t;
    int threaded = pthread_create(&t, NULL, count_half, &h[1]) == 0;
    count_half(&h[0]);
    if (threaded)
        pthread_join(t, NULL);
    else
        count_half(&h[1]);
    for (int k = 0; k < 2; k++) {
        if (h[k].rc) die_reading(h[k].rc, h[k].err, h[k].o->inputs[0], h[k].o->names[0]);
        if (h[k].stop < 0) prep_die(70, "out of memory counting symbols");
    }
}

/* Passes 1 and 2 on two CPUs: each counts the half of the one input on its side of a line break
 * near the middle (a fresh splitter starts there as the whole file's would go on), and the
 * counts add up. On 500 MB of char text they took 0.29 of drnn-prep's 2.6 s on one CPU. 0 when
 * the input cannot be cut (several inputs, gzip, small, one CPU): the caller counts it whole. */
static int plan_and_count_halves(const prep_opts_t *o, uint64_t n[CORPUS_NSPLITS],
                                 tok_counter_t *counter) {
    uint64_t size = 0, mid = 0;
    if (o->ninputs != 1 || cpus_available() < 2 ||
        !textfile_midline(o->inputs[0], PREP_HALVES_MIN, &size, &mid))
        return 0;
    int no_tail = o->valid_frac == 0 && o->test_frac == 0;
    int need_freq = o->kind != TOK_BYTE && o->kind != TOK_SPM;
    tok_counter_t *second = need_freq ? tok_counter_new(o->kind) : NULL;
    if (need_freq && !second) prep_die(70, "out of memory");
    half_t h[2] = {{.o = o, .off = 0, .len = mid}, {.o = o, .off = mid, .len = size - mid}};
    for (int k = 0; k < 2; k++)
        h[k].c = (count_ctx_t){0, UINT64_MAX, no_tail && need_freq ? (k ? second : counter) : NULL};
    count_halves(h);
    uint64_t first = h[0].c.n;
    plan_splits(o, first + h[1].c.n, n);
    if (!no_tail && need_freq) { /* the train tokens only: the first n[TRAIN] */
        uint64_t train = n[CORPUS_TRAIN];
        h[0].c = (count_ctx_t){0, train < first ? train : first, counter};
        h[1].c = (count_ctx_t){0, train > first ? train - first : 0, second};
        count_halves(h);
        if (h[0].c.n + h[1].c.n != train)
            prep_die(65, "the input changed while drnn-prep was reading it; run it again");
    }
    if (second && tok_counter_merge(counter, second) != 0)
        prep_die(70, "out of memory counting symbols");
    tok_counter_free(second);
    return 1;
}

/* Passes 1 and 2: the split sizes into n[] and the train frequencies into COUNTER. */
static void plan_and_count(const prep_opts_t *o, uint64_t n[CORPUS_NSPLITS],
                           tok_counter_t *counter) {
    if (plan_and_count_halves(o, n, counter)) return;
    /* Without a tail every token is train: pass 1 can count the frequencies as well. */
    int no_tail = o->valid_frac == 0 && o->test_frac == 0;
    int need_freq = o->kind != TOK_BYTE && o->kind != TOK_SPM;
    count_ctx_t c = {0, UINT64_MAX, no_tail && need_freq ? counter : NULL};
    feed_inputs(o, count_emit, count_run, &c, NULL);
    plan_splits(o, c.n, n);
    if (no_tail || !need_freq) return;
    count_ctx_t f = {0, n[CORPUS_TRAIN], counter};
    feed_inputs(o, count_emit, count_run, &f, NULL);
    if (f.n != n[CORPUS_TRAIN])
        prep_die(65, "the input changed while drnn-prep was reading it; run it again");
}

static uint64_t count_valid_file(const prep_opts_t *o) {
    count_ctx_t c = {0, UINT64_MAX, NULL};
    if (!o->valid_file) return 0;
    feed_valid(o, count_emit, count_run, &c, NULL);
    if (c.n == 0)
        prep_die(65, "--valid '%s' has no %s tokens; give a non-empty text", o->valid_name,
                 tok_kind_name(o->kind));
    return c.n;
}

typedef struct {
    const tok_vocab_t *vocab;
    uint32_t byte_id[256]; /* id of each one-byte symbol */
    int unk_bytes;         /* some one-byte symbol is <unk> (byte's id 0 is the NUL byte) */
    corpus_writer_t *w;
    uint64_t end[CORPUS_NSPLITS]; /* token index (in the stream being fed) where each split ends */
    uint64_t pos;
    int split;
    uint64_t unknown[CORPUS_NSPLITS];
    int dstate[CORPUS_NSPLITS]; /* tok_count_chars's state per split */
    uint64_t crs;               /* CR line endings of the inputs and the --valid file */
    size_t fill;
    uint32_t ids[WRITE_BATCH];
    int rc;
    char err[PATH_MAX + 256];
} write_ctx_t;

static int write_flush(write_ctx_t *c) {
    uint64_t chars = 0;
    if (c->fill && !c->rc &&
        tok_count_chars(c->vocab, c->ids, c->fill, &c->dstate[c->split], &chars) != 0)
        c->rc = drnn_errf(c->err, sizeof c->err, 70, "out of memory counting characters");
    corpus_writer_add_chars(c->w, c->split, chars);
    if (c->fill && !c->rc)
        c->rc = corpus_writer_append(c->w, c->split, c->ids, c->fill, c->err, sizeof c->err);
    c->fill = 0;
    return c->rc;
}

static int write_emit(void *arg, const unsigned char *sym, size_t len) {
    write_ctx_t *c = arg;
    while (c->pos == c->end[c->split]) {
        if (write_flush(c) != 0) return 1;
        if (++c->split == CORPUS_NSPLITS) return 1; /* more tokens than pass 1 counted */
    }
    uint32_t id = tok_vocab_id(c->vocab, sym, len);
    c->unknown[c->split] += id == TOK_UNK && tok_vocab_kind(c->vocab) != TOK_BYTE;
    c->ids[c->fill++] = id;
    c->pos++;
    return c->fill == WRITE_BATCH && write_flush(c) != 0;
}

/* write_emit for N one-byte symbols at once: straight into the writer through byte_id, after
 * the ids write_emit has buffered. */
static int write_run(void *arg, const unsigned char *syms, size_t n) {
    write_ctx_t *c = arg;
    while (n > 0) {
        while (c->pos == c->end[c->split]) {
            if (write_flush(c) != 0) return 1;
            if (++c->split == CORPUS_NSPLITS) return 1; /* more tokens than pass 1 counted */
        }
        size_t take = n;
        if (take > c->end[c->split] - c->pos) take = (size_t)(c->end[c->split] - c->pos);
        if (write_flush(c) != 0) return 1;
        /* the writer counts ids 0 as it maps: TOK_UNK is 0 */
        c->rc = corpus_writer_append_mapped(c->w, c->split, syms, take, c->byte_id,
                                            c->unk_bytes ? &c->unknown[c->split] : NULL, c->err,
                                            sizeof c->err);
        if (c->rc) return 1;
        uint64_t chars = take; /* char runs are ASCII; byte: the bytes that start a character */
        if (tok_vocab_kind(c->vocab) == TOK_BYTE)
            for (size_t i = 0; i < take; i++) chars -= (syms[i] & 0xC0) == 0x80;
        corpus_writer_add_chars(c->w, c->split, chars);
        c->pos += take, syms += take, n -= take;
    }
    return 0;
}

/* Pass 3: the inputs' tokens into train | valid | test, then the --valid file into valid. */
static void write_splits(const prep_opts_t *o, write_ctx_t *c, const uint64_t n[CORPUS_NSPLITS],
                         uint64_t nvalid_file) {
    c->end[CORPUS_TRAIN] = n[CORPUS_TRAIN];
    c->end[CORPUS_VALID] = c->end[CORPUS_TRAIN] + n[CORPUS_VALID];
    c->end[CORPUS_TEST] = c->end[CORPUS_VALID] + n[CORPUS_TEST];
    feed_inputs(o, write_emit, write_run, c, &c->crs);
    if (write_flush(c) != 0) prep_die(c->rc, "%s", c->err);
    if (c->split == CORPUS_NSPLITS || c->pos != c->end[CORPUS_TEST])
        prep_die(65, "the input changed while drnn-prep was reading it; run it again");
    if (!o->valid_file) return;
    c->split = CORPUS_VALID;
    c->pos = 0;
    c->end[CORPUS_VALID] = UINT64_MAX;
    feed_valid(o, write_emit, write_run, c, &c->crs);
    if (write_flush(c) != 0) prep_die(c->rc, "%s", c->err);
    if (c->pos != nvalid_file)
        prep_die(65, "'%s' changed while drnn-prep was reading it; run it again", o->valid_name);
}

/* The text passes; fills ST. */
static void prep_text_run(const prep_opts_t *o, prep_stats_t *st) {
    uint64_t n[CORPUS_NSPLITS];
    write_ctx_t *c = calloc(1, sizeof *c);
    tok_counter_t *counter = tok_counter_new(o->kind);
    if (!c || !counter) prep_die(70, "out of memory");
    plan_and_count(o, n, counter);
    uint64_t nvalid_file = count_valid_file(o);
    tok_vocab_t *vocab = prep_open_output(o, counter, st, &c->w);
    tok_counter_free(counter);
    c->vocab = vocab;
    for (int b = 0; b < 256; b++) {
        unsigned char sym = (unsigned char)b;
        c->byte_id[b] = tok_vocab_id(vocab, &sym, 1);
        /* char runs hold ASCII only; the other bytes' entries are never used */
        c->unk_bytes |= o->kind == TOK_CHAR && b < 0x80 && c->byte_id[b] == TOK_UNK;
    }
    write_splits(o, c, n, nvalid_file);
    for (int k = 0; k < CORPUS_NSPLITS; k++) st->unknown[k] = c->unknown[k];
    st->crs = c->crs;
    prep_commit(st);
    tok_vocab_free(vocab);
    free(c);
}

/* ---- output and summary --------------------------------------------------------------------- */

tok_vocab_t *prep_vocab(const prep_opts_t *o, const tok_counter_t *counter, int side,
                        char ***strings, size_t *n) {
    char err[256];
    size_t len = 0;
    const void *spm = o->kind == TOK_SPM ? spm_bytes(o->spm[side], &len) : NULL;
    *strings = o->kind == TOK_SPM ? tok_spm_vocab(o->spm[side], o->pairs, n)
                                  : tok_counter_vocab(counter, o->vocab_size, n);
    if (!*strings) prep_die(70, "out of memory building the vocabulary");
    tok_vocab_t *v =
        tok_vocab_open(o->kind, (const char *const *)*strings, *n, spm, len, err, sizeof err);
    if (!v) prep_die(70, "internal error: %s", err);
    return v;
}

tok_vocab_t *prep_open_output(const prep_opts_t *o, tok_counter_t *counter, prep_stats_t *st,
                              corpus_writer_t **w) {
    char err[PATH_MAX + 256], **strings = NULL;
    size_t nvocab = 0;
    st->distinct = tok_counter_distinct(counter);
    tok_vocab_t *v = prep_vocab(o, counter, 0, &strings, &nvocab);
    snprintf(g_tmp, sizeof g_tmp, "%s.tmp.%ld", o->out, (long)getpid());
    g_tmp_set = 1; /* before the file exists, so a signal never leaves it behind */
    int rc = corpus_writer_open(&g_writer, o->out, tok_kind_name(o->kind),
                                (const char *const *)strings, nvocab, err, sizeof err);
    free(strings);
    if (rc == 0) rc = prep_spm_store(o, g_writer, 0, err, sizeof err);
    if (rc) prep_die(rc, "%s", err);
    /* This thread reads and tokenizes while a worker per other CPU encodes chunks; when the
     * workers fall behind, it encodes too (io/chunk_pack.h). Deflate is most of the work (3 of 4
     * CPU seconds on 500 MB of char text); a worker per CPU gave three busy threads on two CPUs
     * (165 against 190 MB/s). */
    corpus_writer_set_threads(g_writer, cpus_available() - 1);
    if (strcmp(g_tmp, corpus_writer_tmp_path(g_writer)) != 0)
        prep_die(70, "internal error: the temporary file is '%s', not '%s'",
                 corpus_writer_tmp_path(g_writer), g_tmp);
    st->vocab = nvocab;
    st->width = corpus_writer_width(g_writer);
    *w = g_writer;
    return v;
}

void prep_commit(prep_stats_t *st) {
    char err[PATH_MAX + 256];
    for (int k = 0; k < CORPUS_NSPLITS; k++) {
        st->tokens[k] = corpus_writer_tokens(g_writer, k);
        st->tgt_tokens[k] = corpus_writer_tgt_tokens(g_writer, k);
        st->examples[k] = corpus_writer_examples(g_writer, k);
        st->crc[k] = corpus_writer_crc32(g_writer, k);
    }
    snprintf(st->uuid, sizeof st->uuid, "%s", corpus_writer_uuid(g_writer));
    corpus_writer_t *w = g_writer;
    g_writer = NULL; /* commit frees it, and removes the temporary file if it fails */
    int rc = corpus_writer_commit(w, err, sizeof err);
    if (rc) prep_die(rc, "%s", err);
    g_tmp_set = 0; /* it is the output now */
}

static double seconds_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void prepare_inputs(prep_opts_t *o) {
    for (int i = 0; i < o->ninputs; i++) check_input(o->inputs[i], o->out);
    if (o->valid_file) check_input(o->valid_file, o->out);
    check_output(o->out);
    prep_remove_stale(o->out); /* before this run makes its own */
    install_signal_handlers();
    for (int i = 0; i < o->ninputs; i++) {
        o->names[i] = strcmp(o->inputs[i], "-") ? o->inputs[i] : "stdin";
        o->inputs[i] = rewindable(o->out, o->inputs[i]);
    }
    if (o->valid_file) {
        o->valid_name = strcmp(o->valid_file, "-") ? o->valid_file : "stdin";
        o->valid_file = rewindable(o->out, o->valid_file);
    }
}

/* ---- main --------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    struct timespec t0;
    prep_stats_t st = {0};
    prep_opts_t o = {0};
    drnn_set_prog("drnn-prep");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    config_cli_t cli;
    prep_parse_args(argc, argv, &o, &cli);
    prepare_inputs(&o);
    prep_spm_setup(&o);
    if (o.labels)
        prep_labels_run(&o, &st);
    else if (o.pairs)
        prep_pairs_run(&o, &st);
    else if (o.tags)
        prep_tags_run(&o, &st);
    else
        prep_text_run(&o, &st);
    prep_cleanup(); /* the spooled inputs */
    prep_spm_free(&o);
    prep_print_summary(&o, &st, seconds_since(&t0));
    free(st.label_names);
    free(st.label_counts);
    config_cli_free(&cli);
    free(o.names);
    return 0;
}
