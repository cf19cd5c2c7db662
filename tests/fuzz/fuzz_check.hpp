// Shared helpers for the fuzz targets (docs/robustness.md): an invariant check that aborts
// (so libFuzzer and the GCC regression runner both report it), and a byte reader that yields
// zeros past the end of the input instead of failing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", __FILE__, __LINE__, \
                   #cond);                                                            \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace nic::fuzz {

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  size_t left() const { return n_ - pos_; }
  bool done() const { return pos_ >= n_; }
  uint8_t u8() { return pos_ < n_ ? d_[pos_++] : 0; }
  uint16_t u16() { return uint16_t(u8() | u8() << 8); }
  uint32_t u32() { return uint32_t(u16()) | uint32_t(u16()) << 16; }
  uint64_t u64() { return uint64_t(u32()) | uint64_t(u32()) << 32; }
  // Up to `want` bytes taken in place; `got` says how many there were.
  const uint8_t* take(size_t want, size_t& got) {
    got = want < left() ? want : left();
    const uint8_t* p = d_ + pos_;
    pos_ += got;
    return p;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t pos_ = 0;
};

}  // namespace nic::fuzz
