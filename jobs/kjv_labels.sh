#!/usr/bin/env bash
# A labelled data set from the bundled KJV (data/kjv.txt.gz, one verse per line, Genesis to
# Revelation): every verse labelled by its section of the Bible — law (Genesis–Deuteronomy),
# history (Joshua–Esther), wisdom (Job–Song of Solomon), prophets (Isaiah–Malachi), gospels
# (Matthew–Acts), epistles (Romans–Jude), revelation — as `label<TAB>verse` lines. Book boundaries
# come from the 66 books' verse counts (they must add up to the file's 31102 lines). Every 10th
# verse goes to OUTDIR/valid.tsv, the others to OUTDIR/train.tsv; prints the class counts and the
# majority-class share of the valid split.
#   bash jobs/kjv_labels.sh OUTDIR
set -euo pipefail
out=${1:?usage: jobs/kjv_labels.sh OUTDIR}
src="$(cd "$(dirname "$0")/.." && pwd)/data/kjv.txt.gz"
mkdir -p "$out"
# section:verses of each book, in order
books="law:1533 law:1213 law:859 law:1288 law:959
history:658 history:618 history:85 history:810 history:695 history:816 history:719 history:942
history:822 history:280 history:406 history:167
wisdom:1070 wisdom:2461 wisdom:915 wisdom:222 wisdom:117
prophets:1292 prophets:1364 prophets:154 prophets:1273 prophets:357 prophets:197 prophets:73
prophets:146 prophets:21 prophets:48 prophets:105 prophets:47 prophets:56 prophets:53 prophets:38
prophets:211 prophets:55
gospels:1071 gospels:678 gospels:1151 gospels:879 gospels:1007
epistles:433 epistles:437 epistles:257 epistles:149 epistles:155 epistles:104 epistles:95
epistles:89 epistles:47 epistles:113 epistles:83 epistles:46 epistles:25 epistles:303
epistles:108 epistles:105 epistles:61 epistles:105 epistles:13 epistles:14 epistles:25
revelation:404"
zcat "$src" | awk -v books="$books" -v out="$out" '
    BEGIN {
        n = split(books, b, /[ \n]+/)
        for (i = 1; i <= n; i++) { split(b[i], kv, ":"); for (j = 0; j < kv[2]; j++) lab[++total] = kv[1] }
    }
    {
        if (NR > total) { print "kjv_labels: more verses than the book table holds" > "/dev/stderr"; exit 1 }
        gsub(/\t/, " ")
        f = NR % 10 == 0 ? out "/valid.tsv" : out "/train.tsv"
        print lab[NR] "\t" $0 > f
    }
    END {
        if (NR != total) { printf "kjv_labels: %d verses, the book table has %d\n", NR, total > "/dev/stderr"; exit 1 }
    }'
for f in train valid; do
    echo "$f: $(wc -l <"$out/$f.tsv") verses"
    cut -f1 "$out/$f.tsv" | sort | uniq -c | sort -rn | awk '{ printf "  %-10s %6d\n", $2, $1 }'
done
cut -f1 "$out/valid.tsv" | sort | uniq -c | sort -rn |
    awk '{ if (NR == 1) { top = $1; name = $2 } n += $1 } END { printf "majority class of valid: %s, %.1f %%\n", name, 100 * top / n }'
