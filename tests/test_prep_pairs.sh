#!/usr/bin/env bash
# tests/test_prep_pairs.sh PREP CHECK PAIRS GROUP SRC_DIR — drnn-prep --format pairs, one GROUP
# per CTest test: pairs, pairs_inputs, pairs_max_len, pairs_errors, pairs_reader, pairs_reverse.
# PREP is drnn-prep, CHECK is prep_check (tests/prep_check.c: plain-HDF5 attributes, damage),
# PAIRS is pairs_check (tests/pairs_check.c: the corpus read through io/corpus.h); the layout is
# checked without drnn code, with h5dump. Exits 1 on the first failed assertion, naming it.
set -u
PREP=$1
CHECK=$2
PAIRS=$3
GROUP=$4
SRC=$5
READER=("$PAIRS" ids)
# shellcheck source=tests/prep_lib.sh
. "$(dirname "$0")/prep_lib.sh"

pinfo() { "$PAIRS" info "$1" | sed -n "s/^$2=//p"; } # pinfo CORPUS KEY, through the reader
# The pairs of a split as ids ("src ids<TAB>tgt ids" lines) must be WANT.
ids_are() {
    "$PAIRS" ids "$1" "$2" >got.txt 2>err.txt || fail "pairs_check ids $1 $2: $(cat err.txt)"
    eq "$(cat got.txt)" "$3" "$1 $2 ids"
}
# The pairs of every split read through the reader must be the same in both corpora.
same_pairs() {
    cmp -s <("$PAIRS" dump "$1") <("$PAIRS" dump "$2") || fail "$1 and $2 differ"
    [ "$(pinfo "$1" uuid)" != "$(pinfo "$2" uuid)" ] || fail "$1 and $2 share a uuid"
}
# The values of a 1-D dataset as h5dump prints them: "0,3,5".
h5values() { h5dump -d "$2" -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | tr -d ' \n' | sed 's/DATA{//; s/}//'; }
# zlib crc32 of a pair split computed without drnn code: the source ids as stored, then the
# target ids, through gzip's trailer CRC.
h5dump_pairs_crc() {
    local d
    : >all.bin
    for d in src_tokens tgt_tokens; do
        h5dump -d "/$2/$d" -b LE -o raw.bin "$1" >/dev/null || fail "h5dump $1 /$2/$d"
        cat raw.bin >>all.bin
    done
    gzip -c all.bin | tail -c 8 | head -c 4 | od -An -tu4 | tr -d ' '
}
# The layout of split $2: dataset types, chunking and filters, the CRC, offsets against counts.
layout_ok() {
    local f=$1 s=$2 d n
    n=$(pinfo "$f" "${s}_examples")
    for d in src_offsets tgt_offsets; do
        h5dump -H -d "/$s/$d" "$f" | grep -q H5T_STD_U64LE || fail "/$s/$d is not uint64 LE"
        eq "$(h5values "$f" "/$s/$d" | awk -F, '{print NF}')" $((n + 1)) "/$s/$d has n+1 entries"
        eq "$(h5values "$f" "/$s/$d" | cut -d, -f1)" 0 "/$s/$d starts at 0"
    done
    eq "$(h5values "$f" "/$s/src_offsets" | tr ',' '\n' | tail -1)" "$(pinfo "$f" "${s}_tokens")" \
        "/$s/src_offsets ends at ${s}_tokens"
    eq "$(h5values "$f" "/$s/tgt_offsets" | tr ',' '\n' | tail -1)" "$(pinfo "$f" "${s}_tgt_tokens")" \
        "/$s/tgt_offsets ends at ${s}_tgt_tokens"
    for d in src_tokens tgt_tokens src_offsets tgt_offsets; do
        h5dump -p -H -d "/$s/$d" "$f" >props.txt
        eq "$(grep -Eo 'CHUNKED|SHUFFLE|DEFLATE|FLETCHER32' props.txt | sort -u | tr '\n' ' ')" \
            "CHUNKED DEFLATE FLETCHER32 SHUFFLE " "/$s/$d: chunked, shuffle + deflate + fletcher32"
    done
    eq "$(h5dump_pairs_crc "$f" "$s")" "$(info "$f" "${s}_crc32")" "$s crc32 (h5dump + gzip)"
}

