#include "tools/attention_out.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "io/fsutil.h"
#include "io/metrics.h"

struct attention_out {
    FILE *f;
    char path[4096], tmp[4200];
};

/* Removes the temporary and dies naming the flag, the file and why (errno e). */
static void fail(attention_out_t *a, const char *what, int e) {
    fs_tmp_discard(a->f, a->tmp);
    drnn_die(74, "--attention-out %s: cannot %s: %s", a->path, what,
             fs_write_reason(e, a->path, 0));
}

attention_out_t *attention_out_open(const char *path) {
    if (!path || !path[0]) return NULL;
    attention_out_t *a = drnn_calloc(1, sizeof *a);
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path)
        fail(a, "create it", ENAMETOOLONG);
    if (!(a->f = fs_tmp_fopen(a->tmp, sizeof a->tmp, path))) fail(a, "create it", errno);
    return a;
}

attention_out_t *attention_out_open_self(const char *path, int heads, const char *model_path) {
    if (!path || !path[0]) return NULL;
    if (heads <= 0)
        drnn_die(64,
                 "--attention-out: %s has no self-attention block to draw (train with "
                 "--self-attention HEADS)",
                 model_path);
    return attention_out_open(path);
}

/* "[w1, w2, ...]" of n ids named by v. */
static int words(FILE *f, const char *const *v, const uint32_t *ids, int n) {
    int bad = fputc('[', f) == EOF;
    for (int i = 0; i < n; i++)
        bad |= fputs(i ? ", " : "", f) < 0 || json_write_string(f, v[ids[i]]) < 0;
    return bad | (fputc(']', f) == EOF);
}

void attention_out_line(attention_out_t *a, uint64_t lineno, const char *const *sv,
                        const uint32_t *src, int slen, const char *const *tv, const uint32_t *tgt,
                        int tlen, const float *att) {
    if (!a) return;
    FILE *f = a->f;
    int bad = fprintf(f, "{\"line\": %llu, \"source\": ", (unsigned long long)lineno) < 0;
    bad |= words(f, sv, src, slen);
    bad |= fputs(", \"target\": ", f) < 0;
    bad |= words(f, tv, tgt, tlen);
    bad |= fputs(", \"attention\": [", f) < 0;
    for (int i = 0; i < tlen && !bad; i++) {
        bad |= fputs(i ? ", [" : "[", f) < 0;
        for (int j = 0; j < slen; j++)
            bad |= fprintf(f, "%s%.6g", j ? ", " : "", att[(size_t)i * slen + j]) < 0;
        bad |= fputc(']', f) == EOF;
    }
    bad |= fputs("]}\n", f) < 0;
    if (bad) fail(a, "write it", errno);
}

void attention_out_commit(attention_out_t *a) {
    if (!a) return;
    FILE *f = a->f;
    a->f = NULL;
    if (fs_tmp_fclose(f) != 0) fail(a, "write it", errno);
    int c = fs_tmp_commit(a->tmp, a->path);
    a->tmp[0] = '\0'; /* gone: renamed, or removed by fs_tmp_commit */
    if (c != 0) fail(a, c == -1 ? "put it in place" : "sync its folder", errno);
    free(a);
}
