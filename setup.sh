#!/usr/bin/env bash
# mlsim set-up on Debian 12: install the Debian packages that are missing, build, and then
#   ./setup.sh         run mlsim on scenarios/gpt3_a100.yaml
#   ./setup.sh test    run every test: unit and CLI tests, the same under ASan+UBSan, the MPI
#                      build on 2 ranks, and the format and static-analysis checks
# Safe to run again: it installs only what is missing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-run}
case "$mode" in
run | test) ;;
*)
    echo "usage: ./setup.sh [run|test]" >&2
    exit 2
    ;;
esac

# Build and run needs; the checks of `test` need the linters and OpenMPI (its build) too.
packages=(build-essential cmake pkg-config libyaml-dev libcmocka-dev python3 libgsl-dev libopenblas-dev gnuplot-nox)
if [ "$mode" = test ]; then
    packages+=(clang-format clang-tidy cppcheck libopenmpi-dev openmpi-bin)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "setup: run as root or install sudo; missing: ${missing[*]}" >&2
            exit 1
        }
        sudo=sudo
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLSIM_WERROR=ON \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake --build build -j"$jobs"

if [ "$mode" = run ]; then
    ./build/mlsim scenarios/gpt3_a100.yaml
    exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== tests"
ctest --test-dir build --output-on-failure -j"$jobs" | tee -a "$log"

echo "== tests under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMLSIM_WERROR=ON -DMLSIM_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j"$jobs" | tee -a "$log"

# Only the binary and its one test: 2 ranks on this machine print what one process prints.
echo "== the MPI build (-DMLSIM_MPI=ON): search, sweep and Monte Carlo on 2 ranks"
cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLSIM_WERROR=ON -DMLSIM_MPI=ON \
    -DMLSIM_TESTS=OFF >/dev/null
cmake --build build-mpi -j"$jobs" --target mlsim
ctest --test-dir build-mpi --output-on-failure -R '^mpi_bytes$' | tee -a "$log"

echo "== checks: clang-format, cppcheck, clang-tidy"
sources=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests -name '*.[ch]')
clang-format --dry-run -Werror $sources
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
    --inline-suppr -I include src
clang-tidy --quiet -p build $(git ls-files 'src/*.c' 2>/dev/null || find src -name '*.c') 2>/dev/null
# One closing line over the three builds: ctest prints "N% tests passed, F tests failed out of T".
sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1 \2/p' "$log" |
    awk '{ f += $1; t += $2 } END { printf "tests: %d passed, %d failed\n", t - f, f }'
