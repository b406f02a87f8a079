#include "tools/attention_out.h"

#include "base/util.h"
#include "io/metrics.h"

/* "[w1, w2, ...]" of n ids named by v. */
static int words(FILE *f, const char *const *v, const uint32_t *ids, int n) {
    int bad = fputc('[', f) == EOF;
    for (int i = 0; i < n; i++)
        bad |= fputs(i ? ", " : "", f) < 0 || json_write_string(f, v[ids[i]]) < 0;
    return bad | (fputc(']', f) == EOF);
}

int attention_out_line(FILE *f, uint64_t lineno, const char *const *sv, const uint32_t *src,
                       int slen, const char *const *tv, const uint32_t *tgt, int tlen,
                       const float *att) {
    int bad = fprintf(f, "{\"line\": %llu, \"source\": ", (unsigned long long)lineno) < 0;
    bad |= words(f, sv, src, slen);
    bad |= fputs(", \"target\": ", f) < 0;
    bad |= words(f, tv, tgt, tlen);
    bad |= fputs(", \"attention\": [", f) < 0;
    for (int i = 0; i < tlen; i++) {
        bad |= fputs(i ? ", [" : "[", f) < 0;
        for (int j = 0; j < slen; j++)
            bad |= fprintf(f, "%s%.6g", j ? ", " : "", att[(size_t)i * slen + j]) < 0;
        bad |= fputc(']', f) == EOF;
    }
    bad |= fputs("]}\n", f) < 0;
    return bad ? -1 : 0;
}

FILE *attention_out_open_self(const char *path, int heads, const char *model_path) {
    if (!path[0]) return NULL;
    if (heads <= 0)
        drnn_die(64,
                 "--attention-out: %s has no self-attention block to draw (train with "
                 "--self-attention HEADS)",
                 model_path);
    FILE *f = fopen(path, "w");
    if (!f) drnn_die(74, "--attention-out %s: cannot create", path);
    return f;
}

void attention_out_close(FILE *f, const char *path) {
    if (f && fclose(f) != 0) drnn_die(74, "--attention-out %s: cannot write", path);
}