# Five pairs (and an empty line). Train counts, source: the 4, cat 3, dog 2, sat 2, a 1; target:
# le 4, assis 3, chat 3, chien 2, un 1.
pairs_file() {
    printf 'the cat sat\tle chat\n'
    printf 'the dog\tle chien\n'
    printf '\n'
    printf 'a cat\tun chat\n'
    printf 'the the cat\tle le chat\n'
    printf 'dog  sat\tchien assis assis assis' # no newline at the end
}
SPECIALS='<unk>
<pad>
<bos>
<eos>'

test_pairs() {
    pairs_file >p.tsv
    prep --format pairs --valid-fraction 0 -o o/p.h5 p.tsv # word is the default for pairs
    eq "$(pinfo o/p.h5 data):$(pinfo o/p.h5 tokenizer):$(pinfo o/p.h5 shared_vocab)" pairs:word:0 \
        "data, tokenizer, shared_vocab"
    eq "$(info o/p.h5 data)" pairs "data attribute (plain HDF5)"
    eq "$("$PAIRS" vocab o/p.h5 src)" "$SPECIALS
the
cat
dog
sat
a" "source vocabulary: specials, then by frequency, ties in byte order"
    eq "$("$PAIRS" vocab o/p.h5 tgt)" "$SPECIALS
le
assis
chat
chien
un" "target vocabulary"
    eq "$(pinfo o/p.h5 vocab_size):$(pinfo o/p.h5 tgt_vocab_size)" 9:9 "vocab sizes"
    ids_are o/p.h5 train "4 5 7	4 6
4 6	4 7
8 5	8 6
4 4 5	4 4 6
6 7	7 5 5 5"
    eq "$(pinfo o/p.h5 train_examples):$(pinfo o/p.h5 train_tokens):$(pinfo o/p.h5 train_tgt_tokens)" \
        5:12:13 "train pairs, source and target tokens"
    eq "$(h5values o/p.h5 /train/src_offsets)" 0,3,5,7,10,12 "source offsets"
    eq "$(h5values o/p.h5 /train/tgt_offsets)" 0,2,4,6,9,13 "target offsets: no <bos>/<eos> stored"
    layout_ok o/p.h5 train
    h5ls o/p.h5 | grep -q '^valid' && fail "an empty split must be left out"
    "$PAIRS" text o/p.h5 train >got.txt || fail "pairs_check text"
    eq "$(cat got.txt)" "$(grep -v '^$' p.tsv | tr -s ' ')" "decoded pairs are the input lines"
    grep -q 'train  *5 pairs, 12 + 13 tokens (source + target), crc32 [0-9a-f]*, <unk> 0 + 0' prep.log ||
        fail "summary: $(cat prep.log)"
    pass "pairs: word, separate vocabularies, ids, offsets, layout, CRC, decode"

    prep --format pairs --shared-vocab --valid-fraction 0 -o o/s.h5 p.tsv
    eq "$(pinfo o/s.h5 shared_vocab):$(pinfo o/s.h5 vocab_size):$(pinfo o/s.h5 tgt_vocab_size)" \
        1:14:14 "shared: one vocabulary of both sides"
    eq "$("$PAIRS" vocab o/s.h5 src | tr '\n' ' ')" \
        "<unk> <pad> <bos> <eos> le the assis cat chat chien dog sat a un " "shared vocabulary"
    cmp -s <("$PAIRS" vocab o/s.h5 src) <("$PAIRS" vocab o/s.h5 tgt) || fail "/tgt_vocab = /vocab"
    ids_are o/s.h5 train "5 7 11	4 8
5 10	4 9
12 7	13 8
5 5 7	4 4 8
10 11	9 6 6 6"
    layout_ok o/s.h5 train
    grep -q 'shared vocab 14' prep.log || fail "summary names the shared vocabulary: $(cat prep.log)"
    pass "pairs: --shared-vocab counts both sides, /tgt_vocab equals /vocab"

    prep --format pairs --valid-fraction 0.4 -o o/v.h5 p.tsv # the last 2 of 5 pairs
    eq "$(pinfo o/v.h5 train_examples):$(pinfo o/v.h5 valid_examples)" 3:2 "split by pairs"
    eq "$("$PAIRS" vocab o/v.h5 src | tail -n +5 | tr '\n' ' ')" "cat the a dog sat " "train-only source vocabulary"
    eq "$("$PAIRS" vocab o/v.h5 tgt | tail -n +5 | tr '\n' ' ')" "chat le chien un " "train-only target vocabulary"
    ids_are o/v.h5 valid "5 5 4	5 5 4
7 8	6 0 0 0"
    layout_ok o/v.h5 valid
    grep -q 'valid  *2 pairs, 5 + 7 tokens (source + target), crc32 [0-9a-f]*, <unk> 0 + 3' prep.log ||
        fail "summary counts <unk> per side: $(cat prep.log)"
    prep --format pairs --vocab-size 6 --valid-fraction 0 -o o/v6.h5 p.tsv
    eq "$("$PAIRS" vocab o/v6.h5 src | tail -n +5 | tr '\n' ' ')" "the cat " "--vocab-size 6: source"
    eq "$("$PAIRS" vocab o/v6.h5 tgt | tail -n +5 | tr '\n' ' ')" "le assis " "--vocab-size 6: target"
    grep -q '<unk> 5 + 6' prep.log || fail "unknown counts with --vocab-size 6: $(cat prep.log)"
    grep -q 'source vocab 6 (kept 2 of 5 train symbols), target vocab 6 (kept 2 of 5' prep.log ||
        fail "summary: vocabularies kept: $(cat prep.log)"
    pass "pairs: split by pairs, vocabularies from train, <unk> per side, --vocab-size caps each"

    printf 'ab \xc3\xa9\tx\nb\tyy\n' >c.tsv # a space is a symbol; é one code point
    prep --format pairs --tokenizer char --valid-fraction 0 -o o/c.h5 c.tsv
    eq "$("$PAIRS" vocab o/c.h5 src | tail -n +5)" "$(printf 'b\n \na\n\xc3\xa9')" "char source vocabulary"
    eq "$("$PAIRS" vocab o/c.h5 tgt | tail -n +5)" "$(printf 'y\nx')" "char target vocabulary"
    ids_are o/c.h5 train "6 4 5 7	5
4	4 4"
    cmp -s <("$PAIRS" text o/c.h5 train) c.tsv || fail "char pairs decode to the input"
    layout_ok o/c.h5 train
    printf 'aab\tb\n' >b.tsv
    prep --format pairs --tokenizer byte --valid-fraction 0 -o o/b.h5 b.tsv
    eq "$("$PAIRS" vocab o/b.h5 src | tr '\n' ' ')" "<unk> <pad> <bos> <eos> a b " "byte: seq2seq specials, bytes by frequency"
    ids_are o/b.h5 train "4 4 5	4"
    pass "pairs: char (UTF-8, space as a symbol) and byte tokenizers"

    for i in $(seq 300); do printf '%d\tx\n' "$i"; done >wide.tsv
    prep --format pairs --valid-fraction 0 -o o/w.h5 wide.tsv
    h5dump -H -d /train/src_tokens o/w.h5 | grep -q H5T_STD_U16LE || fail "304 source entries: 16-bit ids"
    h5dump -H -d /train/tgt_tokens o/w.h5 | grep -q H5T_STD_U8LE || fail "5 target entries: 8-bit ids"
    layout_ok o/w.h5 train
    only_outputs p.h5 s.h5 v.h5 v6.h5 c.h5 b.h5 w.h5
    pass "pairs: each side stored with the smallest width for its own vocabulary"
}

