// A clocked valid/ready FIFO between two blocks of one clock domain.
//
// Two-phase like a register: an item pushed in cycle t is visible to the consumer from
// t+1, and space freed by a pop in cycle t is visible to the producer from t+1. Results
// therefore never depend on the order in which the blocks tick within a cycle. With
// depth >= 2 the channel sustains one item per cycle.
//
// Items are plain structs moved through a ring; no signals, no per-item allocation. Only
// ticks attached to the clock domain push and take; the domain commits the channel (makes
// this cycle's pushes and pops visible) after the cycle's ticks.
#pragma once
#include <systemc>

#include <cstdint>
#include <string>
#include <vector>

#include "hw/common/ClockDomain.hpp"
#include "hw/common/Occupancy.hpp"

namespace nic::hw {

template <class T>
class StreamChannel : public sc_core::sc_object, public ClockDomain::Committable {
 public:
  StreamChannel(const char* name, ClockDomain& clk, uint32_t depth)
      : sc_object(name), Committable(clk), clk_(clk), depth_(depth ? depth : 1), ring_(depth_),
        occ_(depth_) {}

  uint32_t depth() const { return depth_; }

  // Producer side.
  bool can_push() const { return occ_at_start_ + staged_ < depth_; }
  void push(T&& v) {
    const uint32_t tail = head_ + count_;
    ring_[tail < depth_ ? tail : tail - depth_] = std::move(v);
    ++count_;
    ++staged_;
    touched();
  }
  // The producer had an item but found the channel full this cycle.
  void note_blocked() { ++blocked_cycles_; }

  // Consumer side.
  bool can_pop() const { return visible_ > 0; }
  T& front() { return ring_[head_]; }
  T take() {
    T v = std::move(ring_[head_]);
    if (++head_ == depth_) head_ = 0;
    --count_;
    --visible_;
    touched();
    return v;
  }

  uint32_t occupancy() const { return count_; }
  const Occupancy& stats() const { return occ_; }
  uint64_t blocked_cycles() const { return blocked_cycles_; }
  // Closes the occupancy histogram at the end of a run.
  void finish_stats() { occ_.record(clk_.cycle(), count_); }
  // Waveform: items held (level), valid (the consumer may take an item this cycle), ready
  // (the producer may push this cycle), and a tag of the head item (trace_tag(T), e.g. the
  // frame number of a beat) so a frame can be followed from channel to channel.
  void trace(sc_core::sc_trace_file* tf) const {
    sc_core::sc_trace(tf, count_, std::string(name()) + "_level");
    sc_core::sc_trace(tf, valid_, std::string(name()) + "_valid");
    sc_core::sc_trace(tf, ready_, std::string(name()) + "_ready");
    sc_core::sc_trace(tf, head_tag_, std::string(name()) + "_head");
    traced_ = true;
  }
  // The trace file closed: the head tag is no longer kept up (it costs a load per commit).
  void end_trace() const { traced_ = false; }

 private:
  void commit(uint64_t cycle) override {
    visible_ += staged_;
    staged_ = 0;
    occ_at_start_ = count_;
    valid_ = visible_ > 0;
    ready_ = count_ < depth_;
    // Only waveforms show the head tag, which costs a load through the head item per commit.
    if (traced_) head_tag_ = visible_ ? trace_tag(ring_[head_]) : 0;
    if (count_ != occ_.level()) occ_.record(cycle, count_);  // a push and a pop cancel out
    if (count_) clk_.request_next();
  }

  ClockDomain& clk_;
  const uint32_t depth_;  // the ring's size as a plain count: read several times a cycle
  std::vector<T> ring_;
  uint32_t head_ = 0, count_ = 0;  // count_ includes staged items
  uint32_t staged_ = 0;            // pushed this cycle, not yet visible
  uint32_t visible_ = 0;           // poppable by the consumer
  uint32_t occ_at_start_ = 0;      // occupancy the producer sees this cycle
  bool valid_ = false, ready_ = true;        // traced: the handshake at the cycle start
  uint64_t head_tag_ = 0;                    // traced: tag of the item at the head
  mutable bool traced_ = false;              // trace() was called
  Occupancy occ_;
  uint64_t blocked_cycles_ = 0;
};

}  // namespace nic::hw
