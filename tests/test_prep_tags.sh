#!/usr/bin/env bash
# tests/test_prep_tags.sh PREP CHECK GROUP — drnn-prep --format tags (sequence tagging), one GROUP
# per CTest test: tags, tags_errors. PREP is drnn-prep, CHECK is prep_check (tests/prep_check.c:
# "tags" and "offsets" read the corpus through io/corpus.h, "damage" damages it). The file itself
# is decoded and checked without drnn code, with /usr/bin/python3 and h5py. Exits 1 on the first
# failed assertion, naming it.
set -u
PREP=$1
CHECK=$2
GROUP=$3
READER=("$CHECK" tags)
# shellcheck source=tests/prep_lib.sh
. "$(dirname "$0")/prep_lib.sh"

# tags_h5.py: the corpus read with h5py.
#   check CORPUS          every layout rule of a tagged corpus (attributes, datasets, widths,
#                         filters, offsets, tag ids, CRCs); prints "ok"
#   decode CORPUS SPLIT   "w1 w2<TAB>t1 t2" per sequence: vocabulary entries and tag names
#   offsets CORPUS SPLIT  the offsets, one per line
#   attr CORPUS NAME      a root attribute
#   labels CORPUS         the tag names, one per line
#   dtype CORPUS PATH     a dataset's type (uint8, uint16, ...)
cat >tags_h5.py <<'EOF'
import sys, zlib
import h5py
import numpy as np

out = sys.stdout.buffer


def table(f, name):
    b = f[name][()].tobytes()
    assert b.endswith(b"\0"), name
    return b[:-1].split(b"\0")


def attr(f, name):
    v = f.attrs[name]
    return v.decode() if isinstance(v, bytes) else v


def check(path):
    f = h5py.File(path, "r")
    assert attr(f, "format") == "drnn-corpus" and int(attr(f, "version")) == 2
    assert attr(f, "data") == "tags", attr(f, "data")
    assert attr(f, "tokenizer") in ("word", "char"), attr(f, "tokenizer")
    names = table(f, "labels")
    nl = int(attr(f, "num_labels"))
    assert nl == len(names) >= 1, (nl, len(names))
    assert names == sorted(set(names)), "tag names unique, in byte order"
    assert zlib.crc32(f["labels"][()].tobytes()) == int(attr(f, "labels_crc32")), "labels_crc32"
    vocab = table(f, "vocab")
    assert len(vocab) == int(attr(f, "vocab_size"))
    assert zlib.crc32(f["vocab"][()].tobytes()) == int(attr(f, "vocab_crc32")), "vocab_crc32"
    width = 1 if nl <= 256 else 2 if nl <= 65536 else 4
    present = 0
    for s in ("train", "valid", "test"):
        if s + "_tokens" not in f.attrs:
            assert s not in f and s + "_crc32" not in f.attrs and s + "_examples" not in f.attrs, s
            continue
        present += 1
        g = f[s]
        assert sorted(g.keys()) == ["offsets", "tags", "tokens"], sorted(g.keys())
        tok, off, tags = g["tokens"], g["offsets"], g["tags"]
        n, ntok = int(attr(f, s + "_examples")), int(attr(f, s + "_tokens"))
        assert tok.shape == (ntok,) and tags.shape == (ntok,) and off.shape == (n + 1,), s
        assert tags.dtype == np.dtype("<u%d" % width), (s, tags.dtype, nl)
        assert off.dtype == np.dtype("<u8"), off.dtype
        for d in (tok, off, tags):
            assert d.chunks and d.shuffle and d.compression == "gzip" and d.fletcher32, d.name
        o, t, ids = off[()], tags[()], tok[()]
        assert n >= 1 and o[0] == 0 and o[-1] == ntok and (np.diff(o.astype(np.int64)) >= 1).all(), s
        assert (t < nl).all() and (ids < len(vocab)).all(), s
        crc = zlib.crc32(tok[()].astype(tok.dtype.newbyteorder("<")).tobytes())
        crc = zlib.crc32(o.astype("<u8").tobytes(), crc)
        crc = zlib.crc32(t.astype(tags.dtype.newbyteorder("<")).tobytes(), crc)
        assert crc == int(attr(f, s + "_crc32")), "%s_crc32 covers tokens, offsets and tags" % s
    assert present >= 1
    print("ok")


