// What the NIC's completion says about a received packet's payload: which runs of it were
// placed into registered buffers (abi::PlacedRun), as byte ranges with their attributes, which
// TCP receive carries along with the bytes. Plain C++, protocol-neutral: a placed range names
// a tag and a buffer, never what the protocol makes of them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hw/abi/nic_abi.hpp"

namespace nic::host {

// Attributes of a run of consecutive payload bytes of one packet.
struct RangeAttr {
  uint32_t len = 0;
  bool placed = false;   // the NIC wrote these bytes to `tag`'s buffer at `buf_off`
  bool crc_ok = false;   // the packet was marked CRC-ok and the driver trusts the mark
  uint32_t tag = 0;      // placed ranges only
  uint32_t buf_off = 0;  // placed ranges only: buffer offset of the range's first byte
  // Placed ranges only: which registered buffer the NIC wrote (DdpIo::id; a tag names
  // different buffers over time, so the tag alone does not say).
  uint64_t buffer = 0;
};
using RangeAttrs = std::vector<RangeAttr>;

// Copies a completion's placed runs (n <= abi::kMaxRunsPerCqe) into `out` ordered by payload
// offset: an insertion sort, as there are at most three (std::sort's inlined introsort also
// draws a false -Warray-bounds from GCC 12 under profile-guided optimisation).
void sort_runs(const abi::PlacedRun* runs, size_t n, abi::PlacedRun* out);

// Attributes tiling a packet's TCP payload of `payload_len` bytes from the NIC's placed runs
// (in any order). Returns false, leaving one unplaced range, when runs overlap or exceed the
// payload: a completion the driver cannot make sense of.
bool attrs_from_runs(uint32_t payload_len, const abi::PlacedRun* runs, size_t nruns, bool crc_ok,
                     RangeAttrs& out);

}  // namespace nic::host
