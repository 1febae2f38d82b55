#!/usr/bin/env bash
# The whole test suite under AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer: builds the tree with -DIRSP_SANITIZE=ON in
# build-sanitize/ (or BUILD_DIR) and runs every test there. Any report fails the
# test it happened in: halt_on_error ends the process with exit code 86 (not 1
# or 2, which irsp-node's own failures use and tests expect), and the e2e
# fixtures also fail a test whose irsp-node printed a report as it stopped.
#   bash tests/sanitize.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-sanitize}
supp=$PWD/tests/sanitize
cmake -S . -B "$build" -G Ninja -DIRSP_SANITIZE=ON
cmake --build "$build"
export ASAN_OPTIONS="halt_on_error=1:exitcode=86:detect_leaks=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1:suppressions=$supp/ubsan.supp"
ctest --test-dir "$build" --output-on-failure -j2
