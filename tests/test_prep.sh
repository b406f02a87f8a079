#!/usr/bin/env bash
# tests/test_prep.sh PREP CHECK GROUP [DATA_DIR] — drnn-prep integration tests, one GROUP per CTest
# test: byte, char, word, halves, splits, errors, signals, stale, kjv, labels, labels_errors, kjv_labels.
# PREP is drnn-prep, CHECK is prep_check (tests/prep_check.c, which reads the corpus with plain
# HDF5 calls). Exits 1 on the first failed assertion, naming it. Pair data: test_prep_pairs.sh.
set -u
PREP=$1
CHECK=$2
GROUP=$3
DATA=${4:-}
READER=("$CHECK" reader)
# shellcheck source=tests/prep_lib.sh
. "$(dirname "$0")/prep_lib.sh"

total_tokens() { echo $(($(info "$1" train_tokens) + $(info "$1" valid_tokens) + $(info "$1" test_tokens))); }
# Same ids, CRCs, token counts and vocabulary; only the uuid may differ.
same_data() {
    cmp -s <("$CHECK" info "$1" | grep -v '^uuid=') <("$CHECK" info "$2" | grep -v '^uuid=') ||
        fail "$1 and $2: attributes differ"
    cmp -s <("$CHECK" vocab "$1") <("$CHECK" vocab "$2") || fail "$1 and $2: vocabularies differ"
    for s in train valid test; do
        cmp -s <("$CHECK" dump "$1" $s) <("$CHECK" dump "$2" $s) || fail "$1 and $2: $s differs"
    done
    [ "$(info "$1" uuid)" != "$(info "$2" uuid)" ] || fail "$1 and $2 share a uuid"
}
# zlib crc32 of a split computed without drnn code: h5dump's raw little-endian dump, and the CRC
# that gzip stores in its trailer (the same CRC-32 as zlib's).
h5dump_crc() {
    h5dump -d "/$2/tokens" -b LE -o raw.bin "$1" >/dev/null || fail "h5dump $1 /$2/tokens"
    gzip -c raw.bin | tail -c 8 | head -c 4 | od -An -tu4 | tr -d ' '
}
# doubles FILE N times in place (N=13: 8192 copies), so symbols straddle every buffer boundary
double() {
    for _ in $(seq "$2"); do cat "$1" "$1" >"$1.x" && mv "$1.x" "$1"; done
}
# Plain file, .gz, stdin and gzip on stdin must give the same corpus.
check_input_forms() {
    input_forms "$1" 0 "${@:2}"
    for f in plain gz stdin stdingz pipe; do verify o/$f.h5; done
    same_data o/plain.h5 o/gz.h5
    same_data o/plain.h5 o/stdin.h5
    same_data o/plain.h5 o/stdingz.h5
    same_data o/plain.h5 o/pipe.h5
    only_outputs plain.h5 gz.h5 stdin.h5 stdingz.h5 pipe.h5
    for s in train valid; do
        eq "$(h5dump_crc o/plain.h5 $s)" "$(info o/plain.h5 ${s}_crc32)" "$s crc32 (h5dump + gzip)"
    done
    rm -f o/*
    pass "$GROUP: plain, .gz, stdin, gzip stdin and a pipe give identical ids and CRCs"
}

test_byte() {
    # shellcheck disable=SC2059 # the octal escape must be in the format to become a byte
    for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done >all.bin
    printf 'hello world\n' >>all.bin
    double all.bin 10
    local size
    size=$(stat -c %s all.bin)
    prep --tokenizer byte --valid-fraction 0 -o o/b.h5 all.bin
    verify o/b.h5
    eq "$(info o/b.h5 tokenizer)" byte tokenizer
    eq "$(info o/b.h5 vocab_size)" 256 vocab_size
    eq "$(info o/b.h5 train_tokens)" "$size" "train tokens = bytes"
    "$CHECK" vocab o/b.h5 >vocab.txt
    eq "$(sed -n 1p vocab.txt)" "" "entry 0 (NUL) is the empty string"
    eq "$(sed -n 11p vocab.txt)" '\n' "entry 10"
    eq "$(sed -n 66p vocab.txt)" A "entry 65"
    eq "$(sed -n 256p vocab.txt)" '\xff' "entry 255"
    "$CHECK" encode o/b.h5 all.bin >/dev/null || fail "tok_encode_file differs from the corpus"
    "$CHECK" decode o/b.h5 back.bin || fail "decode"
    cmp -s back.bin all.bin || fail "byte decode does not give the input back"
    eq "$(h5dump_crc o/b.h5 train)" "$(info o/b.h5 train_crc32)" "train crc32 (h5dump + gzip)"
    pass "byte: 256 entries, ids = bytes, round trip, CRC"
    prep --tokenizer byte --vocab-size 256 -o o/b.h5 all.bin
    eq "$(total_tokens o/b.h5)" "$size" "tokens over all splits"
    eq "$(info o/b.h5 valid_tokens)" $(((size * 5 + 50) / 100)) "valid = 5% of the tokens"
    rm -f o/*
    check_input_forms all.bin --tokenizer byte
}

# One period: a é € 😀, then invalid bytes (stray FF 80, truncated E2 82, overlong C0 AF,
# surrogate ED A0 80, above U+10FFFF F4 90 80 80), A NUL newline: 20 symbols, \x80 four times.
CHAR_PERIOD='a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\x80\xe2\x82\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80A\x00\n'
CHAR_VOCAB='<unk>
\x80

\n
A
a
\x82
\x90
\xa0
\xaf
\xc0
\xc3\xa9
\xe2
\xe2\x82\xac
\xed
\xf0\x9f\x98\x80
\xf4
\xff'

test_char() {
    # shellcheck disable=SC2059 # the \x escapes must be in the format to become bytes
    printf "$CHAR_PERIOD" >c.txt
    double c.txt 13
    eq "$("$CHECK" chunking char c.txt)" "symbols=$((20 * 8192))" "char symbols, any feed size"
    prep --valid-fraction 0 -o o/c.h5 c.txt # char is the default tokenizer
    verify o/c.h5
    eq "$(info o/c.h5 tokenizer)" char tokenizer
    eq "$(info o/c.h5 train_tokens)" $((20 * 8192)) "train tokens"
    eq "$("$CHECK" vocab o/c.h5)" "$CHAR_VOCAB" "char vocabulary (frequency, then byte order)"
    "$CHECK" encode o/c.h5 c.txt >/dev/null || fail "tok_encode_file differs from the corpus"
    "$CHECK" decode o/c.h5 back.txt || fail "decode"
    cmp -s back.txt c.txt || fail "char decode does not give the input back"
    only_outputs c.h5
    pass "char: UTF-8, invalid bytes and NUL as symbols, vocab order, round trip"
    prep --vocab-size 5 --valid-fraction 0 -o o/c5.h5 c.txt
    verify o/c5.h5
    eq "$("$CHECK" vocab o/c5.h5)" "$(printf '%s\n' "$CHAR_VOCAB" | head -5)" "top 5 entries"
    grep -q 'train .* 106496 <unk>' prep.log || fail "13 of 20 symbols per period are <unk>: $(cat prep.log)"
    pass "char: --vocab-size keeps the top entries, the rest is <unk>"
    rm -f o/*
    check_input_forms c.txt --tokenizer char --valid-fraction 0.1 --test-fraction 0.1
}

# One period: 20 tokens. The literal words <unk> and <eos> are the specials; a 2000-byte word and
# a word with a NUL byte are <unk>; \r and \t separate words; every newline is <eos>.
word_period() {
    printf '  the cat\tsat on the mat\r\n'
    printf 'the <unk> dog <eos> na\xc3\xafve\n\n'
    printf '%02000d end\n' 0
    printf 'x\x00y z\n'
}
WORD_VOCAB='<unk>
<eos>
the
cat
dog
end
mat
na\xc3\xafve
on
sat
z'

test_word() {
    word_period >w.txt
    double w.txt 10
    eq "$("$CHECK" chunking word w.txt)" "symbols=$((20 * 1024))" "word symbols, any feed size"
    prep --tokenizer word --valid-fraction 0 -o o/w.h5 w.txt
    verify o/w.h5
    eq "$(info o/w.h5 tokenizer)" word tokenizer
    eq "$(info o/w.h5 train_tokens)" $((20 * 1024)) "train tokens"
    eq "$("$CHECK" vocab o/w.h5)" "$WORD_VOCAB" "word vocabulary"
    grep -q "train .* $((3 * 1024)) <unk>" prep.log || fail "3 <unk> per period: $(cat prep.log)"
    "$CHECK" encode o/w.h5 w.txt >/dev/null || fail "tok_encode_file differs from the corpus"
    printf 'the cat sat on the mat\nthe <unk> dog\nna\xc3\xafve\n\n<unk> end\n<unk> z\n' >want.txt
    double want.txt 10
    "$CHECK" decode o/w.h5 back.txt || fail "decode"
    cmp -s back.txt want.txt || fail "word decode: words joined by spaces, <eos> as newline"
    pass "word: specials, whitespace, long and NUL words, vocab order, decode"
    printf 'a %02000d' 0 >tail.txt # ends inside an overlong word
    eq "$("$CHECK" chunking word tail.txt)" "symbols=2" "an overlong last word is one <unk>"
    seq 70000 >n.txt # 70002 entries need 32-bit ids, 300 need 16-bit ones
    prep --tokenizer word --valid-fraction 0.1 -o o/n32.h5 n.txt
    prep --tokenizer word --vocab-size 300 --valid-fraction 0.1 -o o/n16.h5 n.txt
    for f in n32 n16; do
        verify o/$f.h5
        for s in train valid; do
            eq "$(h5dump_crc o/$f.h5 $s)" "$(info o/$f.h5 ${s}_crc32)" "$f $s crc32 (h5dump + gzip)"
        done
    done
    h5dump -H o/n32.h5 | grep -q H5T_STD_U32LE || fail "70002 entries: 32-bit ids"
    h5dump -H o/n16.h5 | grep -q H5T_STD_U16LE || fail "300 entries: 16-bit ids"
    pass "word: 16- and 32-bit ids, CRC over the stored bytes"
    prep --tokenizer word --vocab-size 4 --valid-fraction 0 -o o/w4.h5 w.txt
    eq "$("$CHECK" vocab o/w4.h5)" "$(printf '<unk>\n<eos>\nthe\ncat')" "--vocab-size 4"
    printf 'foo' >f1.txt
    printf 'bar baz' >f2.txt
    prep --tokenizer word --valid-fraction 0 -o o/cat.h5 f1.txt f2.txt
    eq "$(info o/cat.h5 train_tokens)" 2 "inputs joined as by cat, no <eos> without a newline"
    eq "$("$CHECK" vocab o/cat.h5)" "$(printf '<unk>\n<eos>\nbaz\nfoobar')" "vocab of joined inputs"
    cat f1.txt f2.txt | "$PREP" --tokenizer word --valid-fraction 0 -o o/cat2.h5 - 2>prep.log ||
        fail "stdin: $(cat prep.log)"
    same_data o/cat.h5 o/cat2.h5
    pass "word: several inputs equal their concatenation on stdin"
    rm -f o/*
    check_input_forms w.txt --tokenizer word --vocab-size 8
}

# Inputs of 4 MiB or more are counted in two halves, cut after a newline near the middle, by two
# threads; a .gz input is counted whole. Both must give the same corpus, wherever the train part
# ends (in the first half or the second) and whatever symbol straddles the middle.
test_halves() {
    # shellcheck disable=SC2059 # the \x escapes must be in the format to become bytes
    printf "$CHAR_PERIOD" >c.txt
    double c.txt 18 # 6.8 MB, 262144 periods with their newlines
    word_period >w.txt
    double w.txt 12 # 8.6 MB
    printf '%09000000d' 0 >nl.txt # 9 MB without a newline: one half only
    for f in c w nl; do gzip -c $f.txt >$f.txt.gz; done
    for f in c w; do LC_ALL=C sed 's/\r$//' $f.txt >$f.lf; done # w.txt has CRLF lines: dropped
    local n=0
    for args in "--tokenizer char --valid-fraction 0" "--tokenizer char" \
        "--tokenizer char --valid-fraction 0.3 --test-fraction 0.4" "--tokenizer byte" \
        "--tokenizer word --vocab-size 9" "--tokenizer word --valid-fraction 0.6"; do
        local kind
        kind=$(echo "$args" | cut -d' ' -f2)
        for f in c w; do
            n=$((n + 1))
            # shellcheck disable=SC2086 # args are words
            prep $args -o o/p$n.h5 $f.txt
            # shellcheck disable=SC2086
            prep $args -o o/z$n.h5 $f.txt.gz
            verify o/p$n.h5
            same_data o/p$n.h5 o/z$n.h5
            [ "$kind" != char ] || "$CHECK" encode o/p$n.h5 $f.lf >/dev/null ||
                fail "$args $f.txt: tok_encode_file differs from the corpus"
        done
    done
    prep --tokenizer char --valid-fraction 0.1 -o o/nl.h5 nl.txt
    prep --tokenizer char --valid-fraction 0.1 -o o/nlz.h5 nl.txt.gz
    same_data o/nl.h5 o/nlz.h5
    eq "$(info o/nl.h5 train_tokens)" 8100000 "no newline: train tokens"
    pass "halves: char, byte and word inputs counted in two halves equal the whole count ($n cases)"
}

test_splits() {
    # 1000 tokens: 700 of a/b, then 100 x, then 200 y — y is the most frequent symbol overall.
    { for _ in $(seq 350); do printf ab; done
      for _ in $(seq 100); do printf x; done
      for _ in $(seq 200); do printf y; done; } >s.txt
    prep --valid-fraction 0.1 --test-fraction 0.2 -o o/s.h5 s.txt
    verify o/s.h5
    eq "$(info o/s.h5 train_tokens)" 700 train
    eq "$(info o/s.h5 valid_tokens)" 100 valid
    eq "$(info o/s.h5 test_tokens)" 200 test
    eq "$("$CHECK" vocab o/s.h5)" "$(printf '<unk>\na\nb')" "vocabulary from train only"
    eq "$("$CHECK" dump o/s.h5 valid | sort -u)" 0 "valid (x, unseen in train) is <unk>"
    eq "$("$CHECK" dump o/s.h5 test | sort -u)" 0 "test (y, unseen in train) is <unk>"
    eq "$("$CHECK" dump o/s.h5 train | sort -u | tr '\n' ' ')" "1 2 " "train has no <unk>"
    "$CHECK" encode o/s.h5 s.txt >/dev/null || fail "train | valid | test is the input in order"
    pass "splits: train | valid | test in order, vocabulary from train only"
    head -c 100 s.txt >h.txt
    prep --valid-fraction 0.29 --test-fraction 0.3 -o o/h.h5 h.txt
    eq "$(info o/h.h5 valid_tokens):$(info o/h.h5 test_tokens)" 29:30 "0.29 and 0.3 of 100 tokens"
    printf 'yxaz' >v.txt # with all of s.txt as train: <unk> a b y x (a, b 350 each, y 200, x 100)
    prep --valid v.txt -o o/v.h5 s.txt
    verify o/v.h5
    eq "$(info o/v.h5 train_tokens):$(info o/v.h5 valid_tokens)" 1000:4 "--valid FILE"
    eq "$("$CHECK" dump o/v.h5 valid | tr '\n' ' ')" "3 4 1 0 " "--valid ids, z unseen in train"
    prep --valid v.txt --test-fraction 0.1 -o o/vt.h5 s.txt
    eq "$(info o/vt.h5 train_tokens):$(info o/vt.h5 valid_tokens):$(info o/vt.h5 test_tokens)" \
        900:4:100 "--valid FILE with --test-fraction"
    prep --valid-fraction 0 -o o/t.h5 s.txt
    verify o/t.h5
    h5ls o/t.h5 >ls.txt
    grep -q '^valid' ls.txt && fail "an empty split must be left out"
    eq "$(info o/t.h5 valid_tokens)" 0 "no valid attribute"
    printf 'a' >one.txt
    prep -o o/one.h5 one.txt
    eq "$(info o/one.h5 train_tokens):$(info o/one.h5 valid_tokens)" 1:0 "1 token: 5% rounds to 0"
    local uuid
    uuid=$(info o/one.h5 uuid)
    prep -o o/one.h5 one.txt
    [ "$(info o/one.h5 uuid)" != "$uuid" ] || fail "a new file gets a new uuid"
    only_outputs s.h5 h.h5 v.h5 vt.h5 t.h5 one.h5
    pass "splits: rounding, --valid FILE, empty splits left out, rewrite"
}

test_errors() {
    printf 'some text\n' >t.txt
    expect_exit 64 "$PREP" --bogus -o o/x.h5 t.txt
    grep -q -- '--bogus' err.txt || fail "the message names the unknown option"
    expect_exit 64 "$PREP" --tokenizer bpe -o o/x.h5 t.txt
    expect_exit 64 "$PREP" --vocab-size 0 -o o/x.h5 t.txt
    expect_exit 64 "$PREP" --vocab-size 12x -o o/x.h5 t.txt
    expect_exit 64 "$PREP" --tokenizer word --vocab-size 2 -o o/x.h5 t.txt
    expect_exit 64 "$PREP" --tokenizer byte --vocab-size 100 -o o/x.h5 t.txt
    expect_exit 64 "$PREP" --valid-fraction 1.5 -o o/x.h5 t.txt
    expect_exit 64 "$PREP" --valid-fraction 0.6 --test-fraction 0.4 -o o/x.h5 t.txt
    expect_exit 64 "$PREP" --valid t.txt --valid-fraction 0.1 -o o/x.h5 t.txt
    expect_exit 65 "$PREP" --format pairs -o o/x.h5 t.txt # t.txt has no TAB
    grep -q 't.txt:1: no TAB' err.txt || fail "--format pairs on plain text names file:line"
    expect_exit 65 "$PREP" --format labels -o o/x.h5 t.txt # t.txt has no TAB
    grep -q 't.txt:1: no TAB' err.txt || fail "--format labels on plain text names file:line"
    expect_exit 64 "$PREP" --format csv -o o/x.h5 t.txt
    expect_exit 64 "$PREP" t.txt
    expect_exit 64 "$PREP" -o o/x.h5
    expect_exit 64 "$PREP" t.txt -o
    expect_exit 64 "$PREP" -o o/x.h5 - -
    expect_exit 0 "$PREP" --help
    grep -q '^usage: drnn-prep' out.txt || fail "--help prints the usage on stdout"
    only_outputs
    pass "errors: usage errors exit 64 with a one-line message"

    expect_exit 66 "$PREP" -o o/x.h5 t.txt missing.txt
    grep -q missing.txt err.txt || fail "the message names the missing input"
    expect_exit 66 "$PREP" -o o/x.h5 o
    expect_exit 66 "$PREP" --valid missing.txt -o o/x.h5 t.txt
    : >empty.txt
    expect_exit 65 "$PREP" -o o/x.h5 empty.txt
    printf ' \t \r ' >blank.txt
    expect_exit 65 "$PREP" --tokenizer word -o o/x.h5 blank.txt
    expect_exit 65 "$PREP" --valid empty.txt -o o/x.h5 t.txt
    "$PREP" -o o/x.h5 - <empty.txt 2>err.txt
    eq "$?" 65 "empty stdin"
    for _ in $(seq 2000); do echo "line of text to compress"; done | gzip -c >good.gz
    head -c $(($(stat -c %s good.gz) / 2)) good.gz >truncated.gz
    expect_exit 65 "$PREP" -o o/x.h5 truncated.gz
    grep -q truncated.gz err.txt || fail "the message names the damaged file"
    cp good.gz corrupt.gz
    printf '\xff\xff\xff\xff' | dd of=corrupt.gz bs=1 seek=40 conv=notrunc 2>/dev/null
    expect_exit 65 "$PREP" -o o/x.h5 corrupt.gz
    "$PREP" -o o/x.h5 - <truncated.gz 2>err.txt
    eq "$?" 65 "truncated gzip on stdin"
    only_outputs
    pass "errors: missing input 66, empty or damaged input 65, nothing left behind"

    expect_exit 74 "$PREP" -o nowhere/x.h5 t.txt
    expect_exit 74 "$PREP" -o /dev/null/x.h5 t.txt
    expect_exit 74 "$PREP" -o o t.txt
    if [ "$(id -u)" != 0 ]; then # root may write anywhere
        mkdir ro && chmod 555 ro
        expect_exit 74 "$PREP" -o ro/x.h5 t.txt
        eq "$(ls -A ro)" "" "read-only folder stays empty"
    fi
    seq 300000 >big.txt # ~2 MB: its corpus and its spool copy exceed a 200 KiB file size limit
    (trap '' XFSZ; ulimit -f 200; exec "$PREP" -o o/x.h5 big.txt) 2>err.txt
    eq "$?" 74 "a failed HDF5 write"
    grep -q 'File too large' err.txt || fail "the message gives the reason: $(cat err.txt)"
    (trap '' XFSZ; ulimit -f 200; exec "$PREP" -o o/x.h5 - <big.txt) 2>err.txt
    eq "$?" 74 "a failed spool write"
    only_outputs
    pass "errors: unwritable output 74, also when a write fails midway"
}

test_signals() {
    # drnn-prep spools a named pipe that stays open next to the output; SIGTERM (and SIGINT) must
    # remove the spool file.
    mkfifo in.fifo
    for sig in TERM INT; do
        "$PREP" -o o/x.h5 in.fifo 2>err.txt &
        local pid=$!
        exec 3<>in.fifo # read-write: never blocks, even if drnn-prep died before opening it
        printf 'abc' >&3
        for _ in $(seq 50); do [ -n "$(ls -A o)" ] && break; sleep 0.1; done
        [ -n "$(ls -A o)" ] || fail "no spool file appeared in the output folder"
        kill -"$sig" "$pid"
        wait "$pid"
        local rc=$?
        exec 3>&-
        eq "$rc" $((128 + $(kill -l "$sig"))) "exit status after SIG$sig"
        only_outputs
    done
    pass "signals: SIGTERM and SIGINT remove the spool file"
}

test_stale() {
    # kill -9 cannot be caught: the temporary output and the spool file stay. The next run to the
    # same output removes them; never the files of a live process, of a PID that runs, of one
    # someone holds a lock on, or of another output.
    local gz=$DATA/kjv.txt.gz pid live dead size
    [ -r "$gz" ] || fail "$gz is missing"
    for _ in 1 2 3 4 5 6; do zcat "$gz"; done >big.txt # 25 MB through stdin: spooled
    "$PREP" --tokenizer char -o o/s.h5 - <big.txt 2>/dev/null &
    pid=$!
    for _ in $(seq 6000); do [ -e "o/s.h5.tmp.$pid" ] && break; sleep 0.01; done
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    [ -e "o/s.h5.tmp.$pid" ] || fail "no temporary output o/s.h5.tmp.$pid before kill -9"
    [ -e "o/s.h5.spool0.$pid" ] || fail "no spool file o/s.h5.spool0.$pid before kill -9"
    size=$(($(stat -c %s "o/s.h5.tmp.$pid") + $(stat -c %s "o/s.h5.spool0.$pid")))
    sleep 60 &
    live=$!
    (exit 0) &
    dead=$!
    wait "$dead" # a PID that no longer runs
    : >"o/s.h5.tmp.$live"
    : >"o/s.h5.spool0.$live"
    : >"o/s.h5.spool2.$dead"
    : >"o/s.h5.spool1.$dead"
    : >"o/other.h5.tmp.$dead"
    : >"o/s.h5.tmp.0$dead"
    exec 8<"o/s.h5.spool1.$dead"
    flock -s 8 # held by this shell through fd 8, as another host's drnn-prep would hold it
    prep --tokenizer char -o o/s.h5 "$gz"
    exec 8<&-
    kill "$live"
    verify o/s.h5
    eq "$(total_tokens o/s.h5)" "$(zcat "$gz" | wc -c)" "tokens of the new output"
    only_outputs s.h5 "s.h5.tmp.$live" "s.h5.spool0.$live" "s.h5.spool1.$dead" \
        "other.h5.tmp.$dead" "s.h5.tmp.0$dead"
    for f in "s.h5.tmp.$pid" "s.h5.spool0.$pid" "s.h5.spool2.$dead"; do
        grep -qF "drnn-prep: removed o/$f, left by drnn-prep process" prep.log ||
            fail "no message for o/$f: $(cat prep.log)"
    done
    pass "stale: kill -9 left $size bytes (o/s.h5.tmp.PID, .spool0.PID); the next run removed" \
        "them, and kept a live PID's, a locked and another output's files"
}

# Prints the seconds a command took (bash's TIMEFORMAT), failing when the command fails.
timed() {
    local TIMEFORMAT=%R t
    t=$( { time "$@" 2>prep.log >/dev/null; } 2>&1) || fail "$* failed: $(cat prep.log)"
    echo "$t"
}

test_kjv() {
    local gz=$DATA/kjv.txt.gz
    [ -r "$gz" ] || fail "$gz is missing"
    local bytes words lines t
    bytes=$(zcat "$gz" | wc -c)
    words=$(zcat "$gz" | wc -w)
    lines=$(zcat "$gz" | wc -l)
    t=$(timed "$PREP" --tokenizer char -o o/kjv_char.h5 "$gz")
    verify o/kjv_char.h5
    eq "$(total_tokens o/kjv_char.h5)" "$bytes" "KJV char tokens (ASCII text: one per byte)"
    echo "kjv char: ${t} s, vocab $(info o/kjv_char.h5 vocab_size), train $(info o/kjv_char.h5 train_tokens) tokens"
    t=$(timed "$PREP" --tokenizer word --vocab-size 10000 -o o/kjv_word.h5 "$gz")
    verify o/kjv_word.h5
    eq "$(info o/kjv_word.h5 vocab_size)" 10000 "KJV word vocab_size"
    eq "$(total_tokens o/kjv_word.h5)" $((words + lines)) "KJV word tokens = words + newlines"
    "$CHECK" encode o/kjv_word.h5 "$gz" >/dev/null || fail "KJV word: tok_encode_file differs"
    echo "kjv word: ${t} s, vocab $(info o/kjv_word.h5 vocab_size), train $(info o/kjv_word.h5 train_tokens) tokens"
    only_outputs kjv_char.h5 kjv_word.h5
    pass "kjv: char and word --vocab-size 10000"
}

# ---- labelled data (--format labels) ------------------------------------------------------------

# zlib crc32 of a labelled split computed without drnn code: tokens, offsets and labels as h5dump
# dumps them (little-endian), one after the other, through gzip's trailer CRC.
h5dump_labels_crc() {
    local d
    : >all.bin
    for d in tokens offsets labels; do
        h5dump -d "/$2/$d" -b LE -o raw.bin "$1" >/dev/null || fail "h5dump $1 /$2/$d"
        cat raw.bin >>all.bin
    done
    gzip -c all.bin | tail -c 8 | head -c 4 | od -An -tu4 | tr -d ' '
}
# Same attributes (but the uuid), vocabulary, labels and examples.
same_labelled() {
    same_data "$1" "$2"
    cmp -s <("$CHECK" labels "$1") <("$CHECK" labels "$2") || fail "$1 and $2: labels differ"
    for s in train valid test; do
        cmp -s <("$CHECK" examples "$1" $s) <("$CHECK" examples "$2" $s) ||
            fail "$1 and $2: $s examples differ"
    done
}
# The examples of every split read with plain HDF5 and through io/corpus.h must agree.
reader_agrees() {
    for s in train valid test; do
        cmp -s <("$CHECK" examples "$1" $s) <("$CHECK" reader "$1" $s) ||
            fail "$1 $s: corpus_read_examples disagrees with plain HDF5"
    done
}

# 10 examples, an empty line between them; the label order seen (pos neg B ä zz) is not byte
# order (B neg pos zz ä). A second TAB belongs to the text. The valid and test texts use train
# words only, except 'unicorn'.
labels_file() {
    printf 'pos\tthe cat sat on the mat\n'
    printf 'neg\tthe dog bit the cat\n'
    printf '\n'
    printf 'B\ta b c\n'
    printf '\xc3\xa4\tna\xc3\xafve caf\xc3\xa9\n'
    printf 'pos\tthe cat\tsat\n'
    printf 'neg\tdog  bit   mat\n'
    printf 'zz\tz\n'
    printf 'pos\tthe mat sat on the cat\n'
    printf 'neg\tthe unicorn bit\n'
    printf 'B\tc b a' # no newline at the end
}

test_labels() {
    labels_file >l.tsv
    prep --format labels --tokenizer word --valid-fraction 0.2 --test-fraction 0.1 -o o/l.h5 l.tsv
    verify o/l.h5
    eq "$(info o/l.h5 data)" labels "data attribute"
    eq "$(info o/l.h5 num_labels)" 5 num_labels
    eq "$("$CHECK" labels o/l.h5)" "$(printf 'B\nneg\npos\nzz\n\\xc3\\xa4')" "label ids in byte order"
    eq "$(info o/l.h5 train_examples):$(info o/l.h5 valid_examples):$(info o/l.h5 test_examples)" \
        7:2:1 "examples per split: the last 20% and 10% of the examples"
    eq "$(info o/l.h5 train_tokens):$(info o/l.h5 valid_tokens):$(info o/l.h5 test_tokens)" \
        23:9:3 "tokens per split, no <eos> per example"
    printf 'pos\tthe cat sat on the mat\nneg\tthe dog bit the cat\nB\ta b c\n\xc3\xa4\tna\xc3\xafve caf\xc3\xa9\npos\tthe cat sat\nneg\tdog bit mat\nzz\tz\n' >want.train
    printf 'pos\tthe mat sat on the cat\nneg\tthe <unk> bit\n' >want.valid
    printf 'B\tc b a\n' >want.test
    for s in train valid test; do
        "$CHECK" examples o/l.h5 $s >got.$s || fail "prep_check examples $s"
        cmp -s got.$s want.$s || fail "$s examples: got $(cat got.$s), expected $(cat want.$s)"
        eq "$(h5dump_labels_crc o/l.h5 $s)" "$(info o/l.h5 ${s}_crc32)" "$s crc32 over tokens, offsets, labels"
    done
    reader_agrees o/l.h5
    h5dump -d /train/offsets o/l.h5 | grep -q 'H5T_STD_U64LE' || fail "offsets are uint64 LE"
    h5dump -d /train/labels o/l.h5 | grep -q 'H5T_STD_U32LE' || fail "labels are uint32 LE"
    eq "$(h5dump -d /valid/offsets -y -w 0 o/l.h5 | sed -n '/DATA {/,/}/p' | tr -d ' \n')" \
        'DATA{0,6,9}' "valid offsets: 0, then the end of each example"
    grep -q 'train  *7 examples,  *23 tokens' prep.log || fail "summary: examples and tokens: $(cat prep.log)"
    grep -q 'labels: B 1, neg 2, pos 2, zz 1, ä 1' prep.log || fail "summary: train label counts: $(cat prep.log)"
    pass "labels: word tokenizer, label ids in byte order, examples per split, offsets, CRC, reader"

    grep -v '^$' l.tsv >nonempty.tsv
    prep --format labels --valid-fraction 0 -o o/c.h5 l.tsv # char, every example train
    verify o/c.h5
    "$CHECK" examples o/c.h5 train >got.txt
    cmp -s got.txt nonempty.tsv || fail "char examples are the input lines: $(cat got.txt)"
    h5ls o/c.h5 | grep -q '^valid' && fail "an empty split must be left out"
    eq "$(info o/c.h5 valid_examples)" 0 "no valid examples"
    prep --format labels --tokenizer byte --valid-fraction 0 -o o/b.h5 l.tsv
    eq "$(info o/b.h5 train_tokens)" "$(cut -f2- nonempty.tsv | tr -d '\n' | wc -c)" "byte: tokens = text bytes"
    reader_agrees o/c.h5
    reader_agrees o/b.h5
    pass "labels: char and byte round trip, empty splits left out"

    printf 'zz top\tthe cat\n\nneg\tthe dog\n' >v.tsv # 'zz top' is seen in valid only
    prep --format labels --tokenizer word --valid v.tsv --test-fraction 0.1 -o o/v.h5 l.tsv
    verify o/v.h5
    eq "$(info o/v.h5 train_examples):$(info o/v.h5 valid_examples):$(info o/v.h5 test_examples)" \
        9:2:1 "--valid FILE: all of it valid, --test-fraction of the input"
    eq "$("$CHECK" labels o/v.h5 | tr '\n' ' ')" 'B neg pos zz zz top \xc3\xa4 ' "labels of train and --valid"
    eq "$("$CHECK" examples o/v.h5 valid)" "$(printf 'zz top\tthe cat\nneg\tthe dog')" "--valid examples"
    reader_agrees o/v.h5
    prep -o o/t.h5 nonempty.tsv
    eq "$(info o/t.h5 data)" text "text corpora have data = text"
    eq "$(info o/t.h5 num_labels)" 0 "text corpora have no labels"
    only_outputs l.h5 c.h5 b.h5 v.h5 t.h5
    rm -f o/*
    pass "labels: --valid FILE, labels seen only in valid, data = text for text corpora"

    input_forms l.tsv 5 --format labels --tokenizer word --valid-fraction 0.2
    for f in gz stdin stdingz pipe two; do
        verify o/$f.h5
        same_labelled o/plain.h5 o/$f.h5
    done
    only_outputs plain.h5 gz.h5 stdin.h5 stdingz.h5 pipe.h5 two.h5
    pass "labels: plain, .gz, stdin, gzip stdin, a pipe and two inputs give the same corpus"
}

test_labels_errors() {
    printf 'pos\tfine\n' >good.tsv
    printf 'just text\npos\tfine\n' >t1.tsv
    printf 'pos\tfine\n\nneg\tfine too\nno tab here\npos\tx\n' >t4.tsv
    printf '\tno label\n' >l1.tsv
    printf 'pos\tfine\nneg\tok\n\tno label\n' >l3.tsv
    printf 'pos\t\n' >e1.tsv
    printf 'pos\tfine\n\n\nneg\t\npos\tx\n' >e4.tsv
    printf 'pos\tfine\nneg\t \t \n' >w2.tsv
    expect_bad_line labels "t1.tsv:1: no TAB between label and text" -o o/x.h5 t1.tsv
    expect_bad_line labels "t4.tsv:4: no TAB" -o o/x.h5 t4.tsv
    expect_bad_line labels "l1.tsv:1: empty label" -o o/x.h5 l1.tsv
    expect_bad_line labels "l3.tsv:3: empty label" -o o/x.h5 l3.tsv
    expect_bad_line labels "e1.tsv:1: empty text" -o o/x.h5 e1.tsv
    expect_bad_line labels "e4.tsv:4: empty text" -o o/x.h5 e4.tsv
    expect_bad_line labels "w2.tsv:2: the text after the TAB has no word tokens" --tokenizer word -o o/x.h5 w2.tsv
    bad_line_forms labels t4.tsv 4 "no TAB between label and text" good.tsv
    bad_line_forms labels e4.tsv 4 "empty text after the TAB" good.tsv
    bad_line_forms labels l3.tsv 3 "empty label before the TAB" good.tsv
    "$PREP" --format labels --valid - -o o/x.h5 good.tsv <t1.tsv >out.txt 2>err.txt
    eq "$?" 65 "malformed --valid on stdin"
    grep -q '^drnn-prep: stdin:1: no TAB' err.txt || fail "--valid - is named 'stdin': $(cat err.txt)"
    only_outputs
    pass "labels errors: no TAB, empty label, empty text (line 1 and later), .gz, stdin, --valid: 65 naming file:line, nothing left"

    printf '\n\n' >blank.tsv
    expect_exit 65 "$PREP" --format labels -o o/x.h5 blank.tsv
    grep -q 'no examples' err.txt || fail "an input of empty lines has no examples"
    expect_exit 65 "$PREP" --format labels --valid blank.tsv -o o/x.h5 good.tsv
    expect_exit 65 "$PREP" --format labels --valid-fraction 0.5 --test-fraction 0.4 -o o/x.h5 good.tsv
    grep -q 'only 1 examples' err.txt || fail "too few examples to split"
    only_outputs
    pass "labels errors: no examples, too few examples to split"

    printf 'a\tx y\nb\ty z\na\tz\n' >ok.tsv # offsets 0 2 4 5, labels 0 1 0
    prep --format labels --tokenizer word --valid-fraction 0 -o o/ok.h5 ok.tsv
    "$CHECK" reader o/ok.h5 train >/dev/null || fail "reader on the undamaged corpus"
    damaged attr:num_labels=0 'num_labels is missing or invalid'
    damaged attr:num_labels=3 '/labels does not have num_labels=3 entries'
    damaged drop:/labels '/labels is missing'
    damaged data=bogus "data 'bogus' is not text, labels or pairs"
    damaged data=pairs 'attribute tgt_vocab_size or shared_vocab is missing or invalid'
    damaged drop:train_examples 'attribute train_examples is missing'
    damaged attr:train_examples=2 '/train/offsets does not match'
    damaged drop:/train/tokens 'cannot open /train/tokens'
    damaged drop:/train 'attribute train_tokens and group /train disagree'
    damaged drop:train_tokens 'attribute train_tokens and group /train disagree'
    damaged attr:version=1 'format version 1, this drnn reads version 2'
    damaged set:/vocab:0=88 '/vocab does not match its checksum vocab_crc32'
    damaged set:/labels:0=88 '/labels does not match its checksum labels_crc32'
    damaged drop:labels_crc32 'attribute labels_crc32 is missing'
    damaged drop:/train/offsets 'cannot open /train/offsets'
    damaged drop:/train/labels 'cannot open /train/labels'
    damaged set:/train/offsets:1=5 '/train/offsets decrease at example 1'
    damaged set:/train/offsets:3=4 '/train/offsets do not run from 0 to train_tokens=5'
    damaged set:/train/labels:2=7 'label id 7 of train example 2 >= num_labels 2'
    pass "labels reader: damaged attributes, datasets, offsets or labels are 65 naming the file"
}

# jobs/kjv_labels.sh: the labelled KJV demo data, and drnn-prep on it.
test_kjv_labels() {
    local script=$DATA/../jobs/kjv_labels.sh first
    KJV_GZ=$DATA/kjv.txt.gz bash "$script" kjv >kjv.log 2>&1 || fail "kjv_labels.sh: $(cat kjv.log)"
    cat kjv.log
    eq "$(wc -l <kjv/train.tsv):$(wc -l <kjv/valid.tsv)" 27992:3110 "train and valid lines"
    eq "$(cut -f1 kjv/train.tsv kjv/valid.tsv | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')" \
        "epistles=2767 gospels=4786 history=7018 law=5852 prophets=5490 revelation=404 wisdom=4785 " \
        "verses per section (book boundaries from the verse table)"
    grep -q 'majority class of valid: history, 702 of 3110 verses = 22.57%' kjv.log ||
        fail "majority share of valid: $(cat kjv.log)"
    # The first verse of a book of each section, and the first and last verse of the sections
    # around each boundary.
    for first in 'law	Now these are the names of the children of Israel' \
        'history	Now after the death of Moses the servant' 'history	Now it came to pass in the days of Ahasuerus' \
        'wisdom	There was a man in the land of Uz' "wisdom	The song of songs, which is Solomon's." \
        'prophets	The vision of Isaiah the son of Amoz' 'prophets	The burden of the word of the LORD to Israel by Malachi.' \
        'gospels	The book of the generation of Jesus Christ' 'gospels	The former treatise have I made' \
        'epistles	Paul, a servant of Jesus Christ, called to be an apostle' 'epistles	Jude, the servant of Jesus Christ' \
        'revelation	The Revelation of Jesus Christ'; do
        grep -qF "$first" kjv/train.tsv || fail "no train line '$first'"
    done
    eq "$(sed -n '$p' kjv/train.tsv)" "revelation	The grace of our Lord Jesus Christ be with you all. Amen." "last verse"
    eq "$(sed -n 1p kjv/valid.tsv | cut -c1-40)" "law	And God called the dry land Earth; a" "verse 10 (Genesis 1:10) is the first valid one"
    prep --format labels --tokenizer word --valid kjv/valid.tsv -o o/kjv_labels.h5 kjv/train.tsv
    verify o/kjv_labels.h5
    eq "$("$CHECK" labels o/kjv_labels.h5 | tr '\n' ' ')" \
        "epistles gospels history law prophets revelation wisdom " "seven sections, ids in byte order"
    eq "$(info o/kjv_labels.h5 train_examples):$(info o/kjv_labels.h5 valid_examples)" 27992:3110 "examples"
    reader_agrees o/kjv_labels.h5
    only_outputs kjv_labels.h5
    pass "kjv_labels: 31102 verses in seven sections, train and valid, drnn-prep --format labels"
}

case "$GROUP" in
byte | char | word | halves | splits | errors | signals | stale | kjv | labels | labels_errors | kjv_labels)
    "test_$GROUP"
    ;;
*) fail "unknown group '$GROUP'" ;;
esac
