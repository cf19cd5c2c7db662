// One direction of a TCP connection as the generator needs it: the sender's byte queue cut
// into segments without regard to what the bytes mean, and the receiver's view of which
// stream bytes have arrived in order. Stream offset 0 is the first byte after the SYN.
#pragma once
#include <cstdint>
#include <deque>
#include <map>

#include "util/bytes.hpp"

namespace nic::gen {

struct Segment {
  uint32_t seq = 0;
  uint8_t flags = 0;     // net::tcpflag bits (ACK is added when the frame is built)
  uint64_t offset = 0;   // stream offset of payload[0]
  Bytes payload;
};

class TcpSender {
 public:
  // Appends application bytes that exist from `ready_ps` on.
  void append(ByteView bytes, uint64_t ready_ps);
  uint64_t written() const { return sent_ + unsent(); }  // stream offset of the next append
  uint64_t sent() const { return sent_; }
  size_t unsent() const { return buf_.size() - head_; }
  // When a segment of up to `max` bytes taken now would be complete: the ready time of the
  // latest write it covers.
  uint64_t ready_for(size_t max) const;
  // Takes up to `max` unsent bytes; PSH when the segment empties the queue.
  Segment take(size_t max);

 private:
  struct Piece {
    uint64_t end;  // stream offset one past the write
    uint64_t ready_ps;
  };
  Bytes buf_;
  size_t head_ = 0;
  uint64_t sent_ = 0;
  std::deque<Piece> pieces_;
};

class RecvTracker {
 public:
  enum class Arrival { InOrder, FilledHole, OutOfOrder, Duplicate };
  Arrival add(uint64_t offset, uint64_t len);
  uint64_t next() const { return next_; }  // bytes received in order (rcv_nxt)

 private:
  uint64_t next_ = 0;
  std::map<uint64_t, uint64_t> ooo_;  // start -> end of data held beyond a hole
};

}  // namespace nic::gen