def decode(path, s):
    f = h5py.File(path, "r")
    if s not in f:
        return
    vocab, names = table(f, "vocab"), table(f, "labels")
    o, ids, tags = f[s]["offsets"][()], f[s]["tokens"][()], f[s]["tags"][()]
    for i in range(len(o) - 1):
        a, b = int(o[i]), int(o[i + 1])
        out.write(b" ".join(vocab[x] for x in ids[a:b]) + b"\t")
        out.write(b" ".join(names[x] for x in tags[a:b]) + b"\n")


cmd, path = sys.argv[1], sys.argv[2]
if cmd == "check":
    check(path)
elif cmd == "decode":
    decode(path, sys.argv[3])
elif cmd == "offsets":
    print("\n".join(str(x) for x in h5py.File(path, "r")[sys.argv[3]]["offsets"][()]))
elif cmd == "attr":
    print(attr(h5py.File(path, "r"), sys.argv[3]))
elif cmd == "labels":
    out.write(b"".join(x + b"\n" for x in table(h5py.File(path, "r"), "labels")))
elif cmd == "dtype":
    print(h5py.File(path, "r")[sys.argv[3]].dtype)
EOF

py() { /usr/bin/python3 tags_h5.py "$@"; }
attr() { py attr "$1" "$2"; }
# The corpus passes every layout check, and every split decodes the same with h5py and through
# io/corpus.h (corpus_read_examples without labels, corpus_read, corpus_read_tags).
checked() {
    local f=$1 s
    eq "$(py check "$f" 2>&1)" ok "$f: layout (tags_h5.py check)"
    for s in train valid test; do
        [ "$(attr "$f" "${s}_examples" 2>/dev/null)" ] || continue
        "$CHECK" tags "$f" $s >reader.txt 2>err.txt || fail "prep_check tags $f $s: $(cat err.txt)"
        cmp -s reader.txt <(py decode "$f" $s) || fail "$f $s: io/corpus.h and h5py disagree"
        cmp -s <("$CHECK" offsets "$f" $s) <(py offsets "$f" $s) ||
            fail "$f $s: corpus_read_examples offsets disagree with h5py"
    done
}
# decoded CORPUS SPLIT WANT: the split decodes (h5py) to the lines WANT.
decoded() {
    py decode "$1" "$2" >got.txt || fail "tags_h5.py decode $1 $2"
    eq "$(cat got.txt)" "$3" "$1 $2 decoded"
}
same_tags() {
    local s
    for s in train valid test; do
        cmp -s <(py decode "$1" $s) <(py decode "$2" $s) || fail "$1 and $2: $s differs"
    done
    eq "$(py labels "$1")" "$(py labels "$2")" "$1 and $2: tag names"
    [ "$(attr "$1" uuid)" != "$(attr "$2" uuid)" ] || fail "$1 and $2 share a uuid"
}

# 11 sequences: a CRLF line, runs of spaces, an empty line and a CRLF empty line; the last two
# are valid, the last one test (fractions 0.2 and 0.1). 'zebra', 'wow' and '!' are not train
# words; the tag UH is seen in test only. No newline at the end.
tags_file() {
    printf 'the cat sat\tDT NN VBD\r\n'
    printf 'the  dog   barked\tDT  NN VBD\n'
    printf '\n'
    printf 'a big dog\tDT JJ NN\n'
    printf 'dogs bark\tNNS VBP\n'
    printf 'the cat\tDT NN\n'
    printf '\r\n'
    printf 'she sat on the mat .\tPRP VBD IN DT NN .\n'
    printf 'cat\tNN\n'
    printf 'the big cat sat\tDT JJ NN VBD\n'
    printf 'the dog sat on a mat\tDT NN VBD IN DT NN\n'
    printf 'a zebra barked\tDT NN VBD\n'
    printf 'wow !\tUH .'
}
WORD_TRAIN='the cat sat	DT NN VBD
the dog barked	DT NN VBD
a big dog	DT JJ NN
dogs bark	NNS VBP
the cat	DT NN
she sat on the mat .	PRP VBD IN DT NN .
cat	NN
the big cat sat	DT JJ NN VBD'

