#include "trainer/model_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/ckpt.h"
#include "io/h5util.h"
#include "io/tokenize.h"
#include "base/util.h"
#include "kinds/kinds.h"

int model_resolve_path(const char *arg, char *path, size_t len, int *is_ckpt, char *err,
                       size_t errlen) {
    struct stat st;
    *is_ckpt = 0;
    if (!arg[0])
        return drnn_errf(err, errlen, 64,
                         "no model named: give a run folder, a checkpoint or a model.h5");
    if (stat(arg, &st) != 0) return drnn_errf(err, errlen, 66, "%s: %s", arg, strerror(errno));
    if (snprintf(path, len, "%s", arg) >= (int)len)
        return drnn_errf(err, errlen, 64, "%s: path too long", arg);
    if (ckpt_is_pointer(arg)) { /* RUN/ckpt/best or RUN/ckpt/latest */
        *is_ckpt = 1;
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) return 0;
    if (ckpt_is_checkpoint(arg)) {
        *is_ckpt = 1;
        return 0;
    }
    /* Runs of drnn before checkpoints ended with RUN/model.h5. */
    if (snprintf(path, len, "%s/model.h5", arg) >= (int)len)
        return drnn_errf(err, errlen, 64, "%s: path too long", arg);
    if (stat(path, &st) != 0)
        return drnn_errf(err, errlen, 66,
                         "%s: no checkpoint in this folder (has the run written one? see "
                         "--checkpoint-every)",
                         arg);
    return 0;
}

/* A malloc'd copy of n strings (NULL when n is 0 or out of memory). */
static char **copy_strings(const char *const *src, int n) {
    if (n <= 0 || !src) return NULL;
    char **out = calloc((size_t)n, sizeof *out);
    for (int i = 0; out && i < n; i++)
        if (!(out[i] = strdup(src[i]))) {
            h5_free_strings(out, i);
            return NULL;
        }
    return out;
}

/* Builds the model m->info describes and allocates its parameters. */
static int build(model_file_t *m, int Tmax, int Bmax, char *err, size_t errlen) {
    const drnn_kind_t *kind = kinds_find(m->info.desc.kind);
    tok_kind_t tk;
    if (!kind || tok_kind_parse(m->info.tokenizer, &tk) != 0)
        return drnn_errf(err, errlen, 65,
                         "%s: model=%.15s tokenizer=%.15s is not a model this "
                         "drnn can run",
                         m->path, m->info.desc.kind, m->info.tokenizer);
    int rc = model_validate(kind->model, &m->info.desc, m->path, err, errlen);
    if (rc) return rc;
    m->ops = kind->model;
    m->model = m->ops->create(&m->info.desc, Tmax, Bmax);
    size_t P = model_file_params(m)->total;
    m->params = malloc(P * sizeof(float));
    if (!m->params)
        return drnn_errf(err, errlen, 70, "%s: out of memory for %zu parameters", m->path, P);
    return 0;
}

/* The weights of checkpoint DIR (CRCs verified before libhdf5 parses a byte) into *m. */
static int load_ckpt(model_file_t *m, const char *dir, int Tmax, int Bmax, char *err,
                     size_t errlen) {
    ckpt_t *ck = NULL;
    int rc = ckpt_open(&ck, dir, err, errlen);
    if (rc) return rc;
    const ckpt_meta_t *cm = ckpt_meta(ck);
    snprintf(m->path, sizeof m->path, "%s", ckpt_dir(ck));
    m->info.desc = cm->desc;
    snprintf(m->info.tokenizer, sizeof m->info.tokenizer, "%s", cm->tokenizer);
    m->info.vocab = copy_strings(ckpt_vocab(ck), cm->desc.vocab);
    m->info.labels = copy_strings(ckpt_labels(ck), cm->desc.classes);
    m->info.tgt_vocab = copy_strings(ckpt_tgt_vocab(ck), cm->desc.tgt_vocab);
    int oom = 0;
    for (int k = 0; k < 2; k++)
        oom |= model_info_set_spm(&m->info, k, ckpt_info(ck)->spm[k], ckpt_info(ck)->spm_len[k]);
    if (oom || !m->info.vocab || (cm->desc.classes && !m->info.labels) ||
        (cm->desc.tgt_vocab && !m->info.tgt_vocab)) {
        rc = drnn_errf(err, errlen, 70, "out of memory");
        goto out;
    }
    if ((rc = build(m, Tmax, Bmax, err, errlen))) goto out;
    /* A tensor table that does not describe the model its own attributes name: damaged. */
    if (ckpt_check_table(ck, model_file_params(m), err, errlen) != 0) {
        rc = 65;
        goto out;
    }
    rc = ckpt_read(ck, m->params, 0, NULL, NULL, NULL, NULL, err, errlen);
out:
    ckpt_close(ck);
    return rc;
}

