#include "hw/placement/CompletionRing.hpp"

#include <stdexcept>

namespace nic::hw {

bool CompletionRing::configure(uint64_t base, uint32_t entries) {
  // A power of two keeps slot and owner bit right when the 32-bit counts wrap.
  const bool ok = entries && (entries & (entries - 1)) == 0;
  base_ = base;
  entries_ = ok ? entries : 0;
  posted_ = consumed_ = 0;
  wire_.assign(entries_, {});
  return ok;
}

void CompletionRing::post(abi::Cqe cqe, DmaEngine::Done landed, WireTimes wire) {
  if (!can_post()) throw std::logic_error("CompletionRing::post on a full ring");
  const uint32_t slot = posted_ % entries_;
  cqe.owner = (posted_ / entries_) % 2 == 0 ? 1 : 0;
  uint8_t bytes[abi::kCqeSize];
  cqe.encode(bytes);
  wire_[slot] = wire;
  dma_.write(base_ + uint64_t(slot) * abi::kCqeSize, bytes, abi::kCqeSize, {}, {},
             std::move(landed));
  ++posted_;
  ++total_;
  if (post_hook_) post_hook_(posted_ - 1);
}

}  // namespace nic::hw
