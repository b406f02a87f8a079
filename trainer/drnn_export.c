/* drnn-export — one trained model to one model.h5 whose datasets are PyTorch state_dict keys
 * (DESIGN §1, §4, §8): a float32 dataset per tensor, /vocab, and the model attributes, so that
 *
 *     sd = {k: torch.from_numpy(f[k][...]) for k in f if k != "vocab"}
 *     model.load_state_dict(sd, strict=True)
 *
 * works on the equivalent torch module. The input is a run folder (its newest complete checkpoint),
 * a step-N checkpoint folder or a model.h5 (trainer/model_load.c resolves the argument). Written
 * under a temporary name, fsynced and renamed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/weights.h"
#include "trainer/model_load.h"

static const char USAGE[] =
    "usage: drnn-export RUN|CKPT|MODEL.h5 -o OUT.h5\n"
    "\n"
    "Writes the model of a run folder (its newest complete checkpoint), of a checkpoint\n"
    "(RUN/ckpt/step-00001000) or of a model file as one HDF5 file for\n"
    "PyTorch: a float32 dataset per tensor named by its state_dict key (embedding.weight,\n"
    "rnn.weight_ih_l0, ..., decoder.weight, decoder.bias), /vocab, and the attributes format,\n"
    "version, model, cell, embed, hidden, layers, bidirectional, tokenizer, vocab_size.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT.h5    output file; built as OUT.h5.tmp.PID and renamed when complete\n"
    "  -h, --help             print this help\n"
    "\n"
    "Exit codes: 0 done, 64 usage, 65 damaged or unsupported model, 66 input missing,\n"
    "74 cannot write.\n";

static int die(int code, const char *msg) {
    fprintf(stderr, "drnn-export: %s\n", msg);
    return code;
}

/* Takes RUN|MODEL.h5 and -o OUT / --output OUT / --output=OUT; returns 0 or 64 (message in err). */
static int parse_args(int argc, char **argv, const char **in, const char **out, char *err,
                      size_t errlen) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "%s needs a file name; see --help", a);
                return 64;
            }
            *out = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            *out = a + 9;
        } else if (a[0] == '-' && a[1] != '\0') {
            snprintf(err, errlen, "unknown option %s; see --help", a);
            return 64;
        } else if (*in) {
            snprintf(err, errlen, "unexpected argument '%s': export one model at a time", a);
            return 64;
        } else {
            *in = a;
        }
    }
    if (!*in)
        snprintf(err, errlen, "name the run folder or model.h5 to export; see --help");
    else if (!*out || !(*out)[0])
        snprintf(err, errlen, "missing -o OUT.h5; see --help");
    else
        return 0;
    return 64;
}

int main(int argc, char **argv) {
    char err[8192];
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return 0;
        }
    int rc = parse_args(argc, argv, &in, &out, err, sizeof err);
    if (rc) return die(rc, err);
    model_file_t m;
    if ((rc = model_load(&m, in, 1, 1, err, sizeof err))) return die(rc, err);
    const param_table_t *tab = model_file_params(&m);
    rc = weights_write(out, tab, m.params, &m.info, err, sizeof err);
    if (!rc)
        printf("wrote %s: %s %s, %d tensors, %zu parameters\n", out, m.info.desc.kind,
               cell_name(m.info.desc.cell), tab->n, tab->total);
    model_unload(&m);
    if (rc) return die(rc, err);
    return fflush(stdout) == 0 ? 0 : 74;
}
