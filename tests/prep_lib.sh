# shellcheck shell=bash
# tests/prep_lib.sh — what the drnn-prep test scripts (test_prep.sh, test_prep_pairs.sh) share.
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
# o/ must hold exactly the names given (no temporary or spool file left behind).
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
    grep -qF "rc 65: corpus bad.h5: " err.txt && grep -qF "$2" err.txt ||
        fail "$1: expected 65 naming bad.h5 and '$2': $(cat err.txt)"
}

