// The binding functions that addon.cc exports, one per native entry point.
#pragma once

#include <napi.h>

namespace bert {
namespace addon {

#define BERT_BINDINGS(X)                                                                           \
  X(gemm) X(bf16Supported) X(bf16PackedLength) X(bf16Pack) X(gemmBf16) X(gemmBf16Mixed) \
  X(int8Supported) X(int8PackedLength) X(int8Pack) X(gemmInt8) X(int8QuantizeWeights) X(int8QuantizeRows) X(biasBackward) X(attentionForward) X(attentionBackward) X(attentionForwardBf16) X(attentionBackwardBf16) X(layerNormForward)            \
  X(layerNormBackward) X(residualLayerNormForward) X(biasGeluForward) X(geluBackward)             \
  X(tanhForward) X(tanhBackward) X(dropoutForward) X(dropoutBackward) X(embeddingForward)         \
  X(embeddingBackward) X(softmaxCrossEntropy) X(softmaxForward) X(bceWithLogits) X(mse)           \
  X(adamw) X(sumSquares) X(isa) X(availableIsas) X(setIsa) X(numThreads) X(setNumThreads)         \
  X(buildInfo) X(peerBlas) X(peerBlasSgemm) X(peerBlasSetThreads) X(allocF32) X(mapF32) X(partialFile)

#define BERT_DECLARE_BINDING(name) Napi::Value name(const Napi::CallbackInfo& info);
BERT_BINDINGS(BERT_DECLARE_BINDING)
#undef BERT_DECLARE_BINDING

}  // namespace addon
}  // namespace bert
