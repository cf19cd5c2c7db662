// Ethernet wire occupancy: a frame holds the link for its bytes plus FCS, preamble+SFD and
// the minimum inter-frame gap. Times are kept in picoseconds so that rounding never adds up.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace nic::gen {

constexpr size_t kFcsLen = 4;
constexpr size_t kPreambleLen = 8;  // 7 preamble bytes + SFD
constexpr size_t kIfgLen = 12;
constexpr size_t kWireOverhead = kFcsLen + kPreambleLen + kIfgLen;

// Picoseconds a frame of `frame_len` bytes (as captured, without FCS) occupies the link.
inline uint64_t wire_ps(size_t frame_len, double gbps) {
  return uint64_t(std::llround(double(frame_len + kWireOverhead) * 8000.0 / gbps));
}

// Timestamp of the first frame of every trace: 2024-01-01T00:00:00Z, fixed so that the same
// seed gives the same file.
constexpr uint64_t kTraceEpochNs = 1704067200ull * 1000000000ull;

}  // namespace nic::gen
