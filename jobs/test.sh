#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs CTest in build/; with CI=true (or
# --asan) it also builds build-asan/ with AddressSanitizer + UBSan and runs the unit tests there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/setup.sh --tests
ctest --test-dir build --output-on-failure -j 1

if [[ "${CI:-}" == "true" || "${1:-}" == "--asan" ]]; then
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    werror=OFF
    [[ "${CI:-}" == "true" ]] && werror=ON
    if ! { cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDRNN_SANITIZE=ON \
               -DDRNN_WERROR=$werror && cmake --build build-asan -j "$(nproc)"; } >"$log" 2>&1; then
        cat "$log"
        echo "test: sanitizer build failed" >&2
        exit 1
    fi
    ctest --test-dir build-asan --output-on-failure -L unit
fi