test_tags() {
    "$PREP" --help >help.txt || fail "drnn-prep --help"
    grep -q "^--format tags (sequence tagging)" help.txt || fail "--help documents --format tags"
    grep -q "tags: lines 'w1 ... wn<TAB>t1 ... tn'" help.txt || fail "--format's help names tags"

    tags_file >t.tsv
    prep --format tags --valid-fraction 0.2 --test-fraction 0.1 -o o/t.h5 t.tsv # word: the default
    checked o/t.h5
    eq "$(attr o/t.h5 data):$(attr o/t.h5 tokenizer):$(attr o/t.h5 version)" tags:word:2 "data, tokenizer, version"
    eq "$(attr o/t.h5 train_examples):$(attr o/t.h5 valid_examples):$(attr o/t.h5 test_examples)" \
        8:2:1 "sequences per split: the last 20% and 10%"
    eq "$(attr o/t.h5 train_tokens):$(attr o/t.h5 valid_tokens):$(attr o/t.h5 test_tokens)" \
        24:9:2 "tokens per split"
    eq "$(py labels o/t.h5 | tr '\n' ' ')" '. DT IN JJ NN NNS PRP UH VBD VBP ' \
        "tag ids in byte order, UH (test only) included"
    eq "$(attr o/t.h5 num_labels)" 10 num_labels
    eq "$(attr o/t.h5 vocab_size)" 15 "vocabulary: <unk> <eos> and the 13 train words"
    eq "$(py dtype o/t.h5 /train/tags)" uint8 "10 tags: uint8 tag ids"
    decoded o/t.h5 train "$WORD_TRAIN"
    decoded o/t.h5 valid "$(printf 'the dog sat on a mat\tDT NN VBD IN DT NN\na <unk> barked\tDT NN VBD')"
    decoded o/t.h5 test "$(printf '<unk> <unk>\tUH .')"
    eq "$(py offsets o/t.h5 valid | tr '\n' ' ')" '0 6 9 ' "valid offsets"
    grep -q 'train  *8 sequences,  *24 tokens' prep.log || fail "summary: sequences and tokens: $(cat prep.log)"
    grep -q 'tags: \. 1, DT 6, IN 1, JJ 2, NN 7, NNS 1, PRP 1, UH 0, VBD 4, VBP 1' prep.log ||
        fail "summary: train tokens per tag: $(cat prep.log)"
    pass "tags: word tokenizer, CRLF, spaces, splits, tag ids in byte order, <unk>, layout, CRC, reader"

    prep --format tags --vocab-size 4 --valid-fraction 0 -o o/v4.h5 t.tsv
    checked o/v4.h5
    eq "$(py decode o/v4.h5 train | head -2)" "$(printf 'the cat <unk>\tDT NN VBD\nthe <unk> <unk>\tDT NN VBD')" \
        "--vocab-size 4: <unk> <eos> the cat"
    h5ls o/v4.h5 | grep -q '^valid' && fail "an empty split must be left out"
    printf 'the cat\tXX NN\nthe unicorn\tDT YY\n' >v.tsv # XX, YY: tags of the --valid file only
    prep --format tags --valid v.tsv -o o/vf.h5 t.tsv
    checked o/vf.h5
    eq "$(attr o/vf.h5 train_examples):$(attr o/vf.h5 valid_examples)" 11:2 "--valid FILE: all of it valid"
    eq "$(py labels o/vf.h5 | tr '\n' ' ')" '. DT IN JJ NN NNS PRP UH VBD VBP XX YY ' "tags of the --valid file"
    decoded o/vf.h5 valid "$(printf 'the cat\tXX NN\nthe <unk>\tDT YY')"
    pass "tags: --vocab-size, empty splits left out, --valid FILE with tags of its own"

    # Chinese word segmentation, one character per item; M is seen in valid only, 们 and 大 are
    # not train characters.
    {
        printf '我 爱 你\tS S S\n'
        printf '北 京 欢 迎 你\tB E B E S\r\n'
        printf '我 在 北 京\tS S B E\n'
        printf '你 们 在 北 京 大\tB E S B M E\n'
    } >c.tsv
    prep --format tags --tokenizer char --valid-fraction 0.25 -o o/c.h5 c.tsv
    checked o/c.h5
    eq "$(attr o/c.h5 tokenizer):$(attr o/c.h5 train_examples):$(attr o/c.h5 valid_examples)" char:3:1 "char: 3 + 1 sequences"
    eq "$(py labels o/c.h5 | tr '\n' ' ')" 'B E M S ' "char: tag names"
    eq "$(attr o/c.h5 vocab_size)" 9 "char: <unk> and the 8 train characters"
    decoded o/c.h5 train "$(head -n 3 c.tsv | tr -d '\r')"
    decoded o/c.h5 valid "$(printf '你 <unk> 在 北 京 <unk>\tB E S B M E')"
    pass "tags: char tokenizer, one character per word, CRLF, a tag seen in valid only"

    # 300 tags: the tag ids need 16 bits; one word per sequence
    seq 300 | awk '{printf "w%d\tT%03d\n", $1 % 7, $1}' >many.tsv
    prep --format tags --valid-fraction 0 -o o/many.h5 many.tsv
    checked o/many.h5
    eq "$(py dtype o/many.h5 /train/tags)" uint16 "300 tags: uint16 tag ids"
    eq "$(py decode o/many.h5 train | sed -n 299p)" "$(printf 'w5\tT299')" "sequence 299"
    pass "tags: 300 tags in uint16, read back by h5py and io/corpus.h"

    # corpus_read_examples with labels NULL on labelled data; corpus_read_tags refuses it
    printf 'pos\tthe cat\nneg\ta dog sat\n' >l.tsv
    prep --format labels --tokenizer word --valid-fraction 0 -o o/l.h5 l.tsv
    eq "$("$CHECK" offsets o/l.h5 train | tr '\n' ' ')" '0 2 5 ' "labelled offsets without labels"
    "$CHECK" tags o/l.h5 train >/dev/null 2>err.txt && fail "prep_check tags took labelled data"
    grep -qF 'rc 65: corpus o/l.h5: holds labels data, not tags' err.txt ||
        fail "corpus_read_tags on labelled data: $(cat err.txt)"
    only_outputs t.h5 v4.h5 vf.h5 c.h5 many.h5 l.h5
    rm -f o/*
    pass "tags: corpus_read_examples(labels NULL) on labelled data; corpus_read_tags refuses it"

    input_forms t.tsv 6 --format tags --valid-fraction 0.2
    for f in plain gz stdin stdingz pipe two; do checked o/$f.h5; done
    for f in gz stdin stdingz pipe two; do same_tags o/plain.h5 o/$f.h5; done
    only_outputs plain.h5 gz.h5 stdin.h5 stdingz.h5 pipe.h5 two.h5
    pass "tags: plain, .gz, stdin, gzip stdin, a pipe and two inputs give the same corpus"
}

test_tags_errors() {
    printf 'a b\tX Y\n' >good.tsv
    printf 'a b\tX Y\nno tab here\n' >nt.tsv
    printf 'a\tX\n\tX Y\n' >ew.tsv
    printf 'a\tX\r\nb c\t\r\n' >et.tsv # CRLF: the tags side is empty once the CR is cut off
    printf 'a\tX\n  \tX\n' >sw.tsv
    printf 'a\tX\nb\t  \n' >st.tsv
    printf 'a\tX\na b c\tX Y\n' >m1.tsv
    printf 'a\tX\n\na b\tX Y Z\n' >m3.tsv
    printf 'a b\tX\tY\n' >tab2.tsv
    printf 'a b\tX Y\x00\n' >nul.tsv
    expect_bad_line tags "nt.tsv:2: no TAB between words and tags" -o o/x.h5 nt.tsv
    expect_bad_line tags "ew.tsv:2: empty words before the TAB" -o o/x.h5 ew.tsv
    expect_bad_line tags "et.tsv:2: empty tags after the TAB" -o o/x.h5 et.tsv
    expect_bad_line tags "sw.tsv:2: no words before the TAB" -o o/x.h5 sw.tsv
    expect_bad_line tags "st.tsv:2: no tags after the TAB" -o o/x.h5 st.tsv
    expect_bad_line tags "m1.tsv:2: 3 words but 2 tags" -o o/x.h5 m1.tsv
    expect_bad_line tags "m3.tsv:3: 2 words but 3 tags" -o o/x.h5 m3.tsv
    expect_bad_line tags "m3.tsv:3: 2 words but 3 tags" --tokenizer char -o o/x.h5 m3.tsv
    expect_bad_line tags "tab2.tsv:1: a second TAB" -o o/x.h5 tab2.tsv
    expect_bad_line tags "nul.tsv:1: the tags hold a NUL byte" -o o/x.h5 nul.tsv
    bad_line_forms tags m1.tsv 2 "3 words but 2 tags" good.tsv
    bad_line_forms tags nt.tsv 2 "no TAB between words and tags" good.tsv
    bad_line_forms tags ew.tsv 2 "empty words before the TAB" good.tsv
    "$PREP" --format tags --valid - -o o/x.h5 good.tsv <m3.tsv >out.txt 2>err.txt
    eq "$?" 65 "malformed --valid on stdin"
    grep -q '^drnn-prep: stdin:3: 2 words but 3 tags' err.txt || fail "--valid - is named 'stdin': $(cat err.txt)"
    only_outputs
    pass "tags errors: no TAB, empty or blank sides, counts that differ, a second TAB, NUL; .gz, stdin, --valid: 65 naming file:line, nothing left"

    printf '我 爱 你\tS S S\n我爱 你\tB S\n' >c1.tsv
    printf 'a b\tX Y\nxy\tX\n' >c2.tsv
    expect_bad_line tags "c1.tsv:2: word 1 '我爱' is not one character" --tokenizer char -o o/x.h5 c1.tsv
    expect_bad_line tags "c2.tsv:2: word 1 'xy' is not one character" --tokenizer char -o o/x.h5 c2.tsv
    prep --format tags --valid-fraction 0 -o o/w.h5 c1.tsv # the same lines are fine for word
    rm -f o/w.h5
    printf 'a\tX\nb %s\tX Y\n' "$(head -c 100 /dev/zero | tr '\0' 'z')" >long.tsv
    expect_bad_line tags "long.tsv:2: word 2 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...' is not one character" \
        --tokenizer char -o o/x.h5 long.tsv
    printf 'a\tX\n%s\tX\n' "$(head -c 2000 /dev/zero | tr '\0' 'z')" >huge.tsv # beyond TOK_WORD_MAX
    expect_bad_line tags "huge.tsv:2: word 1 is not one character" --tokenizer char -o o/x.h5 huge.tsv
    printf 'a\tX\nb\t%s\n' "$(head -c 2000 /dev/zero | tr '\0' 'T')" >longtag.tsv
    expect_bad_line tags "longtag.tsv:2: tag 1 is longer than 1024 bytes" -o o/x.h5 longtag.tsv
    pass "tags errors: char words of more than one character (65 naming file:line), over-long tags"

    expect_exit 64 "$PREP" --format tags --tokenizer byte -o o/x.h5 good.tsv
    grep -q -- '--tokenizer byte does not go with --format tags' err.txt || fail "byte: $(cat err.txt)"
    printf '\n\r\n' >blank.tsv
    expect_exit 65 "$PREP" --format tags -o o/x.h5 blank.tsv
    grep -q 'no examples' err.txt || fail "an input of empty lines has no examples: $(cat err.txt)"
    expect_exit 65 "$PREP" --format tags --valid-fraction 0.5 --test-fraction 0.4 -o o/x.h5 good.tsv
    only_outputs
    pass "tags errors: --tokenizer byte (64), no examples, too few to split (65)"

    printf 'a b\tX Y\nb\tY\na a b\tX X Y\n' >ok.tsv # offsets 0 2 3 6, tags 0 1 1 0 0 1
    prep --format tags --valid-fraction 0 -o o/ok.h5 ok.tsv
    checked o/ok.h5
    damaged drop:/train/tags 'cannot open /train/tags'
    damaged set:/train/tags:2=9 'tag id 9 at /train/tags position 2 >= num_labels 2'
    damaged set:/train/tags:5=7 'tag id 7 at /train/tags position 5 >= num_labels 2'
    damaged attr:num_labels=3 '/labels does not have num_labels=3 entries'
    damaged drop:num_labels 'num_labels is missing or invalid'
    damaged set:/labels:0=65 '/labels does not match its checksum labels_crc32'
    damaged set:/train/offsets:1=0 '/train/offsets leave example 0 empty'
    damaged set:/train/offsets:3=5 '/train/offsets do not run from 0 to train_tokens=6'
    damaged attr:train_tokens=5 '/train/tokens does not match its attributes'
    damaged data=labels 'cannot open /train/labels'
    damaged data=bogus "data 'bogus' is not text, labels or pairs, nor tags"
    pass "tags reader: damaged tags, tag names, offsets or attributes are 65 naming the file"
}

case "$GROUP" in
tags | tags_errors) "test_$GROUP" ;;
*) fail "unknown group '$GROUP'" ;;
esac
