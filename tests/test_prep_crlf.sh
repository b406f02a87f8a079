#!/usr/bin/env bash
# tests/test_prep_crlf.sh PREP CHECK GROUP — drnn-prep on CRLF input and on many long labels, one
# GROUP per CTest test:
#   crlf         a CRLF file and its LF twin give the same corpus (every dataset, every attribute
#                but the uuid) for text (byte, char, word; a CR at a read-chunk boundary; the
#                two-thread count of a 5 MB input; .gz; --valid), labels (char, word) and pairs
#                (char, word); the summary counts the CR line endings; --keep-cr keeps them; a CR
#                inside a line always stays; LF input prints no CR line;
#   long_labels  2000 distinct 12 kB labels: the summary stays a few kB (20 labels per line, names
#                cut at 40 bytes on a UTF-8 boundary, "... and K more labels"), the corpus has all
#                2000; 30 tags the same way.
# PREP is drnn-prep, CHECK is prep_check (tests/prep_check.c). Exits 1 on the first failure.
set -u
PREP=$1
CHECK=$2
GROUP=$3
# shellcheck source=tests/prep_lib.sh
. "$(dirname "$0")/prep_lib.sh"

# Every dataset of the corpora A and B holds the same bytes, and every attribute but the uuid is
# the same: the same ids, offsets, labels, vocabularies, counts and CRCs, whatever the format.
same_corpus() {
    local d
    cmp -s <(h5ls -r "$1" | awk '$2 == "Dataset" {print $1}') \
        <(h5ls -r "$2" | awk '$2 == "Dataset" {print $1}') || fail "$1 and $2: other datasets"
    for d in $(h5ls -r "$1" | awk '$2 == "Dataset" {print $1}'); do
        h5dump -d "$d" -b LE -o a.bin "$1" >/dev/null || fail "h5dump $1 $d"
        h5dump -d "$d" -b LE -o b.bin "$2" >/dev/null || fail "h5dump $2 $d"
        cmp -s a.bin b.bin || fail "$1 and $2: $d differs"
    done
    cmp -s <(h5dump -A "$1" | grep -v '"[0-9a-f]\{32\}"' | tail -n +2) \
        <(h5dump -A "$2" | grep -v '"[0-9a-f]\{32\}"' | tail -n +2) || fail "$1 and $2: attributes differ"
}
attr() { h5dump -a "/$2" "$1" | sed -n 's/.*(0): //p'; } # attr CORPUS NAME: a root attribute
# stripped N: the summary of the last run counts N CR line endings dropped
stripped() { grep -qx "drnn-prep: $1 CR line endings stripped (--keep-cr keeps them)" prep.log || fail "summary should count $1 CRs: $(cat prep.log)"; }
kept() { grep -qx "drnn-prep: $1 CR line endings kept (--keep-cr)" prep.log || fail "summary should count $1 kept CRs: $(cat prep.log)"; }
no_cr_line() { grep -q 'CR line endings' prep.log && fail "LF input: no CR line: $(cat prep.log)"; }
# crlf_pair LF CRLF: CRLF is LF with "\r" at the end of every line (sed keeps a last line
# without "\n" without it: that line ends with the file's last byte, "\r").
crlf_pair() { LC_ALL=C sed 's/$/\r/' "$1" >"$2"; }

