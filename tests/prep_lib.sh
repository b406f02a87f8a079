# shellcheck shell=bash
# tests/prep_lib.sh — what the drnn-prep test scripts (test_prep.sh, test_prep_pairs.sh,
# test_prep_tags.sh) share.
# Sourced with PREP (drnn-prep), CHECK (prep_check), GROUP and READER (the command that reads a
# split through io/corpus.h: READER CORPUS SPLIT) set; moves into a fresh temporary folder that
# is removed on exit, with o/ for outputs only.
T=$(mktemp -d "${TMPDIR:-/tmp}/drnn-prep-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
mkdir o # outputs only: whatever else appears in o/ is a leftover temporary file

fail() {
    echo "FAIL [$GROUP]: $*" >&2
    exit 1
}
pass() { echo "ok - $*"; }
prep() { "$PREP" "$@" 2>prep.log || fail "drnn-prep $* exited $?: $(cat prep.log)"; }
info() { "$CHECK" info "$1" | sed -n "s/^$2=//p"; } # info CORPUS KEY
verify() { "$CHECK" verify "$1" >/dev/null || fail "prep_check verify $1"; }
eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
# expect_exit CODE CMD...: CMD must exit with CODE; its stderr is kept in err.txt.
expect_exit() {
    local want=$1
    shift
    "$@" >out.txt 2>err.txt </dev/null
    local got=$?
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(cat err.txt)"
    [ "$want" = 0 ] || grep -q '^drnn-prep: ' err.txt || fail "'$*': no 'drnn-prep: ' message"
    [ "$want" = 0 ] || [ "$(wc -l <err.txt)" = 1 ] || fail "'$*': message is not one line"
}
# expect_bad_line FORMAT WANT PREP_ARGS...: drnn-prep --format FORMAT (labels, pairs, tags) exits 65
# with one line naming WANT (file:line: what is wrong) and the line format it expected; nothing
# is left behind.
expect_bad_line() {
    local format=$1 want=$2 expect='label<TAB>text'
    shift 2
    [ "$format" = pairs ] && expect='source<TAB>target'
    [ "$format" = tags ] && expect='w1 ... wn<TAB>t1 ... tn'
    expect_exit 65 "$PREP" --format "$format" "$@"
    grep -qF -- "$want" err.txt || fail "'$*': message should name '$want': $(cat err.txt)"
    grep -qF "expected '$expect'" err.txt || fail "'$*': message should say what is expected"
    # shellcheck disable=SC2119 # no outputs at all
    only_outputs
}
# bad_line_forms FORMAT BAD LINE WHY GOOD: line LINE of the file BAD is refused as "BAD:LINE: WHY"
# after the good input GOOD, as --valid BAD, as BAD.gz, and as "stdin:LINE: WHY" on stdin.
bad_line_forms() {
    local format=$1 bad=$2 line=$3 why=$4 good=$5
    expect_bad_line "$format" "$bad:$line: $why" -o o/x.h5 "$good" "$bad"
    expect_bad_line "$format" "$bad:$line: $why" --valid "$bad" -o o/x.h5 "$good"
    gzip -c "$bad" >"$bad.gz"
    expect_bad_line "$format" "$bad.gz:$line: $why" -o o/x.h5 "$bad.gz"
    "$PREP" --format "$format" -o o/x.h5 - <"$bad" >out.txt 2>err.txt
    eq "$?" 65 "malformed stdin"
    grep -qF "drnn-prep: stdin:$line: $why" err.txt || fail "stdin is named 'stdin': $(cat err.txt)"
    # shellcheck disable=SC2119 # no outputs at all
    only_outputs
}
# input_forms FILE N PREP_ARGS...: drnn-prep on FILE as a plain file, a .gz file, stdin, gzip on
# stdin and a pipe into o/plain.h5, gz.h5, stdin.h5, stdingz.h5 and pipe.h5; unless N is 0 also as
# two inputs (its first N lines, then the rest) into o/two.h5.
input_forms() {
    local text=$1 n=$2
    shift 2
    gzip -c "$text" >"$text.gz"
    prep "$@" -o o/plain.h5 "$text"
    prep "$@" -o o/gz.h5 "$text.gz"
    "$PREP" "$@" -o o/stdin.h5 - <"$text" 2>prep.log || fail "stdin: $(cat prep.log)"
    "$PREP" "$@" -o o/stdingz.h5 - <"$text.gz" 2>prep.log || fail "gzip stdin: $(cat prep.log)"
    prep "$@" -o o/pipe.h5 <(cat "$text.gz")
    [ "$n" = 0 ] && return
    head -n "$n" "$text" >"$text.1"
    tail -n +"$((n + 1))" "$text" >"$text.2"
    prep "$@" -o o/two.h5 "$text.1" "$text.2"
}
# o/ must hold exactly the names given (no temporary or spool file left behind).
# shellcheck disable=SC2120 # called without arguments: nothing may be left
only_outputs() {
    local have want
    have=$(find o -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sed '/^$/d' | sort | tr '\n' ' ')
    eq "$have" "$want" "files in the output folder"
}
# damaged OP MESSAGE: io/corpus.h (READER) refuses a copy of o/ok.h5 damaged by OP (prep_check
# damage) with 65 and a message naming the file.
damaged() {
    cp o/ok.h5 bad.h5
    "$CHECK" damage bad.h5 "$1" || fail "prep_check damage $1"
    "${READER[@]}" bad.h5 train >/dev/null 2>err.txt && fail "the reader took a corpus with $1"
    if ! grep -qF "rc 65: corpus bad.h5: " err.txt || ! grep -qF "$2" err.txt; then
        fail "$1: expected 65 naming bad.h5 and '$2': $(cat err.txt)"
    fi
}

