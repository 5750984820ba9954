#!/usr/bin/env bash
# Cross-compiles the native core and kernels for aarch64 (Debian's g++-aarch64-linux-gnu): on ARM
# only the portable path exists, and it must keep compiling. The addon itself needs Node's headers
# for the target and is not built here.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v aarch64-linux-gnu-g++ >/dev/null || { apt-get update -q && apt-get install -y -q g++-aarch64-linux-gnu; }
rm -rf build-aarch64
cmake -S . -B build-aarch64 -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-aarch64 --target bert_kernels_scalar bert_core -j 2 >/dev/null
if [ -d build-aarch64/CMakeFiles/bert_kernels_avx512.dir ]; then echo "x86 kernels configured for aarch64" >&2; exit 1; fi
objs=$(find build-aarch64 -name '*.o' | wc -l)
file "$(find build-aarch64 -name 'gemm.cc.o' | head -1)" | grep -q aarch64
echo "aarch64: portable kernels and core compile ($objs objects)"
