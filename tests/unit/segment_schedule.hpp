// Test helper: how a byte stream of a TCP connection might arrive at a receiver. Random
// segmentation, then loss, duplication, local reordering, and retransmissions of lost
// segments that are cut differently and overlap their neighbours. Every stream byte is
// carried by at least one arrival.
#pragma once
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace nic::testing {

struct Arrival {
  uint64_t off = 0;  // stream offset of the first payload byte
  uint32_t len = 0;
};

struct ScheduleKnobs {
  uint32_t max_seg = 1460;
  double loss = 0.05;
  double dup = 0.05;
  double reorder = 0.1;    // chance a segment swaps with one a few places later
  uint32_t overlap = 700;  // retransmissions may reach this far into neighbouring bytes
};

inline std::vector<Arrival> make_schedule(uint64_t stream_len, std::mt19937_64& rng,
                                          const ScheduleKnobs& k = {}) {
  auto uni = [&](uint64_t n) { return rng() % n; };
  auto chance = [&](double p) { return double(rng() % 1000000) < p * 1e6; };
  std::vector<Arrival> out, lost;
  for (uint64_t off = 0; off < stream_len;) {
    const uint32_t n = uint32_t(std::min<uint64_t>(stream_len - off, 1 + uni(k.max_seg)));
    const Arrival a{off, n};
    if (chance(k.loss)) {
      lost.push_back(a);
    } else {
      out.push_back(a);
      if (chance(k.dup)) out.push_back(a);
    }
    off += n;
  }
  for (size_t i = 0; i + 1 < out.size(); ++i)
    if (chance(k.reorder)) std::swap(out[i], out[std::min(out.size() - 1, i + 1 + uni(4))]);
  // Each lost segment comes again later, widened, possibly in two overlapping pieces.
  for (const Arrival& l : lost) {
    const uint64_t lo = l.off - std::min<uint64_t>(l.off, uni(k.overlap + 1));
    const uint64_t hi = std::min(stream_len, l.off + l.len + uni(k.overlap + 1));
    std::vector<Arrival> again;
    if (hi - lo > 1 && chance(0.5)) {
      const uint64_t cut = lo + 1 + uni(hi - lo - 1);
      const uint64_t back = std::min<uint64_t>(cut - lo, uni(64));
      again.push_back({lo, uint32_t(cut - lo)});
      again.push_back({cut - back, uint32_t(hi - cut + back)});
    } else {
      again.push_back({lo, uint32_t(hi - lo)});
    }
    for (const Arrival& a : again) {
      const size_t at = out.empty() ? 0 : uni(out.size() + 1);
      out.insert(out.begin() + at, a);
    }
  }
  return out;
}

}  // namespace nic::testing