test_pairs_inputs() {
    pairs_file >p.tsv
    input_forms p.tsv 2 --format pairs --valid-fraction 0.2
    for f in gz stdin stdingz pipe two; do same_pairs o/plain.h5 o/$f.h5; done
    only_outputs plain.h5 gz.h5 stdin.h5 stdingz.h5 pipe.h5 two.h5
    pass "pairs: plain, .gz, stdin, gzip stdin, a pipe and two inputs give the same corpus"

    printf 'the zebra\tle chat\n\ncat\tzz\n' >v.tsv
    prep --format pairs --valid v.tsv --test-fraction 0.2 -o o/v.h5 p.tsv
    eq "$(pinfo o/v.h5 train_examples):$(pinfo o/v.h5 valid_examples):$(pinfo o/v.h5 test_examples)" \
        4:2:1 "--valid FILE: all of it valid, --test-fraction of the input"
    ids_are o/v.h5 valid "4 0	4 5
5	0"
    layout_ok o/v.h5 valid
    layout_ok o/v.h5 test
    gzip -c v.tsv >v.tsv.gz
    "$PREP" --format pairs --valid - --test-fraction 0.2 -o o/v2.h5 p.tsv <v.tsv.gz 2>prep.log ||
        fail "--valid - (gzip): $(cat prep.log)"
    same_pairs o/v.h5 o/v2.h5
    only_outputs plain.h5 gz.h5 stdin.h5 stdingz.h5 pipe.h5 two.h5 v.h5 v2.h5
    pass "pairs: --valid FILE (also gzip on stdin) with --test-fraction"
}

