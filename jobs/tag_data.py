#!/usr/bin/python3
"""Tagged sentences for the tagger demo and tests: a small generated language whose part-of-
speech tags a per-word lookup cannot get right, because its most common words are ambiguous.

  generate N SEED OUT    N lines "w1 w2 ... wn<TAB>t1 t2 ... tn" into OUT
  baseline TRAIN TEST    the most-frequent-tag-per-word baseline: each word of TEST gets the tag
                         it had most often in TRAIN (ties: the first seen; unseen words: the
                         most frequent tag overall); prints its token accuracy on TEST

The grammar: DET (ADJ) NOUN [ADV] VERB [DET (ADJ) NOUN] [PREP DET NOUN] with number agreement
left out. About half of the nouns and verbs are drawn from words that are both ("watch",
"run", "book", ...): only their neighbours tell which they are; "light" and "fast" are also
adjectives and adverbs. Deterministic for a seed (Python's random.Random).
"""

import collections
import random
import sys

DET = ["the", "a", "every", "this", "that"]
ADJ = ["big", "small", "red", "old", "light", "quiet", "fast"]
ADV = ["often", "never", "fast", "still", "light"]
PREP = ["near", "under", "with", "behind"]
NOUN = ["dog", "cat", "teacher", "river", "city", "girl", "window", "song"]
VERB = ["sees", "likes", "finds", "takes", "sleeps", "leaves"]
BOTH = ["watch", "run", "book", "play", "train", "fly", "park", "plant", "light", "still"]


def noun(r):
    return r.choice(BOTH if r.random() < 0.5 else NOUN)


def verb(r):
    return r.choice(BOTH if r.random() < 0.5 else VERB)


def noun_phrase(r, words, tags):
    words.append(r.choice(DET))
    tags.append("DET")
    if r.random() < 0.4:
        words.append(r.choice(ADJ))
        tags.append("ADJ")
    words.append(noun(r))
    tags.append("NOUN")


def sentence(r):
    words, tags = [], []
    noun_phrase(r, words, tags)
    if r.random() < 0.3:
        words.append(r.choice(ADV))
        tags.append("ADV")
    words.append(verb(r))
    tags.append("VERB")
    if r.random() < 0.7:
        noun_phrase(r, words, tags)
    if r.random() < 0.4:
        words.append(r.choice(PREP))
        tags.append("PREP")
        noun_phrase(r, words, tags)
    return words, tags


def generate(n, seed, out):
    r = random.Random(seed)
    with open(out, "w", encoding="utf-8") as f:
        for _ in range(n):
            words, tags = sentence(r)
            f.write(" ".join(words) + "\t" + " ".join(tags) + "\n")


def read(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            words, tags = line.rstrip("\n").split("\t")
            yield words.split(), tags.split()


def baseline(train, test):
    counts = collections.defaultdict(collections.Counter)
    overall = collections.Counter()
    for words, tags in read(train):
        for w, t in zip(words, tags):
            counts[w][t] += 1
            overall[t] += 1
    top = overall.most_common(1)[0][0]
    right = total = 0
    for words, tags in read(test):
        for w, t in zip(words, tags):
            guess = counts[w].most_common(1)[0][0] if w in counts else top
            right += guess == t
            total += 1
    print(f"{right / total:.4f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "generate":
        generate(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "baseline":
        baseline(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
