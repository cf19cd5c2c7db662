// A SACK block as both ends of the closed-loop TCP model exchange it: [start, end) in stream
// offsets, not 32-bit sequence numbers (the caller maps between them on the wire).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace nic::tcp {

using SackBlock = std::pair<uint64_t, uint64_t>;
using SackBlocks = std::vector<SackBlock>;

}  // namespace nic::tcp
