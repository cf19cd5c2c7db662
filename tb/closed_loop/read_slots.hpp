// The queue of a closed-loop host application, whatever its protocol: queue-depth slots, each
// holding at most one read, handed out longest free first, each with a generation counter
// bumped at every use so that a slot's tag changes from one read to the next (Linux's
// NVMe/TCP CIDs, open-iscsi's ITTs keep an index in their low bits and something else above
// it); and fio's figures of the reads that went through them. Plain C++.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "tb/closed_loop/host_app.hpp"

namespace nic::loop {

class ReadSlots {
 public:
  static constexpr uint32_t kMaxDepth = 4096;  // slots a tag's low 12 bits name
  static uint16_t slot_of(uint32_t tag) { return uint16_t(tag & (kMaxDepth - 1)); }

  ReadSlots(uint32_t depth, uint64_t ios);

  // Another read may go: a slot is free and the connection's share is not issued yet.
  bool can_issue() const { return !free_.empty() && issued_ < ios_; }
  // Puts a read of `length` issued at `now_ps` in the longest-free slot; `tag(slot, gen)` names
  // it from its slot and the slot's generation, bumped before use (a slot's first is 1).
  // Returns the tag. Call only when can_issue().
  uint32_t take(uint64_t now_ps, uint32_t length, uint32_t (*tag)(uint16_t slot, uint32_t gen));
  // The read named `tag` completed; false when no read of that name is in flight.
  bool complete(uint32_t tag, bool ok, uint64_t now_ps);
  bool done() const { return done_ == ios_; }
  uint64_t issued() const { return issued_; }
  uint64_t in_flight() const { return issued_ - done_; }
  const IoFigures& figures() const { return fig_; }

 private:
  struct Slot {
    uint64_t issued_ps = 0;
    uint32_t length = 0;
    uint32_t tag = 0;  // of the read in the slot
    uint32_t gen = 0;  // generation of the slot's last read
    bool busy = false;
  };
  const uint64_t ios_;
  std::vector<Slot> slots_;
  std::deque<uint16_t> free_;  // slots, longest free first
  uint64_t issued_ = 0, done_ = 0;
  IoFigures fig_;
};

}  // namespace nic::loop
