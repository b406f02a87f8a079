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
#include "tests/mutate.h"
#include "trainer/train.h"
#include "trainer/model_load.h"

typedef struct {
    char rel[256]; /* path below the run folder */
    unsigned char *data;
    size_t len;
} blob_t;

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
        mut_write(p, files[i].data, files[i].len);
    }
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: fuzz_load RUN WORK N_CKPT N_MODEL SEED\n");
        return 2;
    }
    const char *run = argv[1], *work = argv[2];
    long nck = atol(argv[3]), nmodel = atol(argv[4]);
    mut_seed(strtoull(argv[5], NULL, 10));
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
    if (mut_read(p, &files[nfiles].data, &files[nfiles].len)) return 2;
    nfiles++;
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
        if (mut_read(p, &files[nfiles].data, &files[nfiles].len)) return 2;
        nfiles++;
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
        int fi = (int)mut_below((size_t)nfiles);
        size_t len = 0;
        const char *kind = "";
        /* Removing `latest` leaves a folder with no checkpoint: 66, tested elsewhere. */
        int removed = mut_apply(files[fi].data, files[fi].len, buf, &len, &kind, fi != 0);
        write_run(copy, files, nfiles, fi);
        snprintf(p, sizeof p, "%s/%s", copy, files[fi].rel);
        if (!removed) mut_write(p, buf, len);
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
    if (mut_read(p, &model.data, &model.len)) {
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
        mut_apply(model.data, model.len, mbuf, &len, &kind, 0);
        mut_write(mpath, mbuf, len);
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
    if (fuzz_failures) fprintf(stderr, "fuzz_load: %d failure(s)\n", fuzz_failures);
    return fuzz_failures ? 1 : 0;
}
