#!/usr/bin/env bash
# Builds the addon with -DBERT_USE_BLAS=ON (system OpenBLAS) into build-blas/ and runs the kernel
# tests on it: every kernel must pass with either GEMM backend. Needs libopenblas-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
npx cmake-js compile --release -O build-blas --CDBERT_USE_BLAS=ON >/dev/null
BERT_NATIVE_PATH="$PWD/build-blas/Release/bert_native.node" npx vitest run test/kernels
