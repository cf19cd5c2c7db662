// Receive side of one TCP connection in the host driver model: turns segments as they
// arrive (lost, duplicated, reordered, overlapping, sequence numbers wrapping mod 2^32) into
// the in-order byte stream, like a kernel's receive queue plus out-of-order queue.
//
// Every payload byte carries attributes from the packet that delivered it (whether the NIC
// placed it in a command buffer, whether the packet was CRC-ok). Bytes already accepted are
// never replaced: the first arrival wins, so the attributes delivered for a byte are those of
// the arrival whose copy of the byte went into the stream.
//
// Memory bound: the out-of-order queue holds only bytes inside the receive window
// [rcv_nxt, rcv_nxt + window) and at most `max_ooo_bytes`, counting each queued piece as its
// payload plus kPieceOverhead bytes (so a flood of tiny segments is bounded too). Bytes beyond
// either limit are dropped, as a kernel drops what exceeds its receive buffer; the sender
// retransmits them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "host_driver/ulp_ddp/placed_runs.hpp"
#include "util/bytes.hpp"

namespace nic::host {

struct TcpRxConfig {
  uint32_t window = 8u << 20;       // receive window: bytes accepted beyond rcv_nxt
  size_t max_ooo_bytes = 8u << 20;  // out-of-order queue budget (payload + overhead)
};

struct TcpRxStats {
  uint64_t segments = 0;            // non-empty segments offered
  uint64_t bytes_received = 0;      // their payload bytes, duplicates included
  uint64_t bytes_delivered = 0;     // in-order bytes handed on
  uint64_t ooo_segments = 0;        // segments starting beyond rcv_nxt
  uint64_t duplicate_segments = 0;  // segments with no byte that was new
  uint64_t duplicate_bytes = 0;     // bytes already received (in order or queued)
  uint64_t dropped_bytes = 0;       // beyond the window or the out-of-order budget
  size_t ooo_high_water = 0;        // peak out-of-order queue usage, as budgeted
};

class TcpReceiver {
 public:
  // Receives in-order bytes: `seq` is the TCP sequence of data[0]; `attrs` tile `data`.
  using Deliver = std::function<void(uint32_t seq, ByteView data, const RangeAttrs& attrs)>;
  static constexpr size_t kPieceOverhead = 64;

  explicit TcpReceiver(Deliver deliver, TcpRxConfig cfg = {});

  // Starts the stream: `isn_next` is the sequence of the first byte expected (ISN + 1).
  void init(uint32_t isn_next);
  // One segment's payload; `attrs` tile it. With `trust_crc` false the packet's CRC-ok marks
  // are ignored (the driver masks a mark it must not believe, e.g. right after a resync).
  void on_segment(uint32_t seq, ByteView payload, const RangeAttrs& attrs, bool trust_crc = true);

  uint32_t rcv_nxt() const { return seq_at(nxt_); }
  // The blocks of bytes held beyond rcv_nxt as SACK reports them (RFC 2018), at most `max`:
  // [left, right) sequence edges, the block with the latest bytes queued first, then the
  // others by how recently they grew, as Linux keeps them: a sender that sees only `max` of
  // many blocks still hears of every block that changed lately.
  void sack_blocks(size_t max, std::vector<std::pair<uint32_t, uint32_t>>& out) const;
  size_t ooo_bytes() const { return ooo_bytes_; }  // as budgeted
  size_t ooo_pieces() const { return ooo_.size(); }
  const TcpRxStats& stats() const { return stats_; }

 private:
  // A queued run of bytes that arrived ahead of rcv_nxt; pieces never overlap.
  struct Piece {
    Bytes data;
    RangeAttrs attrs;
    uint64_t stamp = 0;  // when it was queued, in pieces queued so far (SACK block order)
  };

  uint32_t seq_at(int64_t off) const { return isn_ + uint32_t(uint64_t(off)); }
  // Takes payload[from, from + n) from the current segment: delivers it when it starts at
  // rcv_nxt, else queues it. False when the out-of-order budget refuses it.
  bool accept(int64_t at, ByteView bytes, const RangeAttrs& seg_attrs, size_t from, bool trust_crc,
              std::map<int64_t, Piece>::iterator hint);
  void deliver_front();  // the first queued piece, which starts at rcv_nxt
  void drain();          // delivers queued pieces that rcv_nxt has reached

  Deliver deliver_;
  TcpRxConfig cfg_;
  uint32_t isn_ = 0;
  int64_t nxt_ = 0;               // stream offset of rcv_nxt (no wraparound)
  std::map<int64_t, Piece> ooo_;  // stream offset -> piece
  size_t ooo_bytes_ = 0;
  uint64_t queued_ = 0;  // pieces queued out of order so far: their stamps
  RangeAttrs scratch_;  // attributes of a piece delivered straight from a segment
  TcpRxStats stats_;
};

}  // namespace nic::host
