/* fuzz_load — damaged checkpoints and weight files never crash or hang a reader (DESIGN §7).
 *
 *   fuzz_load RUN WORK N_CKPT N_MODEL SEED
 *
 * RUN is a finished run folder (config.txt, ckpt/latest, one step folder) and RUN/model.h5 its
 * drnn-export. The clean checkpoint is loaded once for reference. Then, N_CKPT times, one file
 * of the checkpoint (latest, manifest.crc32, manifest.h5 or a shard) is mutated — bit flips,
 * truncation, a range overwritten with random bytes or zeros, bytes appended, the file removed —
 * and the copy is loaded as drnn-sample/eval/export and --resume do (model_load: CRC32s first,
 * then libhdf5). Every load must either fail with 65 and a message naming a file of the copy, or
 * (a mutation that changes nothing the reader uses, e.g. a hex digit's case in `latest`) succeed
 * with the reference parameters bit for bit. N_MODEL times, model.h5 is mutated and given to
 * --init-from (lm_init_from_file: checked in a child process first): 0 or 65, never a crash; 0
 * only with finite weights. Meant to run under ASan + UBSan (label "unit"). Exit 0 if all held. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/corpus.h"
#include "model/lm.h"
#include "trainer/train.h"
#include "trainer/model_load.h"

typedef struct {
    char rel[256]; /* path below the run folder */
    unsigned char *data;
    size_t len;
} blob_t;

static int failures;
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "FAIL: " __VA_ARGS__);                                                     \
        fputc('\n', stderr);                                                                       \
        if (++failures > 20) exit(1);                                                              \
    } while (0)

static uint64_t rng_state;
static uint64_t next(void) { /* splitmix64: the mutation choices only */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static size_t below(size_t n) {
    return n ? (size_t)(next() % n) : 0;
}

static int slurp(const char *path, blob_t *b) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b->data = malloc((size_t)n + 1);
    b->len = b->data && fread(b->data, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
    fclose(f);
    return b->len == (size_t)n ? 0 : -1;
}

static void spill(const char *path, const unsigned char *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "fuzz_load: cannot write %s: %s\n", path, strerror(errno));
        exit(2);
    }
}

/* Mutates a copy of b into *out (*outlen), changing at least one byte, or removes it (returns 1:
 * do not write the file). kind names the mutation. */
static int mutate(const blob_t *b, unsigned char *out, size_t *outlen, const char **kind,
                  int allow_remove) {
    memcpy(out, b->data, b->len);
    *outlen = b->len;
    for (;;) {
        switch (below(allow_remove ? 6 : 5)) {
        case 0: { /* 1..16 distinct bit flips */
            *kind = "bit flips";
            size_t k = 1 + below(16);
            for (size_t i = 0; i < k; i++) out[below(b->len)] ^= (unsigned char)(1u << below(8));
            break;
        }
        case 1:
            *kind = "truncation";
            *outlen = below(b->len);
            break;
        case 2: { /* a range of random bytes */
            *kind = "random range";
            size_t at = below(b->len), n = 1 + below(256);
            for (size_t i = at; i < b->len && i < at + n; i++) out[i] = (unsigned char)next();
            break;
        }
        case 3: { /* a range zeroed */
            *kind = "zeroed range";
            size_t at = below(b->len), n = 1 + below(4096);
            for (size_t i = at; i < b->len && i < at + n; i++) out[i] = 0;
            break;
        }
        case 4: { /* bytes appended */
            *kind = "appended bytes";
            size_t n = 1 + below(64);
            for (size_t i = 0; i < n; i++) out[b->len + i] = (unsigned char)next();
            *outlen = b->len + n;
            break;
        }
        default:
            *kind = "removed";
            return 1;
        }
        if (*outlen != b->len || memcmp(out, b->data, b->len) != 0) return 0;
        memcpy(out, b->data, b->len); /* the flips cancelled: try again */
    }
}