int model_best_path(const char *run, char *path, size_t len, char *err, size_t errlen) {
    if (snprintf(path, len, "%s/ckpt/best", run) >= (int)len)
        return drnn_errf(err, errlen, 64, "--best: %s: path too long", run);
    if (!ckpt_is_pointer(path))
        return drnn_errf(err, errlen, 66,
                         "--best: %s has no best checkpoint (%s); train with --keep-best or "
                         "--early-stop, or name a checkpoint",
                         run, path);
    return 0;
}

int model_load(model_file_t *m, const char *arg, int Tmax, int Bmax, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    int is_ckpt = 0;
    int rc = model_resolve_path(arg, m->path, sizeof m->path, &is_ckpt, err, errlen);
    if (!rc && is_ckpt) {
        rc = load_ckpt(m, arg, Tmax, Bmax, err, errlen);
        if (rc) model_unload(m);
        return rc;
    }
    if (!rc) rc = weights_validate_isolated(m->path, NULL, err, errlen);
    if (!rc) rc = weights_read_meta(m->path, &m->info, err, errlen);
    if (!rc) rc = build(m, Tmax, Bmax, err, errlen);
    if (!rc) rc = weights_validate_isolated(m->path, model_file_params(m), err, errlen);
    if (!rc) rc = weights_read_params(m->path, model_file_params(m), m->params, err, errlen);
    if (rc) model_unload(m);
    return rc;
}

void model_unload(model_file_t *m) {
    model_info_free(&m->info);
    if (m->ops && m->model) m->ops->destroy(m->model);
    free(m->params);
    memset(m, 0, sizeof *m);
}

const param_table_t *model_file_params(const model_file_t *m) {
    return m->ops->params(m->model);
}

/* Untrusted text for a one-line message: at most 40 bytes, control bytes as '?'. */
static const char *shown(const char *s, char *buf, size_t len) {
    size_t i = 0;
    for (; s[i] && i + 1 < len && i < 40; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

/* Entry by entry, n strings of the model (mine) against the corpus's (theirs): 0 or 65. */
static int same_strings(char *const *mine, const char *const *theirs, int n, const char *where,
                        const char *what, const corpus_t *c, char *err, size_t errlen) {
    char a[48], b[48];
    for (int i = 0; i < n; i++)
        if (strcmp(mine[i], theirs[i]) != 0)
            return drnn_errf(err, errlen, 65,
                             "%s: %s %d is \"%s\", the corpus %s has \"%s\"; its ids would mean "
                             "other tokens",
                             where, what, i, shown(mine[i], a, sizeof a), corpus_path(c),
                             shown(theirs[i], b, sizeof b));
    return 0;
}

int model_info_match_corpus(const model_info_t *mi, const char *where, const corpus_t *c, char *err,
                            size_t errlen) {
    if (strcmp(mi->tokenizer, corpus_tokenizer(c)) != 0) {
        char a[48];
        return drnn_errf(err, errlen, 65, "%s: tokenizer %s, but the corpus %s uses %s", where,
                         shown(mi->tokenizer, a, sizeof a), corpus_path(c), corpus_tokenizer(c));
    }
    if (mi->desc.vocab != corpus_vocab_size(c))
        return drnn_errf(err, errlen, 65,
                         "%s: vocab_size %d, but the corpus %s has %d tokens; its ids would mean "
                         "other tokens",
                         where, mi->desc.vocab, corpus_path(c), corpus_vocab_size(c));
    int rc = same_strings(mi->vocab, corpus_vocab(c), mi->desc.vocab, where, "/vocab entry", c, err,
                          errlen);
    if (rc) return rc;
    if (mi->desc.classes != corpus_num_labels(c))
        return drnn_errf(err, errlen, 65, "%s: %d classes, but the corpus %s has %d labels", where,
                         mi->desc.classes, corpus_path(c), corpus_num_labels(c));
    rc = same_strings(mi->labels, corpus_label_names(c), mi->desc.classes, where, "label", c, err,
                      errlen);
    if (rc) return rc;
    if (mi->desc.tgt_vocab != corpus_tgt_vocab_size(c))
        return drnn_errf(err, errlen, 65,
                         "%s: target vocabulary of %d entries, but the corpus %s has %d; its ids "
                         "would mean other tokens",
                         where, mi->desc.tgt_vocab, corpus_path(c), corpus_tgt_vocab_size(c));
    return same_strings(mi->tgt_vocab, corpus_tgt_vocab(c), mi->desc.tgt_vocab, where,
                        "/tgt_vocab entry", c, err, errlen);
}
