#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UBSan into build-asan/ and runs the kernel tests on it.
# Node itself is not instrumented, so the sanitizer runtimes are preloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
npx cmake-js compile --debug -O build-asan --CDBERT_SANITIZE=ON >/dev/null
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export BERT_NATIVE_PATH="$PWD/build-asan/Debug/bert_native.node"
npx vitest run test/kernels