static void write_run(const char *dir, const blob_t *files, int nfiles, int skip) {
    char p[8192];
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    if (system(p) != 0 || mkdir(dir, 0755) != 0) exit(2);
    for (int i = 0; i < nfiles; i++) {
        if (i == skip) continue;
        snprintf(p, sizeof p, "%s/%s", dir, files[i].rel);
        char *slash = p + strlen(dir);
        while ((slash = strchr(slash + 1, '/')) != NULL) { /* parent folders */
            *slash = '\0';
            mkdir(p, 0755);
            *slash = '/';
        }
        spill(p, files[i].data, files[i].len);
    }
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: fuzz_load RUN WORK N_CKPT N_MODEL SEED\n");
        return 2;
    }
    const char *run = argv[1], *work = argv[2];
    long nck = atol(argv[3]), nmodel = atol(argv[4]);
    rng_state = strtoull(argv[5], NULL, 10);
    char p[8192], err[8192], line[256], name[64];
    if (strlen(run) > 3000 || strlen(work) > 3000) {
        fprintf(stderr, "fuzz_load: paths too long\n");
        return 2;
    }

    /* The run's checkpoint files, in memory. */
    blob_t files[64] = {0};
    int nfiles = 0;
    snprintf(p, sizeof p, "%s/ckpt/latest", run);
    FILE *lf = fopen(p, "r");
    if (!lf || !fgets(line, sizeof line, lf) || sscanf(line, "%63s", name) != 1) {
        fprintf(stderr, "fuzz_load: %s unreadable\n", p);
        return 2;
    }
    fclose(lf);
    snprintf(files[nfiles].rel, sizeof files[0].rel, "ckpt/latest");
    if (slurp(p, &files[nfiles++])) return 2;
    snprintf(p, sizeof p, "%s/ckpt/%s", run, name);
    DIR *d = opendir(p);
    if (!d) {
        fprintf(stderr, "fuzz_load: %s: %s\n", p, strerror(errno));
        return 2;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL && nfiles < 64;) {
        if (e->d_name[0] == '.') continue;
        snprintf(files[nfiles].rel, sizeof files[0].rel, "ckpt/%s/%.150s", name, e->d_name);
        snprintf(p, sizeof p, "%s/%s", run, files[nfiles].rel);
        if (slurp(p, &files[nfiles++])) return 2;
    }
    closedir(d);
    printf("checkpoint %s: %d files\n", name, nfiles);

    /* Reference load of the clean copy. */
    char copy[3100];
    snprintf(copy, sizeof copy, "%s/run", work);
    write_run(copy, files, nfiles, -1);
    model_file_t ref;
    if (model_load(&ref, copy, 1, 1, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_load: the clean checkpoint does not load: %s\n", err);
        return 1;
    }
    const size_t P = model_file_params(&ref)->total;

    size_t maxlen = 0;
    for (int i = 0; i < nfiles; i++) maxlen = files[i].len > maxlen ? files[i].len : maxlen;
    unsigned char *buf = malloc(maxlen + 64);
    long rejected = 0, harmless = 0, harmless_of[64] = {0};
    for (long it = 0; it < nck; it++) {
        int fi = (int)below((size_t)nfiles);
        size_t len = 0;
        const char *kind = "";
        /* Removing `latest` leaves a folder with no checkpoint: 66, tested elsewhere. */
        int removed = mutate(&files[fi], buf, &len, &kind, fi != 0);
        write_run(copy, files, nfiles, fi);
        snprintf(p, sizeof p, "%s/%s", copy, files[fi].rel);
        if (!removed) spill(p, buf, len);
        /* Odd iterations name the step folder (its manifest.crc32 counts), even ones the run. */
        char target[3400];
        snprintf(target, sizeof target, "%s/ckpt/%s", copy, name);
        model_file_t m;
        err[0] = '\0';
        int rc = model_load(&m, it % 2 ? target : copy, 1, 1, err, sizeof err);
        if (rc == 0) {
            if (model_file_params(&m)->total != P ||
                memcmp(m.params, ref.params, P * sizeof(float)))
                FAIL("%s of %s (iteration %ld): loaded, with other parameters", kind, files[fi].rel,
                     it);
            harmless++, harmless_of[fi]++;
            model_unload(&m);
        } else if (rc != 65) {
            FAIL("%s of %s (iteration %ld): exit %d, expected 65: %s", kind, files[fi].rel, it, rc,
                 err);
        } else if (!strstr(err, copy)) {
            FAIL("%s of %s (iteration %ld): message names no file of the checkpoint: %s", kind,
                 files[fi].rel, it, err);
        } else {
            rejected++;
        }
    }
    printf("checkpoints: %ld mutated, %ld rejected with 65 naming the file, %ld loaded unchanged\n",
           nck, rejected, harmless);
    for (int i = 0; i < nfiles; i++)
        if (harmless_of[i])
            printf("  loaded unchanged after mutating %s: %ld\n", files[i].rel, harmless_of[i]);
    model_unload(&ref);

    /* model.h5 given to --init-from. */
    blob_t model;
    snprintf(p, sizeof p, "%s/model.h5", run);
    if (slurp(p, &model)) {
        fprintf(stderr, "fuzz_load: %s unreadable (drnn-export the run first)\n", p);
        return 2;
    }
    train_opts_t o;
    snprintf(p, sizeof p, "%s/config.txt", run);
    char *cargv[] = {"fuzz_load", "--config", p, NULL};
    if (config_parse(&o, train_opt_spec, train_opt_count, train_opt_reserved, 3, cargv, err,
                     sizeof err) != 0) {
        fprintf(stderr, "fuzz_load: %s\n", err);
        return 2;
    }
    corpus_t *c = NULL;
    if (corpus_open(&c, o.data, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_load: %s\n", err);
        return 2;
    }
    model_desc_t cfg = {.kind = "lm",
                        .cell = cell_parse(o.cell),
                        .vocab = corpus_vocab_size(c),
                        .embed = o.embed,
                        .hidden = o.hidden,
                        .layers = o.layers};
    lm_t *lm = lm_create(&cfg, 1, 1);
    float *params = malloc(lm_params(lm)->total * sizeof(float));
    unsigned char *mbuf = malloc(model.len + 64);
    char mpath[3100];
    snprintf(mpath, sizeof mpath, "%s/model.h5", work);
    snprintf(o.init_from, sizeof o.init_from, "%s", mpath);
    long m65 = 0, m0 = 0;
    for (long it = 0; it < nmodel; it++) {
        size_t len = 0;
        const char *kind = "";
        mutate(&model, mbuf, &len, &kind, 0);
        spill(mpath, mbuf, len);
        err[0] = '\0';
        int rc = init_from_file(params, lm_params(lm), &cfg, &o, c, err, sizeof err);
        if (rc == 65 && strstr(err, mpath)) {
            m65++;
        } else if (rc == 0) {
            m0++; /* flips inside float data: no CRC can tell (the file has none) */
            for (size_t i = 0; i < lm_params(lm)->total; i++)
                if (params[i] != params[i] || params[i] - params[i] != 0.0f) {
                    FAIL("model.h5 %s (iteration %ld): loaded non-finite weights", kind, it);
                    break;
                }
        } else {
            FAIL("model.h5 %s (iteration %ld): exit %d, expected 65 naming the file: %s", kind, it,
                 rc, err);
        }
    }
    printf("model.h5 for --init-from: %ld mutated, %ld rejected with 65, %ld loaded (data-only "
           "damage)\n",
           nmodel, m65, m0);
    free(buf), free(mbuf), free(params), free(model.data);
    for (int i = 0; i < nfiles; i++) free(files[i].data);
    lm_free(lm);
    corpus_close(c);
    if (failures) fprintf(stderr, "fuzz_load: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
