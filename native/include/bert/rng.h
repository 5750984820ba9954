// Counter-based random numbers: the value for element i depends only on (seed, i), so dropout
// masks are the same whatever the thread count, and backward regenerates the forward's mask
// instead of storing it. SplitMix64's finaliser over seed + (i+1)·φ.
// lib/train/rng.ts mirrors this bit for bit (tests rebuild masks from it).
#pragma once

#include <cstdint>

namespace bert {
namespace BERT_NS {

static inline uint32_t rng_u32(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (uint32_t)(z >> 32);
}

// Elements whose draw is below this threshold are dropped: P(drop) = p to within 2^-32.
static inline uint32_t drop_threshold(float p) {
  double t = (double)p * 4294967296.0;
  return t >= 4294967295.0 ? 0xFFFFFFFFu : (uint32_t)t;
}

}  // namespace BERT_NS
}  // namespace bert