test_pairs_max_len() {
    # train: 7 pairs (3 over 3 tokens on a side), valid 2 (1 over), test 1 (over)
    printf 'a b\tb a\na b c d\td c b a\nq\tq q q q\nb\tb\na a a\ta\ne f g h i\te\nb a\ta b\n' >m.tsv
    printf 'a b c d\tx\nc\tc\na b c\ta b c d\n' >>m.tsv
    prep --format pairs --max-len 3 --valid-fraction 0.2 --test-fraction 0.1 -o o/m.h5 m.tsv
    eq "$(pinfo o/m.h5 train_examples):$(pinfo o/m.h5 valid_examples):$(pinfo o/m.h5 test_examples)" \
        4:1:0 "pairs kept per split"
    grep -q 'train  *4 pairs, 3 dropped by --max-len' prep.log || fail "train drops: $(cat prep.log)"
    grep -q 'valid  *1 pairs, 1 dropped by --max-len, 1 + 1 tokens (source + target), crc32 [0-9a-f]*, <unk> 1 + 1' prep.log ||
        fail "valid drops: $(cat prep.log)"
    grep -q 'test  *0 pairs, 1 dropped by --max-len$' prep.log || fail "test drops: $(cat prep.log)"
    eq "$("$PAIRS" vocab o/m.h5 src | tail -n +5 | tr '\n' ' ')" "a b " "vocabulary of the kept train pairs only"
    eq "$("$PAIRS" vocab o/m.h5 tgt | tail -n +5 | tr '\n' ' ')" "a b " "target vocabulary of the kept pairs"
    ids_are o/m.h5 train "4 5	5 4
5	5
4 4 4	4
5 4	4 5"
    h5ls o/m.h5 | grep -q '^test' && fail "a split whose pairs were all dropped is left out"
    layout_ok o/m.h5 train
    prep --format pairs --max-len 5 --valid-fraction 0 -o o/m5.h5 m.tsv
    eq "$(pinfo o/m5.h5 train_examples)" 10 "--max-len 5 keeps every pair"
    prep --format pairs --valid-fraction 0 -o o/all.h5 m.tsv
    grep -q 'dropped' prep.log && fail "no --max-len, no drop count: $(cat prep.log)"
    expect_exit 65 "$PREP" --format pairs --max-len 1 --valid-fraction 0.7 -o o/x.h5 m.tsv
    grep -q 'every train pair has more than --max-len 1 tokens' err.txt || fail "all train dropped: $(cat err.txt)"
    only_outputs m.h5 m5.h5 all.h5
    pass "pairs: --max-len drops pairs per split, counted, not in the vocabulary; all dropped is 65"
}

# bad_file NAME CONTENT WANT: NAME holding CONTENT (a printf format) alone is refused, naming WANT.
bad_file() {
    # shellcheck disable=SC2059 # the escapes must be in the format to become bytes
    printf "$2" >"$1"
    expect_bad_line pairs "$1:$3" -o o/x.h5 "$1"
}