test_crlf() {
    # text: a CR inside a line ("foo\rbar") stays; the first read chunk (256 KiB) ends with a CR
    # whose "\n" starts the second; the file ends without a newline.
    {
        head -c 262143 /dev/zero | tr '\0' x
        printf '\n'
        for i in $(seq 300); do printf 'line %d na\xc3\xafve foo\rbar\n\n' "$i"; done
        printf 'last line'
    } >lf.txt
    crlf_pair lf.txt crlf.txt
    local n
    n=$(($(wc -l <lf.txt) + 1))
    [ "$(head -c 262144 crlf.txt | tail -c 1)" = $'\r' ] || fail "the first chunk should end with a CR"
    gzip -c crlf.txt >crlf.txt.gz
    for tok in char word byte; do
        prep --tokenizer "$tok" --test-fraction 0.1 -o o/lf.h5 lf.txt
        no_cr_line
        prep --tokenizer "$tok" --test-fraction 0.1 -o o/crlf.h5 crlf.txt
        stripped "$n"
        same_corpus o/lf.h5 o/crlf.h5
        prep --tokenizer "$tok" --test-fraction 0.1 -o o/gz.h5 crlf.txt.gz
        same_corpus o/lf.h5 o/gz.h5
        "$PREP" --tokenizer "$tok" --test-fraction 0.1 -o o/stdin.h5 - <crlf.txt 2>prep.log ||
            fail "stdin: $(cat prep.log)"
        same_corpus o/lf.h5 o/stdin.h5
        prep --tokenizer "$tok" --valid crlf.txt -o o/v.h5 crlf.txt
        stripped $((2 * n))
        prep --tokenizer "$tok" --valid lf.txt -o o/vlf.h5 lf.txt
        same_corpus o/vlf.h5 o/v.h5
    done
    prep --tokenizer char --valid-fraction 0 -o o/keep.h5 --keep-cr crlf.txt
    kept "$n"
    prep --tokenizer char --valid-fraction 0 -o o/lf.h5 lf.txt
    eq "$(info o/keep.h5 train_tokens)" $(($(info o/lf.h5 train_tokens) + n)) "--keep-cr: a token per CR"
    "$CHECK" encode o/keep.h5 crlf.txt >/dev/null || fail "--keep-cr: the ids are the file's as it is"
    "$CHECK" encode o/lf.h5 lf.txt >/dev/null || fail "the CRLF corpus is the LF file's"
    eq "$("$CHECK" vocab o/lf.h5 | grep -c '^\\x0d$')" 1 "a CR inside a line stays a symbol"
    rm -f o/*
    pass "crlf: text, byte char word, a CR at a chunk boundary, .gz, stdin, --valid: same ids as LF; counted; --keep-cr keeps them"

    # 5 MB: counted in two halves by two threads (when there are two CPUs), the halves cut after
    # a "\n" whose "\r" belongs to the first half.
    awk 'BEGIN { for (i = 1; i <= 150000; i++) printf "word%d and some more text here\n", i % 977 }' >big.txt
    crlf_pair big.txt bigcr.txt
    prep --tokenizer char --test-fraction 0.2 -o o/lf.h5 big.txt
    prep --tokenizer char --test-fraction 0.2 -o o/crlf.h5 bigcr.txt
    stripped 150000
    same_corpus o/lf.h5 o/crlf.h5
    rm -f o/*
    pass "crlf: a 5 MB CRLF text counted in halves gives the LF text's corpus"

    # labels and pairs: the text, the target, and an empty CRLF line (skipped as an empty line).
    {
        for i in $(seq 40); do
            printf 'pos\tthe cat sat on mat %d\nneg\tfoo\rbar %d\n\n' "$i" "$i"
        done
        printf 'neg\tlast one'
    } >l.tsv
    crlf_pair l.tsv lcr.tsv
    n=$(($(wc -l <l.tsv) + 1))
    sed 's/^pos\t/the cat\t/; s/^neg\t/a b\t/' l.tsv >p.tsv
    crlf_pair p.tsv pcr.tsv
    for tok in char word; do
        prep --format labels --tokenizer "$tok" --valid-fraction 0.2 -o o/lf.h5 l.tsv
        no_cr_line
        prep --format labels --tokenizer "$tok" --valid-fraction 0.2 -o o/crlf.h5 lcr.tsv
        stripped "$n"
        same_corpus o/lf.h5 o/crlf.h5
        prep --format pairs --tokenizer "$tok" --valid-fraction 0.2 -o o/plf.h5 p.tsv
        no_cr_line
        prep --format pairs --tokenizer "$tok" --valid-fraction 0.2 -o o/pcr.h5 pcr.tsv
        stripped "$n"
        same_corpus o/plf.h5 o/pcr.h5
    done
    # --keep-cr: every text (target) keeps its CR; an empty CRLF line is a line of one CR then
    expect_exit 65 "$PREP" --format labels --keep-cr -o o/x.h5 lcr.tsv
    grep -qF "lcr.tsv:3: no TAB" err.txt || fail "--keep-cr: a CRLF empty line is a line of one CR"
    grep -v $'^\r$' lcr.tsv >lcr1.tsv
    grep -v $'^\r$' pcr.tsv >pcr1.tsv
    prep --format labels --tokenizer char --valid-fraction 0 --keep-cr -o o/keep.h5 lcr1.tsv
    kept 81
    prep --format labels --tokenizer char --valid-fraction 0 -o o/lf.h5 l.tsv
    eq "$(info o/keep.h5 train_tokens)" $(($(info o/lf.h5 train_tokens) + 81)) "labels --keep-cr: CR tokens"
    eq "$(info o/keep.h5 train_examples)" 81 "labels --keep-cr: 81 examples"
    prep --format pairs --tokenizer char --valid-fraction 0 --keep-cr -o o/pkeep.h5 pcr1.tsv
    kept 81
    prep --format pairs --tokenizer char --valid-fraction 0 -o o/plf.h5 p.tsv
    eq "$(info o/pkeep.h5 train_tokens)" "$(info o/plf.h5 train_tokens)" "pairs --keep-cr: sources as they are"
    eq "$(attr o/pkeep.h5 train_tgt_tokens)" $(($(attr o/plf.h5 train_tgt_tokens) + 81)) \
        "pairs --keep-cr: a CR ends every target"
    rm -f o/*
    pass "crlf: labels and pairs, char and word: same ids as LF, counted; --keep-cr keeps them"

    # tags always cut the CR (a CR separates tags as a space does): counted; --keep-cr refused.
    printf 'the cat\tDT NN\r\n\r\na dog\tDT NN\r\n' >t.tsv
    prep --format tags --valid-fraction 0 -o o/t.h5 t.tsv
    stripped 3
    expect_exit 64 "$PREP" --format tags --keep-cr -o o/x.h5 t.tsv
    grep -qF -- "--keep-cr" err.txt || fail "the refusal names --keep-cr: $(cat err.txt)"
    only_outputs t.h5
    pass "crlf: tags count the CRs they cut; --keep-cr with tags is 64"
}

test_long_labels() {
    # label i: 5 digits, then 6000 "é" (2 bytes each): 12005 bytes. 2004 examples: 01999 three
    # times and 00007 once, then every label once; the last 100 are valid, so train has 01999
    # three times, 00007 twice, 00000-01899 (but 00007) once, 01900-01998 not at all.
    python3 - <<'PY' >l.tsv || fail "python3"
import sys
out = sys.stdout
for i in (1999, 1999, 1999, 7) + tuple(range(2000)):
    out.write("%05d%s\ttext %d\n" % (i, "\u00e9" * 6000, i % 7))
PY
    "$PREP" --format labels --valid-fraction 0.05 -o o/l.h5 l.tsv 2>prep.log || fail "drnn-prep: $(head -c 2000 prep.log)"
    [ "$(wc -c <prep.log)" -lt 4096 ] || fail "summary of $(wc -c <prep.log) bytes: $(head -c 2000 prep.log)"
    python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' prep.log ||
        fail "the summary cuts a UTF-8 character"
    eq "$(info o/l.h5 num_labels)" 2000 "the corpus has all 2000 labels"
    eq "$("$CHECK" labels o/l.h5 | wc -l)" 2000 "2000 label names"
    eq "$("$CHECK" labels o/l.h5 | sed -n 2p | wc -c)" $((5 + 6000 * 8 + 1)) "a label name is whole in the corpus"
    local e35 train
    e35=$(python3 -c 'print("\u00e9" * 17, end="")') # 5 + 34 bytes: a 35th byte would cut an é
    train=$(grep -A1 'drnn-prep:   train' prep.log | sed -n 2p)
    case "$train" in
    "drnn-prep:         labels: 01999${e35}... 3, 00007${e35}... 2, 00000${e35}... 1,"*) ;;
    *) fail "train labels: most frequent first, names cut at 40 bytes: $train" ;;
    esac
    case "$train" in *", ... and 1980 more labels") ;; *) fail "train labels end: $train" ;; esac
    eq "$(echo "$train" | grep -o "${e35}\.\.\. [0-9]*" | wc -l)" 20 "20 labels shown"
    grep -q '^drnn-prep:   valid .*100 examples' prep.log || fail "valid examples: $(cat prep.log)"
    pass "long_labels: 2000 labels of 12 kB: $(wc -c <prep.log) bytes of summary, 20 labels cut at 40 bytes, all 2000 in the corpus"

    for i in $(seq -w 0 29); do printf 'w%s\tT%s\n' "$i" "$i"; done >t.tsv
    prep --format tags --valid-fraction 0 -o o/t.h5 t.tsv
    grep -qx 'drnn-prep:         tags: T00 1, T01 1, .*, T19 1, \.\.\. and 10 more tags' prep.log ||
        fail "30 tags: the first 20 and a count: $(cat prep.log)"
    pass "long_labels: 30 tags: 20 shown, '... and 10 more tags'"
}

case "$GROUP" in
crlf | long_labels) "test_$GROUP" ;;
*) fail "unknown group '$GROUP'" ;;
esac
