#!/bin/sh
# Runs one libFuzzer target on its seed corpus (corpus/NAME/) with its
# dictionary (NAME.dict, if there is one): CTest's short run and campaign.sh's long one.
#   run_fuzzer.sh [--fresh] FUZZER WORK_DIR [libFuzzer options...]
# New inputs go to WORK_DIR/corpus, crash inputs to WORK_DIR/; the seed corpus
# in the tree is only read. --fresh empties WORK_DIR first, so that a run with
# -seed and -runs is the same every time.
set -eu
fresh=false
if [ "$1" = --fresh ]; then
  fresh=true
  shift
fi
fuzzer=$1
work=$2
shift 2
name=$(basename "$fuzzer")
name=${name#fuzz_}
here=$(cd "$(dirname "$0")" && pwd)
if $fresh; then
  rm -rf "$work"
fi
mkdir -p "$work/corpus"
dict=
[ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
exec "$fuzzer" $dict -artifact_prefix="$work/" "$@" \
  "$work/corpus" "$here/corpus/$name"
