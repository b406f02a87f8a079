#!/usr/bin/env bash
# Installs the Debian packages drnn needs (only the missing ones) and builds into build/.
# Idempotent and quiet when everything is in place.
#   bash jobs/setup.sh            toolchain + libraries, build
#   bash jobs/setup.sh --tests    also PyTorch, h5py, NumPy for the reference tests, and Slurm
#                                 (slurm-wlm, munge) for the local Slurm test, iproute2 for the
#                                 emulated hosts (tests/cluster)
# CI=true turns warnings into errors (-DDRNN_WERROR=ON). DRNN_BUILD=DIR: the programs are built
# in DIR already (tests/test_readme_run.sh sets it); install and build nothing, only check them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n ${DRNN_BUILD:-} ]]; then
    for p in prep train sample eval export; do
        if [[ ! -x $DRNN_BUILD/drnn-$p ]]; then
            echo "setup: DRNN_BUILD=$DRNN_BUILD has no drnn-$p; unset DRNN_BUILD to build" >&2
            exit 66
        fi
    done
    exit 0
fi

pkgs=(build-essential cmake pkg-config openmpi-bin libopenmpi-dev libopenblas-dev libhdf5-dev
      hdf5-tools zlib1g-dev libsentencepiece-dev)
if [[ "${1:-}" == "--tests" ]]; then
    pkgs+=(python3 python3-torch python3-h5py python3-numpy python3-matplotlib python3-sentencepiece
           slurm-wlm munge iproute2)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

werror=OFF
[[ "${CI:-}" == "true" ]] && werror=ON
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDRNN_WERROR=$werror &&
       cmake --build build -j "$(nproc)"; } >"$log" 2>&1; then
    cat "$log"
    echo "setup: build failed (full log above)" >&2
    exit 1
fi
