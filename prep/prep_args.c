/* prep/prep_args.c — drnn-prep's command line: its option table, --help, and the checks of
 * option combinations (64 with a message naming the options). */
#include "prep/prep.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
typedef struct {
    char output[PATH_MAX], valid[PATH_MAX], tokenizer[16], format[16];
    char spm_model[PATH_MAX], spm_type[16], spm_args[1024];
    uint64_t vocab_size, max_len;
    double valid_fraction, test_fraction, character_coverage;
    int shared_vocab, keep_cr, spm_joint, help;
} prep_args_t;

#define OFF(f) offsetof(prep_args_t, f)
#define STR(f) OPT_STR, OFF(f), sizeof(((prep_args_t *)0)->f)
static const opt_spec_t spec[] = {
    {"output", STR(output), NULL, 0, 0,
     "output file OUT.h5; built as OUT.h5.tmp.PID and renamed when complete", 0, "OUT.h5"},
    {"tokenizer", STR(tokenizer), "char", 0, 0,
     "byte, char, word or spm (SentencePiece subwords; see below);\npairs: default word; "
     "tags: word (default) or char",
     0, "byte|char|word|spm"},
    {"vocab-size", OPT_U64, OFF(vocab_size), 0, NULL, 1, INT32_MAX,
     "keep the N most frequent train symbols, the specials included;\n"
     "the rest become <unk> (char, word, pairs; default: all);\n"
     "pairs: N caps each vocabulary; spm: the pieces of the model\nto train (default 8000)",
     0, "N"},
    {"spm-model", STR(spm_model), NULL, 0, 0,
     "spm: tokenize with this SentencePiece .model (from spm_train,\nthe Python package or "
     "drnn-export) instead of training one",
     0, "FILE"},
    {"spm-type", STR(spm_type), "unigram", 0, 0, "spm: the model to train", 0,
     "unigram|bpe|char|word"},
    {"character-coverage", OPT_DOUBLE, OFF(character_coverage), 0, "0.9995", 0.5, 1,
     "spm: share of the characters the trained model covers;\nthe rarest others become <unk>", 0,
     "X"},
    {"spm-joint", OPT_FLAG, OFF(spm_joint), 0, NULL, 0, 1,
     "spm, pairs: one model and vocabulary for source and target\n(default: one per side)", 0,
     NULL},
    {"spm-args", STR(spm_args), NULL, 0, 0,
     "spm: more spm_train flags for training, e.g.\n'--byte_fallback=true --num_threads=8'", 0,
     "'FLAGS'"},
    {"valid-fraction", OPT_DOUBLE, OFF(valid_fraction), 0, "0.05", 0, 1,
     "share of the tokens (labels, pairs, tags: of the examples)\nfor valid, taken after train", 0,
     "F"},
    {"test-fraction", OPT_DOUBLE, OFF(test_fraction), 0, "0", 0, 1,
     "share of the tokens (labels, pairs, tags: of the examples)\nfor test, taken last", 0, "F"},
    {"valid", STR(valid), NULL, 0, 0,
     "valid split from FILE (same format as INPUT)\ninstead of --valid-fraction", 0, "FILE"},
    {"format", STR(format), "text", 0, 0,
     "text; labels: lines 'label<TAB>text';\npairs: lines 'source<TAB>target' (seq2seq);\n"
     "tags: lines 'w1 ... wn<TAB>t1 ... tn' (sequence tagging)",
     0, "text|labels|pairs|tags"},
    {"shared-vocab", OPT_FLAG, OFF(shared_vocab), 0, NULL, 0, 1,
     "pairs: one vocabulary for source and target,\ncounted over both sides", 0, NULL},
    {"max-len", OPT_U64, OFF(max_len), 0, NULL, 1, INT32_MAX,
     "pairs: drop pairs with more than N tokens on a side\n(default: no limit)", 0, "N"},
    {"keep-cr", OPT_FLAG, OFF(keep_cr), 0, NULL, 0, 1,
     "keep a CR before a newline or at the end of a file\n(default: dropped, CRLF read as LF; "
     "not with tags)",
     0, NULL},
    {"help", OPT_FLAG, OFF(help), 0, NULL, 0, 1, "print this help", 0, NULL},
};
#define NSPEC ((int)(sizeof spec / sizeof spec[0]))
static const opt_alias_t aliases[] = {{'o', "output"}, {'h', "help"}, {0, NULL}};

