/* drnn-export — one trained model to one model.h5 whose datasets are PyTorch state_dict keys
 * (DESIGN §1, §4, §8): a float32 dataset per tensor, /vocab (/labels, /tgt_vocab, /spm_model,
 * /tgt_spm_model as the model has them), and the model attributes, so that
 *
 *     sd = {k: torch.from_numpy(f[k][...]) for k in f if f[k].dtype.kind == "f"}
 *     model.load_state_dict(sd, strict=True)
 *
 * works on the equivalent torch module. The input is a run folder (its newest complete checkpoint),
 * a step-N checkpoint folder or a model.h5 (trainer/model_load.c resolves the argument). Written
 * under a temporary name, fsynced and renamed. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/fsutil.h"
#include "io/weights.h"
#include "base/config.h"
#include "trainer/model_load.h"

typedef struct {
    char output[4096];
    int help, best;
} export_opts_t;

#define OFF(f) offsetof(export_opts_t, f)
static const opt_spec_t spec[] = {
    {"output", OPT_STR, OFF(output), sizeof(((export_opts_t *)0)->output), NULL, 0, 0,
     "output file OUT.h5; built as OUT.h5.tmp.PID and renamed when complete", 0, "OUT.h5"},
    {"best", OPT_FLAG, OFF(best), 0, NULL, 0, 1, "export the run's best checkpoint (RUN/ckpt/best)",
     0, NULL},
    {"help", OPT_FLAG, OFF(help), 0, NULL, 0, 1, "print this help", 0, NULL},
};
#define NSPEC ((int)(sizeof spec / sizeof spec[0]))
static const opt_alias_t aliases[] = {{'o', "output"}, {'h', "help"}, {0, NULL}};

static void usage(void) {
    printf("usage: drnn-export RUN|CKPT|MODEL.h5 -o OUT.h5     (RUN --best: its best checkpoint)\n"
           "\n"
           "Writes the model of a run folder (its newest complete checkpoint), of a checkpoint\n"
           "(RUN/ckpt/step-00001000) or of a model file as one HDF5 file for\n"
           "PyTorch: a float32 dataset per tensor named by its state_dict key (embedding.weight,\n"
           "rnn.weight_ih_l0, ..., decoder.weight, decoder.bias), /vocab, and the attributes "
           "format,\n"
           "version, model, cell, embed, hidden, layers, bidirectional, tokenizer, vocab_size.\n"
           "An adaptive-softmax LM has decoder.head.weight, decoder.tail.{i}.{0,1}.weight\n"
           "instead of decoder.weight, decoder.bias, and the attributes softmax, cutoffs,\n"
           "div_value (nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs, div_value, head_bias=False)).\n"
           "\n"
           "options:\n");
    config_usage_cli(stdout, spec, NSPEC, aliases);
    printf("\nExit codes: 0 done, 64 usage, 65 damaged or unsupported model, 66 input missing,\n"
           "74 cannot write.\n");
}

/* An spm model's SentencePiece model beside OUT: OUT without ".h5", then ".model" (a pair
 * model's own target model: ".tgt.model"), written to a temporary and renamed. */
static void write_spm(const char *out, int side, const void *bytes, size_t len) {
    char path[4200], tmp[4300];
    size_t n = strlen(out);
    if (n > 3 && strcmp(out + n - 3, ".h5") == 0) n -= 3;
    snprintf(path, sizeof path, "%.*s%s", (int)n, out, side ? ".tgt.model" : ".model");
    FILE *f = fs_tmp_fopen(tmp, sizeof tmp, path);
    if (!f) drnn_die(74, "--output: cannot write %s: %s", path, strerror(errno));
    int bad = fwrite(bytes, 1, len, f) != len;
    if (fs_tmp_fclose(f) != 0 || bad) {
        int e = errno;
        fs_tmp_discard(NULL, tmp);
        drnn_die(74, "--output: cannot write %s (%s)", path, fs_write_reason(e, path, len));
    }
    if (fs_tmp_commit(tmp, path) == -1)
        drnn_die(74, "--output: cannot put %s in place: %s", path, strerror(errno));
    printf("wrote %s: its SentencePiece model\n", path);
}

int main(int argc, char **argv) {
    char err[8192];
    export_opts_t o;
    config_cli_t cli = {aliases, 1, NULL, 0, NULL};
    drnn_set_prog("drnn-export");
    int rc = config_parse_cli(&o, spec, NSPEC, NULL, &cli, argc, argv, err, sizeof err);
    if (rc) drnn_die(rc, "%s", err);
    if (o.help) {
        usage();
        return 0;
    }
    if (cli.nargs == 0) drnn_die(64, "name the run folder or model.h5 to export; see --help");
    if (cli.nargs > 1)
        drnn_die(64, "unexpected argument '%s': export one model at a time", cli.args[1]);
    if (!o.output[0]) drnn_die(64, "missing -o OUT.h5; see --help");
    char arg[4096], in[4200];
    snprintf(arg, sizeof arg, "%s", cli.args[0]);
    snprintf(in, sizeof in, "%s", arg);
    config_cli_free(&cli);
    if (o.best && (rc = model_best_path(arg, in, sizeof in, err, sizeof err)))
        drnn_die(rc, "%s", err);
    model_file_t m;
    if ((rc = model_load(&m, in, 1, 1, err, sizeof err))) drnn_die(rc, "%s", err);
    const param_table_t *tab = model_file_params(&m);
    rc = weights_write(o.output, tab, m.params, &m.info, err, sizeof err);
    if (rc) drnn_die(rc, "--output %s", err);
    printf("wrote %s: %s %s, %d tensors, %zu parameters\n", o.output, m.info.desc.kind,
           cell_name(m.info.desc.cell), tab->n, tab->total);
    for (int side = 0; side < 2; side++)
        if (m.info.spm_len[side]) write_spm(o.output, side, m.info.spm[side], m.info.spm_len[side]);
    model_unload(&m);
    return fflush(stdout) == 0 ? 0 : 74;
}
