#!/usr/bin/env bash
# Labelled demo data for a sentence classifier: every verse of the bundled King James Bible
# (data/kjv.txt.gz: 31102 verses, one per line, Genesis 1:1 to Revelation 22:21, no references)
# labelled by its section of the Bible:
#   law (Genesis-Deuteronomy), history (Joshua-Esther), wisdom (Job-Song of Solomon),
#   prophets (Isaiah-Malachi), gospels (Matthew-Acts), epistles (Romans-Jude), revelation.
# Book boundaries come from the table of the 66 books' verse counts below; the script checks that
# they add up to the file's lines. Every 10th verse (line number % 10 == 0) goes to valid, the
# rest to train, as "label<TAB>verse" lines for `drnn-prep --format labels`:
#   bash jobs/kjv_labels.sh OUTDIR        writes OUTDIR/train.tsv and OUTDIR/valid.tsv
#   build/drnn-prep --format labels --tokenizer word --valid OUTDIR/valid.tsv \
#       -o OUTDIR/kjv_labels.h5 OUTDIR/train.tsv
# KJV_GZ=FILE reads another copy of the text. Deterministic; bash, gzip and awk only.
set -euo pipefail
if [[ $# -ne 1 || $1 == -* ]]; then
    echo "usage: bash jobs/kjv_labels.sh OUTDIR" >&2
    exit 64
fi
out=$1
kjv=${KJV_GZ:-$(dirname "$0")/../data/kjv.txt.gz}
[[ -r $kjv ]] || { echo "kjv_labels.sh: cannot read $kjv" >&2; exit 66; }
mkdir -p "$out"
trap 'rm -f "$out/train.tsv.tmp" "$out/valid.tsv.tmp"' EXIT

gzip -dc "$kjv" | awk -v train="$out/train.tsv.tmp" -v valid="$out/valid.tsv.tmp" '
BEGIN {
    # book verses section: the KJV verse counts (Old Testament 23145, New Testament 7957)
    n = split("Genesis 1533 law|Exodus 1213 law|Leviticus 859 law|Numbers 1288 law|" \
              "Deuteronomy 959 law|Joshua 658 history|Judges 618 history|Ruth 85 history|" \
              "1_Samuel 810 history|2_Samuel 695 history|1_Kings 816 history|2_Kings 719 history|" \
              "1_Chronicles 942 history|2_Chronicles 822 history|Ezra 280 history|" \
              "Nehemiah 406 history|Esther 167 history|Job 1070 wisdom|Psalms 2461 wisdom|" \
              "Proverbs 915 wisdom|Ecclesiastes 222 wisdom|Song_of_Solomon 117 wisdom|" \
              "Isaiah 1292 prophets|Jeremiah 1364 prophets|Lamentations 154 prophets|" \
              "Ezekiel 1273 prophets|Daniel 357 prophets|Hosea 197 prophets|Joel 73 prophets|" \
              "Amos 146 prophets|Obadiah 21 prophets|Jonah 48 prophets|Micah 105 prophets|" \
              "Nahum 47 prophets|Habakkuk 56 prophets|Zephaniah 53 prophets|Haggai 38 prophets|" \
              "Zechariah 211 prophets|Malachi 55 prophets|Matthew 1071 gospels|Mark 678 gospels|" \
              "Luke 1151 gospels|John 879 gospels|Acts 1007 gospels|Romans 433 epistles|" \
              "1_Corinthians 437 epistles|2_Corinthians 257 epistles|Galatians 149 epistles|" \
              "Ephesians 155 epistles|Philippians 104 epistles|Colossians 95 epistles|" \
              "1_Thessalonians 89 epistles|2_Thessalonians 47 epistles|1_Timothy 113 epistles|" \
              "2_Timothy 83 epistles|Titus 46 epistles|Philemon 25 epistles|Hebrews 303 epistles|" \
              "James 108 epistles|1_Peter 105 epistles|2_Peter 61 epistles|1_John 105 epistles|" \
              "2_John 13 epistles|3_John 14 epistles|Jude 25 epistles|Revelation 404 revelation", row, "|")
    if (n != 66) { print "kjv_labels.sh: the table has " n " books, not 66" > "/dev/stderr"; bad = 1; exit 1 }
    total = 0
    for (i = 1; i <= n; i++) {
        split(row[i], f, " ")
        book[i] = f[1]; section[i] = f[3]
        total += f[2]
        last[i] = total # line number of the book`s last verse
        if (i == 39) ot = total
    }
    if (ot != 23145 || total != 31102) {
        print "kjv_labels.sh: the table gives " ot " + " total - ot " verses, not 23145 + 7957" > "/dev/stderr"
        bad = 1; exit 1
    }
    b = 1
}
{
    while (b <= n && NR > last[b]) b++
    if (b > n) { bad = 1; exit 1 } # more lines than the table has verses: reported in END
    if ($0 == "" || index($0, "\t") > 0) {
        print "kjv_labels.sh: line " NR " is empty or holds a TAB" > "/dev/stderr"
        bad = 1; exit 1
    }
    if (NR % 10 == 0) { print section[b] "\t" $0 > valid; nvalid[section[b]]++; nv++ }
    else { print section[b] "\t" $0 > train; ntrain[section[b]]++; nt++ }
}
END {
    if (bad && NR <= total) exit 1
    if (NR != total) {
        print "kjv_labels.sh: the file has " NR " lines, the verse table " total "; is it the bundled KJV?" > "/dev/stderr"
        exit 1
    }
    split("law history wisdom prophets gospels epistles revelation", order, " ")
    printf "%-11s %7s %7s\n", "section", "train", "valid"
    for (i = 1; i <= 7; i++) {
        s = order[i]
        printf "%-11s %7d %7d\n", s, ntrain[s], nvalid[s]
        if (nvalid[s] > best) { best = nvalid[s]; major = s }
    }
    printf "%-11s %7d %7d\n", "all", nt, nv
    printf "majority class of valid: %s, %d of %d verses = %.2f%%\n", major, best, nv, 100 * best / nv
}'
mv "$out/train.tsv.tmp" "$out/train.tsv"
mv "$out/valid.tsv.tmp" "$out/valid.tsv"
echo "wrote $out/train.tsv and $out/valid.tsv"
