#!/usr/bin/env bash
# Builds the addon with -DBERT_MPI=OFF into build-nompi/ (as on a machine without libopenmpi-dev):
# no bert_mpi.node is made, and the kernel and training tests pass on it — one process, as before.
set -euo pipefail
cd "$(dirname "$0")/.."
npx cmake-js compile --release -O build-nompi --CDBERT_MPI=OFF >/dev/null
if [ -e build-nompi/Release/bert_mpi.node ]; then echo "build-nompi has bert_mpi.node with BERT_MPI=OFF" >&2; exit 1; fi
BERT_NATIVE_PATH="$PWD/build-nompi/Release/bert_native.node" npx vitest run test/kernels test/train