static void usage(void) {
    printf("usage: drnn-prep [options] -o OUT.h5 INPUT...\n"
           "\n"
           "Tokenizes text into a drnn corpus (HDF5: /vocab and /train, /valid, /test token ids).\n"
           "INPUT is a text file, a .gz file or - for stdin; several INPUTs are joined as by cat.\n"
           "The tokens are split in order: train | valid | test.\n"
           "\n"
           "options:\n");
    config_usage_cli(stdout, spec, NSPEC, aliases);
    printf("\n"
           "Tokenizers: byte: the 256 byte values, id = byte value; char: UTF-8 code points, a\n"
           "byte that is not valid UTF-8 being a symbol of its own; word: runs of non-whitespace,\n"
           "every newline is the token <eos>.\n"
           "spm: SentencePiece subword pieces, from --spm-model FILE or a model trained on the\n"
           "inputs' lines (--vocab-size, --spm-type, --character-coverage, --spm-args; one\n"
           "thread, so the same text and options give the same model). Every line is encoded\n"
           "by the model, then <eos> (id 1) for its newline; ids are the model's own ids\n"
           "when drnn-prep trained it (specials: <unk> 0, </s> 1; pairs: <unk> 0, <pad> 1,\n"
           "<s> 2, </s> 3), else drnn's specials first and the other pieces in the model's\n"
           "order. The model is stored in the corpus (/spm_model; pairs without --spm-joint\n"
           "also /tgt_spm_model) and goes on into checkpoints and model.h5.\n"
           "Split sizes are N*F rounded to the nearest token. Ids: specials first, then by\n"
           "descending frequency in the train split, ties in byte order; symbols unseen in train\n"
           "become <unk>.\n"
           "CRLF: in every format a CR that stands right before a newline or ends a file is\n"
           "dropped, as if the file had LF line endings; the summary counts them. --keep-cr\n"
           "keeps them (the char and byte tokenizers then see a CR symbol).\n"
           "\n"
           "--format labels: every non-empty line is one example, 'label<TAB>text' (the text is\n"
           "everything after the first TAB); several INPUTs are read one after the other, each\n"
           "with its own line numbers; empty lines are skipped; a line without a TAB, with an\n"
           "empty label or an empty text is an error (65) naming the file and line. The texts\n"
           "are tokenized as above, without a newline or <eos> token; the vocabulary comes from\n"
           "the train examples' texts. The fractions take the last examples. Label ids follow\n"
           "the byte order (strcmp) of the label names seen in all inputs and the --valid file.\n"
           "The corpus adds /labels (the names) and per split /SPLIT/offsets (uint64, n+1:\n"
           "example i is tokens [offsets[i], offsets[i+1])) and /SPLIT/labels (uint32, n).\n"
           "\n"
           "--format pairs (seq2seq): every non-empty line is one pair, 'source<TAB>target',\n"
           "read like labels; a line without a TAB, with a second TAB or with a side without\n"
           "tokens is an error (65) naming the file and line. The default tokenizer is word.\n"
           "The source and the target vocabulary each start with <unk> <pad> <bos> <eos> (ids\n"
           "0-3, for byte too), then the symbols of the train pairs by descending frequency;\n"
           "--shared-vocab builds one from both sides and stores it twice; --vocab-size caps\n"
           "each. --max-len N drops the pairs with more than N tokens on either side (after the\n"
           "split by fraction; the summary counts them per split). Targets are stored without\n"
           "<bos>/<eos>. The corpus adds /tgt_vocab and per split /SPLIT/src_tokens,\n"
           "/SPLIT/src_offsets, /SPLIT/tgt_tokens, /SPLIT/tgt_offsets (offsets uint64, n+1).\n"
           "\n"
           "--format tags (sequence tagging): every non-empty line is one sequence,\n"
           "'w1 w2 ... wn<TAB>t1 t2 ... tn': n words and exactly n tags, the tag of each word,\n"
           "both separated by whitespace; read like labels (--keep-cr is refused).\n"
           "--tokenizer word (the default): every word is one token (vocabulary as for labels);\n"
           "char: every word must be one character (UTF-8 code point), e.g. for Chinese\n"
           "segmentation '我 爱 你<TAB>S S S'; byte is refused (64). A line without a TAB, with\n"
           "a second TAB, without words or tags, with fewer tags than words or more, or with a\n"
           "char word that is not one character is an error (65) naming the file and line. Tag\n"
           "ids follow the byte order of the tag names seen in all inputs and the --valid file.\n"
           "The corpus adds /labels (the tag names) and per split /SPLIT/offsets (uint64, n+1)\n"
           "and /SPLIT/tags (a tag id per token, as long as /SPLIT/tokens).\n"
           "\n"
           "Exit codes: 0 done, 64 usage, 65 empty or damaged input, 66 input missing, 74 cannot\n"
           "write.\n");
}