test_pairs_errors() {
    printf 'a b\tb a\n' >good.tsv
    bad_file t3.tsv 'a b\tb a\n\njust text\n' "3: no TAB between source and target"
    bad_file two.tsv 'a\tb\tc\n' "1: a second TAB"
    bad_file w2b.tsv 'a b\tb a\nx\t \t\n' "2: a second TAB"
    bad_file s2.tsv 'a b\tb a\n\tb\n' "2: empty source before the TAB"
    bad_file e2.tsv 'a b\tb a\na\t\n' "2: empty target after the TAB"
    bad_file w2.tsv 'a b\tb a\n  \tb\n' "2: the source has no word tokens"
    bad_file w1.tsv 'a\t \r \n' "1: the target has no word tokens"
    bad_line_forms pairs t3.tsv 3 "no TAB between source and target" good.tsv
    bad_line_forms pairs two.tsv 1 "a second TAB" good.tsv
    bad_line_forms pairs e2.tsv 2 "empty target after the TAB" good.tsv
    pass "pairs errors: no TAB, two TABs, empty sides, sides without tokens, .gz, stdin, --valid: 65 naming file:line"

    printf '\n\n' >blank.tsv
    expect_exit 65 "$PREP" --format pairs -o o/x.h5 blank.tsv
    grep -q "no examples; expected lines 'source<TAB>target'" err.txt || fail "no pairs: $(cat err.txt)"
    expect_exit 64 "$PREP" --shared-vocab -o o/x.h5 good.tsv
    grep -q -- '--shared-vocab goes with --format pairs' err.txt || fail "$(cat err.txt)"
    expect_exit 64 "$PREP" --format labels --max-len 5 -o o/x.h5 good.tsv
    grep -q -- '--max-len goes with --format pairs' err.txt || fail "$(cat err.txt)"
    expect_exit 64 "$PREP" --format pairs --max-len 0 -o o/x.h5 good.tsv
    expect_exit 64 "$PREP" --format pairs --vocab-size 4 -o o/x.h5 good.tsv
    grep -q 'at least 5' err.txt || fail "--vocab-size must leave room after the 4 specials"
    expect_exit 0 "$PREP" --help
    for w in '--format' 'source<TAB>target' '--shared-vocab' '--max-len' '<unk> <pad> <bos> <eos>'; do
        grep -qF -- "$w" out.txt || fail "--help does not document '$w'"
    done
    only_outputs
    pass "pairs errors: no pairs, options that go with pairs only, --vocab-size, --help"
}

test_pairs_reader() {
    printf 'a b\tx y\nb c\ty z\na\tz\n' >ok.tsv # offsets 0 2 4 5 on both sides
    prep --format pairs --valid-fraction 0 -o o/ok.h5 ok.tsv
    "$PAIRS" ids o/ok.h5 train >/dev/null || fail "reader on the undamaged corpus"
    damaged set:/train/src_offsets:1=5 '/train/src_offsets decrease at pair 1'
    damaged set:/train/tgt_offsets:2=2 '/train/tgt_offsets leave pair 1 empty'
    damaged set:/train/tgt_offsets:0=1 '/train/tgt_offsets do not run from 0 to train_tgt_tokens=5'
    damaged set:/train/src_offsets:3=4 '/train/src_offsets do not run from 0 to train_tokens=5'
    damaged set:/train/tgt_tokens:0=200 'token id 200 at /train/tgt_tokens position 0 >= tgt_vocab_size 7'
    damaged set:/train/src_tokens:1=100 'token id 100 at /train/src_tokens position 1 >= vocab_size 7'
    damaged drop:/tgt_vocab '/tgt_vocab is missing'
    damaged attr:tgt_vocab_size=3 '/tgt_vocab does not have tgt_vocab_size=3 entries'
    damaged drop:tgt_vocab_size 'attribute tgt_vocab_size or shared_vocab is missing'
    damaged attr:shared_vocab=2 'attribute tgt_vocab_size or shared_vocab is missing or invalid'
    damaged attr:shared_vocab=1 'shared_vocab=1 but /tgt_vocab differs from /vocab'
    damaged drop:train_tgt_tokens 'attribute train_tgt_tokens is missing'
    damaged attr:train_examples=2 '/train/src_offsets does not match its attributes'
    damaged attr:train_tgt_tokens=4 '/train/tgt_tokens does not match its attributes'
    damaged drop:/train/src_tokens 'cannot open /train/src_tokens'
    damaged set:/tgt_vocab:1=88 '/tgt_vocab does not match its checksum tgt_vocab_crc32'
    damaged drop:/train 'attribute train_tokens and group /train disagree'
    damaged drop:/train/src_offsets 'cannot open /train/src_offsets'
    damaged drop:/train/tgt_tokens 'cannot open /train/tgt_tokens'
    damaged drop:/train/tgt_offsets 'cannot open /train/tgt_offsets'
    pass "pairs reader: damaged offsets, ids, vocabularies, attributes and datasets are 65 naming the file"

    # Offsets rewritten whole by h5py (python3-h5py), as another program might damage them.
    cp o/ok.h5 bad.h5
    /usr/bin/python3 -c 'import h5py, numpy, sys
with h5py.File(sys.argv[1], "r+") as f:
    f["train/tgt_offsets"][...] = numpy.array([0, 3, 2, 5], dtype=numpy.uint64)' bad.h5 ||
        fail "h5py could not rewrite the offsets"
    "$PAIRS" ids bad.h5 train >/dev/null 2>err.txt && fail "the reader took offsets 0 3 2 5"
    grep -qF 'rc 65: corpus bad.h5: /train/tgt_offsets decrease at pair 1' err.txt || fail "$(cat err.txt)"

    printf 'some text\n' >t.txt
    printf 'pos\tsome text\n' >l.tsv
    prep -o o/t.h5 t.txt
    prep --format labels -o o/l.h5 l.tsv
    for f in t l; do
        eq "$(pinfo o/$f.h5 tgt_vocab_size):$(pinfo o/$f.h5 train_tgt_tokens)" 0:0 "$f: no pair figures"
        "$PAIRS" ids o/$f.h5 train >/dev/null 2>err.txt && fail "pair offsets read from $f.h5"
        grep -q "rc 65: corpus o/$f.h5: holds .* data, not pairs" err.txt || fail "$(cat err.txt)"
    done
    pass "pairs reader: h5py-damaged offsets are 65; text and labels corpora are not pairs"
}

