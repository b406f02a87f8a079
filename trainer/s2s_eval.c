#include "trainer/s2s_eval.h"

#include <math.h>
#include <stdlib.h>

#include "model/util.h"

int s2s_eval_pairs(const s2s_eval_t *e, const float *params, const s2s_pairs_t *p, double *sums) {
    const int Bmax = e->batch->Bmax;
    s2s_score_t *ids = s2s_score_new(), *text = s2s_score_new();
    char *hb = NULL, *rb = NULL;
    size_t hc = 0, rc = 0;
    int bad = 0;
    search_hyp_t *hyp = model_calloc((size_t)Bmax * search_n_best(e->search), sizeof *hyp);
    for (uint64_t i = 0; i < p->n; i += (uint64_t)Bmax) {
        int m = p->n - i < (uint64_t)Bmax ? (int)(p->n - i) : Bmax;
        s2s_batch_fill(e->batch, p, i, m);
        const seq2seq_batch_t *bt = &e->batch->bt;
        sums[S2S_EVAL_LOSS] += seq2seq_forward(e->m, params, bt, 0);
        sums[S2S_EVAL_TGT] += (double)e->batch->tgt_tokens;
        sums[S2S_EVAL_TOKENS] += (double)e->batch->tokens;
        search_run(e->search, params, bt->src, bt->src_lens, bt->Ts, m, hyp);
        for (int j = 0; j < m; j++) {
            const search_hyp_t *h = &hyp[(size_t)j * search_n_best(e->search)];
            const uint32_t *ref = p->tgt + p->toff[i + j];
            int rl = (int)(p->toff[i + j + 1] - p->toff[i + j]);
            int hl = h->len - (h->len > 0 && h->tokens[h->len - 1] == S2S_EOS);
            const char *ht = s2s_ids_text(e->tgt_vocab, h->tokens, hl, e->spaced, &hb, &hc);
            const char *rt = s2s_ids_text(e->tgt_vocab, ref, rl, e->spaced, &rb, &rc);
            s2s_score_add_ids(ids, h->tokens, (size_t)hl, ref, (size_t)rl);
            s2s_score_add_text(text, ht, rt);
            if (e->hyp && fprintf(e->hyp, "%s\n", ht) < 0) bad = 1;
            if (e->ref && fprintf(e->ref, "%s\n", rt) < 0) bad = 1;
        }
    }
    uint64_t c[S2S_SCORE_NCOUNTS];
    s2s_score_counts(ids, c);
    for (int j = 0; j < S2S_SCORE_NCOUNTS; j++) sums[S2S_EVAL_IDS + j] += (double)c[j];
    s2s_score_counts(text, c);
    for (int j = 0; j < S2S_SCORE_NCOUNTS; j++) sums[S2S_EVAL_TEXT + j] += (double)c[j];
    s2s_score_free(ids), s2s_score_free(text);
    free(hb), free(rb), free(hyp);
    return bad ? 74 : 0;
}

void s2s_eval_format(const double *sums, char *text, size_t tn, char *json, size_t jn) {
    uint64_t c[S2S_SCORE_NCOUNTS];
    s2s_score_result_t ids, txt;
    for (int j = 0; j < S2S_SCORE_NCOUNTS; j++) c[j] = (uint64_t)sums[S2S_EVAL_IDS + j];
    s2s_score_from_counts(&ids, c);
    for (int j = 0; j < S2S_SCORE_NCOUNTS; j++) c[j] = (uint64_t)sums[S2S_EVAL_TEXT + j];
    s2s_score_from_counts(&txt, c);
    double loss = sums[S2S_EVAL_TGT] > 0 ? sums[S2S_EVAL_LOSS] / sums[S2S_EVAL_TGT] : NAN;
    snprintf(text, tn, "loss %.4f | ppl %.3f | exact %.4f | edit %.4f | BLEU %.2f (%llu pairs)",
             loss, exp(loss), ids.exact_match, ids.edit_rate, txt.bleu,
             (unsigned long long)ids.pairs);
    snprintf(json, jn,
             "\"loss\": %.9g, \"ppl\": %.9g, \"exact_match\": %.9g, \"edit_rate\": %.9g, "
             "\"bleu\": %.9g, \"bp\": %.9g, \"pairs\": %llu, \"tokens\": %.17g",
             loss, exp(loss), ids.exact_match, ids.edit_rate, txt.bleu, txt.bp,
             (unsigned long long)ids.pairs, sums[S2S_EVAL_TGT]);
}
