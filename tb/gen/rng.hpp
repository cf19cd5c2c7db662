// Deterministic pseudo-random numbers (xoshiro256**, seeded through splitmix64). The standard
// distributions are implementation-defined, so everything here is spelled out: the same seed
// gives the same trace with any compiler and library.
#pragma once
#include <cstdint>

namespace nic::gen {

inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& w : s_) w = splitmix64(seed);
  }
  // An independent stream for a named purpose (flow index, command number, ...).
  static Rng derive(uint64_t seed, uint64_t a, uint64_t b = 0) {
    uint64_t x = seed ^ (a * 0xD1B54A32D192ED03ull);
    uint64_t mixed = splitmix64(x) ^ (b * 0x8CB92BA72F3D8DD7ull);
    return Rng(mixed);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n); n > 0. Multiply-shift: bias is below 2^-32 for the ranges used here.
  uint64_t below(uint64_t n) { return uint64_t((unsigned __int128)next() * n >> 64); }
  // Uniform in [lo, hi].
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
  double unit() { return double(next() >> 11) * 0x1.0p-53; }
  // True with probability p; draws nothing when p is 0 so that disabled knobs leave the
  // rest of the trace unchanged.
  bool chance(double p) { return p > 0 && unit() < p; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace nic::gen
