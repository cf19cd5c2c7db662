// The receive queue of a simulated peer that needs the bytes (the storage target takes the
// host's commands from it): in-order bytes wait for take(), bytes beyond a hole are held, and
// the held ranges are reported as SACK blocks in RFC 2018's order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>

#include "tb/tcp/sack_block.hpp"
#include "util/bytes.hpp"

namespace nic::tcp {

// What a data segment did to the queue, which is what AckPolicy decides on.
enum class Arrival {
  InOrder,     // advanced rcv_nxt while nothing was held beyond a hole
  FilledHole,  // advanced rcv_nxt while bytes beyond a hole were held
  OutOfOrder,  // new bytes beyond rcv_nxt, now held
  Duplicate,   // not one new byte
};

class StreamReassembler {
 public:
  explicit StreamReassembler(uint64_t rcv_nxt = 0) : rcv_nxt_(rcv_nxt) {}

  // A segment's payload at stream offset `offset`. Where it overlaps bytes already queued,
  // those are kept.
  Arrival add(uint64_t offset, ByteView data);
  Bytes take();  // the in-order bytes not taken yet

  uint64_t rcv_nxt() const { return rcv_nxt_; }
  size_t readable() const { return ready_.size(); }
  uint64_t held_bytes() const { return held_bytes_; }  // beyond a hole
  size_t held_ranges() const { return held_.size(); }
  // Up to `max_blocks` held ranges, [start, end): first the one the latest segment landed in,
  // then the others, most recently extended first (RFC 2018).
  SackBlocks sack_blocks(size_t max_blocks) const;

 private:
  struct Held {
    Bytes data;
    uint64_t stamp = 0;  // when a segment last landed in it
  };
  Arrival hold(uint64_t offset, ByteView data);

  uint64_t rcv_nxt_;
  Bytes ready_;
  std::map<uint64_t, Held> held_;  // by start offset; disjoint, never adjacent
  uint64_t held_bytes_ = 0;
  uint64_t stamp_ = 0;
};

}  // namespace nic::tcp