/* The --spm-* options: only with --tokenizer spm, and no training options with --spm-model. */
static void check_spm_options(prep_args_t *a, prep_opts_t *o, const config_cli_t *cli) {
    static const char *const train_only[] = {"spm-type", "character-coverage", "spm-args",
                                             "vocab-size"};
    const char *given = config_given(cli, spec, NSPEC, "spm-model")  ? "spm-model"
                        : config_given(cli, spec, NSPEC, "spm-type") ? "spm-type"
                        : config_given(cli, spec, NSPEC, "character-coverage")
                            ? "character-coverage"
                        : config_given(cli, spec, NSPEC, "spm-args") ? "spm-args"
                        : a->spm_joint                               ? "spm-joint"
                                                                     : NULL;
    if (o->kind != TOK_SPM) {
        if (given) prep_die(64, "--%s goes with --tokenizer spm only", given);
        return;
    }
    if (o->tags)
        prep_die(64, "--tokenizer spm does not go with --format tags: a tag belongs to a whole "
                     "word; give --tokenizer word or char");
    if (a->spm_joint && !o->pairs) prep_die(64, "--spm-joint goes with --format pairs only");
    if (a->shared_vocab)
        prep_die(64, "--shared-vocab does not go with --tokenizer spm; give --spm-joint for one "
                     "model and vocabulary on both sides");
    for (int i = 0; a->spm_model[0] && i < 4; i++)
        if (config_given(cli, spec, NSPEC, train_only[i]))
            prep_die(64, "--%s trains a model; --spm-model %s brings one (give one of them)",
                     train_only[i], a->spm_model);
    if (strcmp(a->spm_type, "unigram") && strcmp(a->spm_type, "bpe") &&
        strcmp(a->spm_type, "char") && strcmp(a->spm_type, "word"))
        prep_die(64, "--spm-type '%s' is not unigram, bpe, char or word", a->spm_type);
    o->spm_model = a->spm_model[0] ? a->spm_model : NULL;
    o->spm_type = a->spm_type;
    o->character_coverage = a->character_coverage;
    o->spm_joint = a->spm_joint || (o->pairs && o->spm_model); /* one model: one vocabulary */
    o->spm_args = a->spm_args[0] ? a->spm_args : NULL;
    a->shared_vocab = o->spm_joint;
}

