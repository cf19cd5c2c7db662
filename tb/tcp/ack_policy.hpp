// When the receiving end of a simulated connection acknowledges, as Linux decides it
// (__tcp_ack_snd_check): at once for a segment out of order, a duplicate, one that advances
// into held data, once more than a full segment is unacknowledged, and for the first segments
// of a connection (quick ACKs); otherwise after a delayed-ACK timeout. Either end uses one per
// direction it receives; with a StreamReassembler, in_order is InOrder or FilledHole and
// filled_hole is FilledHole.
#pragma once
#include <cstdint>
#include <optional>

namespace nic::tcp {

struct AckPolicyParams {
  uint32_t mss = 1448;  // what a full-sized segment is (Linux's rcv_mss estimate)
  // Linux's ack timeout starts at TCP_ATO_MIN = 40 ms and adapts (up to 200 ms); fixed here.
  uint64_t delack_ps = 40'000'000'000;
  uint32_t quickack_segments = 16;  // TCP_MAX_QUICKACKS, granted at the connection's start
};

class AckPolicy {
 public:
  explicit AckPolicy(const AckPolicyParams& p = {}) : p_(p), quick_(p.quickack_segments) {}

  // A data segment of `len` bytes arrived. True: acknowledge now. False: an ACK is owed by
  // deadline() unless one goes earlier.
  bool on_segment(bool in_order, bool filled_hole, uint32_t len, uint64_t now_ps);
  std::optional<uint64_t> deadline() const { return deadline_; }
  // Any segment carrying the current ACK left, a pure ACK or data.
  void sent_ack() {
    unacked_ = 0;
    deadline_.reset();
  }
  uint32_t quickacks_left() const { return quick_; }

 private:
  AckPolicyParams p_;
  uint32_t quick_;
  uint64_t unacked_ = 0;  // in-order bytes since the last ACK
  std::optional<uint64_t> deadline_;
};

}  // namespace nic::tcp
