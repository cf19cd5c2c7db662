// Writer of the host completion ring, shared by the placement engine (RxPacket entries) and
// the command processor (CmdDone, TeardownDone), so all entries reach the host
// in the order they were posted: each one is a write through the in-order DmaEngine.
//
// Ring protocol (driver side): `entries` slots of abi::kCqeSize bytes at `base`. The NIC
// writes entry n (a free-running count from 0) at slot n % entries with owner bit 1 on the
// first pass and flipping on each wrap, so the driver recognises new entries without reading
// a register. The driver reports consumed entries by writing its own free-running count
// (mod 2^32) to kRegCqConsumer; the NIC never writes an entry the driver has not consumed, so
// all `entries` slots are usable and a full ring stalls its producers (nothing is dropped).
// Not a SystemC module: its timing is the DmaEngine's; callers check can_post() in their
// clocked process before posting.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "hw/abi/nic_abi.hpp"
#include "hw/pcie/DmaEngine.hpp"

namespace nic::hw {

// A received frame's first and last bit on the wire. A ConnectX entry carries a hardware
// timestamp; ours has no room left, so the ring keeps the frame's times beside its entry's
// slot until the driver has taken it (the host's latency breakdown reads them, docs/latency.md).
struct WireTimes {
  uint64_t start_ps = 0, end_ps = 0;
};

class CompletionRing {
 public:
  explicit CompletionRing(DmaEngine& dma) : dma_(dma) {}

  // Points the ring at new host memory and restarts it empty (entry 0, owner 1). `entries`
  // must be a power of two; otherwise the ring stays unusable and this returns false.
  bool configure(uint64_t base, uint32_t entries);
  void set_consumer(uint32_t consumed) { consumed_ = consumed; }

  bool can_post() const { return entries_ && posted_ - consumed_ < entries_; }
  // Sets the owner bit and queues the entry's write; requires can_post(). `landed` runs when
  // the entry has reached host memory.
  void post(abi::Cqe cqe, DmaEngine::Done landed = {}, WireTimes wire = {});
  const WireTimes& wire_times(uint32_t slot) const { return wire_[slot]; }
  // Called by post() with the entry's free-running index once its write is queued (the
  // interrupt block's moderation counts and times entries from it).
  using PostHook = std::function<void(uint32_t index)>;
  void set_post_hook(PostHook h) { post_hook_ = std::move(h); }

  uint64_t base() const { return base_; }
  uint32_t entries() const { return entries_; }
  uint32_t posted() const { return posted_; }  // free-running count (mod 2^32)
  uint64_t total_posted() const { return total_; }

 private:
  DmaEngine& dma_;
  uint64_t base_ = 0;
  uint32_t entries_ = 0;
  std::vector<WireTimes> wire_;  // by slot
  uint32_t posted_ = 0, consumed_ = 0;
  uint64_t total_ = 0;
  PostHook post_hook_;
};

}  // namespace nic::hw