/* Fills O from argv; its inputs point into CLI (config_cli_free after the last use). */
static void parse_command_line(int argc, char **argv, prep_opts_t *o, config_cli_t *cli) {
    static prep_args_t a; /* o points into it */
    char err[PATH_MAX + 256];
    int rc = config_parse_cli(&a, spec, NSPEC, NULL, cli, argc, argv, err, sizeof err);
    if (rc) prep_die(rc, "%s", err);
    if (a.help) {
        usage();
        exit(0);
    }
    if (strcmp(a.format, "text") && strcmp(a.format, "labels") && strcmp(a.format, "pairs") &&
        strcmp(a.format, "tags"))
        prep_die(64, "--format '%s' is not text, pairs, labels or tags", a.format);
    o->labels = !strcmp(a.format, "labels");
    o->pairs = !strcmp(a.format, "pairs");
    o->tags = !strcmp(a.format, "tags");
    if ((o->pairs || o->tags) && !config_given(cli, spec, NSPEC, "tokenizer"))
        snprintf(a.tokenizer, sizeof a.tokenizer, "word");
    if (tok_kind_parse(a.tokenizer, &o->kind) != 0)
        prep_die(64, "--tokenizer '%s' is not byte, char, word or spm", a.tokenizer);
    check_spm_options(&a, o, cli);
    if (o->tags && o->kind == TOK_BYTE)
        prep_die(64,
                 "--tokenizer byte does not go with --format tags; give --tokenizer word or char");
    if (a.valid[0] && config_given(cli, spec, NSPEC, "valid-fraction"))
        prep_die(64, "--valid FILE and --valid-fraction exclude each other; give one of them");
    if (o->tags && a.keep_cr)
        prep_die(64,
                 "--keep-cr does not go with --format tags: a CR separates tags as a space does");
    if (!o->pairs && (a.shared_vocab || a.max_len))
        prep_die(64, "--%s goes with --format pairs only", a.max_len ? "max-len" : "shared-vocab");
    o->shared_vocab = a.shared_vocab;
    o->keep_cr = a.keep_cr;
    o->max_len = a.max_len;
    o->vocab_size = a.vocab_size;
    o->valid_file = a.valid[0] ? a.valid : NULL;
    o->valid_frac = o->valid_file ? 0 : a.valid_fraction;
    o->test_frac = a.test_fraction;
    o->out = a.output;
    o->inputs = cli->args; /* replaced by the spool files' names where inputs are spooled */
    o->ninputs = cli->nargs;
    o->names = calloc((size_t)cli->nargs + 1, sizeof *o->names);
    if (!o->names) prep_die(70, "out of memory");
}

size_t prep_num_specials(const prep_opts_t *o) {
    return o->pairs ? TOK_SEQ2SEQ_SPECIALS : tok_num_specials(o->kind);
}

static void check_options(const prep_opts_t *o) {
    size_t nspec = prep_num_specials(o);
    int stdin_uses = o->valid_file && !strcmp(o->valid_file, "-");
    if (!o->out[0]) prep_die(64, "missing -o OUT.h5; see drnn-prep --help");
    if (o->ninputs == 0) prep_die(64, "no INPUT given: name text files, .gz files or - for stdin");
    for (int i = 0; i < o->ninputs; i++) stdin_uses += !strcmp(o->inputs[i], "-");
    if (stdin_uses > 1) prep_die(64, "stdin (-) can be read only once; name it once");
    if (o->valid_frac + o->test_frac >= 1)
        prep_die(64, "--valid-fraction + --test-fraction must be below 1 to leave a train split");
    if (o->kind == TOK_BYTE && !o->pairs && o->vocab_size && o->vocab_size != 256)
        prep_die(64, "--vocab-size %llu: the byte tokenizer always has 256 entries",
                 (unsigned long long)o->vocab_size);
    if (o->vocab_size && o->vocab_size <= nspec)
        prep_die(64, "--vocab-size must be at least %zu for the %s tokenizer%s", nspec + 1,
                 tok_kind_name(o->kind), o->pairs ? " and pairs" : "");
}

void prep_parse_args(int argc, char **argv, prep_opts_t *o, config_cli_t *cli) {
    *cli = (config_cli_t){aliases, 1, NULL, 0, NULL};
    parse_command_line(argc, argv, o, cli);
    check_options(o);
}