test_pairs_reverse() {
    local gen=$SRC/jobs/reverse_pairs.py
    /usr/bin/python3 "$gen" --n 400 --seed 7 >r.tsv || fail "reverse_pairs.py"
    /usr/bin/python3 "$gen" --n 400 --seed 7 -o r2.tsv || fail "reverse_pairs.py -o"
    cmp -s r.tsv r2.tsv || fail "the same seed gives the same pairs"
    /usr/bin/python3 "$gen" --n 400 --seed 8 | cmp -s - r.tsv && fail "another seed, other pairs"
    eq "$(wc -l <r.tsv)" 400 "--n lines"
    awk -F'\t' 'NF != 2 { print "fields " NR; exit }
        { n = split($1, s, " "); m = split($2, t, " ")
          if (n < 5 || n > 15 || m != n) { print "length " NR; exit }
          for (i = 1; i <= n; i++) if (s[i] != t[n + 1 - i] || s[i] !~ /^[a-t]$/) { print "symbol " NR; exit } }' \
        r.tsv >bad.txt
    eq "$(cat bad.txt)" "" "every target is its source reversed, 5-15 of the symbols a-t"
    eq "$(cut -f1 r.tsv | tr ' ' '\n' | sort -u | wc -l)" 20 "20 distinct symbols"
    /usr/bin/python3 "$gen" --n 5 --min-len 6 --max-len 5 >out.txt 2>err.txt
    eq "$?:$(cat out.txt)" 64: "--min-len > --max-len: 64, no output"
    prep --format pairs --shared-vocab -o o/r.h5 r.tsv
    eq "$(pinfo o/r.h5 vocab_size):$(pinfo o/r.h5 train_examples):$(pinfo o/r.h5 valid_examples)" \
        24:380:20 "4 specials + 20 symbols, 5% valid"
    cat <("$PAIRS" text o/r.h5 train) <("$PAIRS" text o/r.h5 valid) >back.tsv
    cmp -s back.tsv r.tsv || fail "the corpus decodes to the generated pairs"
    pass "pairs reverse: jobs/reverse_pairs.py is deterministic, drnn-prep --format pairs reads it"
}

case "$GROUP" in
pairs | pairs_inputs | pairs_max_len | pairs_errors | pairs_reader | pairs_reverse) "test_$GROUP" ;;
*) fail "unknown group '$GROUP'" ;;
esac
