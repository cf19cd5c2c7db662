// Per-flow data digest checker, fed with the segments the PDU framer cut a packet into, and
// with packets that arrive behind the expected sequence (retransmissions). A digest covers a
// PDU's data, and for iSCSI the pad after it (Segment::crc_pad); "data" below means those
// bytes.
//
// It keeps a few "open" PDUs per flow. Each one collects its data as pieces (offset, length,
// running CRC32C register): in-order bytes extend a piece; a hole (a lost or reordered packet)
// leaves a gap, and the retransmission that later fills it is accounted from its own bytes;
// adjacent pieces merge with crc32c::combine. When the pieces cover the whole data and the 4
// digest bytes are in, the PDU is verified; a verified PDU stays known for a while so that
// late duplicates of its bytes are recognised.
//
// Per-packet verdict (the ConnectX-7 "crc ok" bit), safe under the driver's rule (skip the
// software CRC of a PDU only if every packet that carried its data or digest was crc-ok):
//   - crc-ok only if every placeable data/digest byte in the packet was accounted into a PDU the
//     engine tracks (in order, or filling a tracked hole), and every PDU whose verification
//     completed in the packet matched. PDUs that are not placed but carry a data digest (iSCSI
//     sense data, ping data) are verified the same way. A PDU still waiting for a hole does not spoil its packets:
//     the packet that completes it carries the verdict.
//   - bytes the engine cannot place in a tracked PDU (unframed bytes, a PDU joined mid-way, a
//     retransmission outside any tracked PDU) make the packet not crc-ok;
//   - a packet with no placeable data or digest bytes is crc-ok: nothing to verify;
//   - without a negotiated data digest, a packet carrying placeable data is not crc-ok.
// Plain C++ (no SystemC); no allocation in steady state.
#pragma once
#include <cstdint>
#include <vector>

#include "hw/common/packet_plan.hpp"
#include "util/bytes.hpp"
#include "proto/crc32c.hpp"

namespace nic::hw {

struct CrcPacketResult {
  bool crc_ok = true;
  uint32_t pdus_completed_ok = 0;   // digests that completed in the packet and matched
  uint32_t pdus_completed_bad = 0;  // ... and did not match
  uint32_t combines = 0;            // pieces of a PDU joined by crc32c::combine (holes filled)
};

// The CRC32C datapath the engine runs its register updates through: the C++ model by default,
// or an RTL implementation (crc.impl=rtl) with the same function.
struct CrcDatapath {
  virtual ~CrcDatapath() = default;
  // The raw register after `n` more bytes (no initial value or final xor applied here).
  virtual uint32_t update(uint32_t reg, const uint8_t* p, size_t n) = 0;
};

class CrcEngine {
 public:
  static constexpr uint32_t kMaxPieces = 8;  // separate data pieces per PDU (holes + 1)

  // Routes register updates through `dp` (not owned); nullptr restores the C++ model.
  void set_datapath(CrcDatapath* dp) { dp_ = dp; }

  // sk_add: whether data digests were negotiated, and how many PDUs with holes may wait for
  // their retransmissions at once. Forgets every PDU.
  void start(bool ddgst, uint32_t max_open_pdus = 4);
  // Clears the per-packet result.
  void begin_packet();
  // Segments of a packet the tracker framed, in payload order, each whole or as consecutive
  // Segment::slice pieces (one beat at a time); `bytes` are the segment's bytes.
  void feed(const Segment& s, ByteView bytes);
  // Bytes of a packet that arrived behind the expected sequence, starting at TCP sequence
  // `seq` (a whole packet or consecutive pieces of one). [hdr_seq, hdr_seq + hdr_len) are known
  // to be a PDU header (the one the tracker is recovering): nothing to verify there. Returns
  // how many PDUs' running registers the bytes updated (the datapath loads one a cycle).
  uint32_t feed_stale(uint32_t seq, ByteView bytes, uint32_t hdr_seq = 0, uint32_t hdr_len = 0);
  // The tracker learnt a PDU's layout from a retransmitted header: follow the PDU from now on
  // (it is verified only if its every covered byte still comes by).
  void track(uint32_t pdu_seq, uint32_t data_off, uint32_t crc_len);
  const CrcPacketResult& result() const { return pkt_; }

  uint64_t pdus_verified_ok() const { return verified_ok_; }
  uint64_t pdus_digest_error() const { return digest_error_; }
  uint64_t pdus_hole_filled() const { return hole_filled_; }  // verified after a hole
  uint64_t pdus_abandoned() const { return abandoned_; }      // dropped before verification

 private:
  struct Piece {
    uint32_t off = 0, len = 0;  // data offsets
    uint32_t reg = 0;           // CRC32C register over the piece
  };
  struct Pdu {
    uint32_t seq = 0;        // first byte of the PDU
    uint32_t data_seq = 0;   // first data byte
    uint32_t data_len = 0;   // bytes the digest covers
    uint32_t end = 0;        // one past the data digest
    Piece pieces[kMaxPieces];
    uint32_t npieces = 0;
    uint8_t dgst[4] = {};
    uint8_t dgst_have = 0;   // bit i: digest byte i is in
    bool had_hole = false;
    bool verified = false;   // done; kept to recognise duplicates
    uint64_t touched = 0;    // for eviction
  };

  Pdu* find(uint32_t pdu_seq);
  Pdu* open(uint32_t pdu_seq, uint32_t data_off, uint32_t data_len);
  // Accounts data bytes [off, off + n) of `p`; only not-yet-covered bytes are added.
  void add_data(Pdu& p, uint32_t off, const uint8_t* b, uint32_t n);
  void add_digest(Pdu& p, uint32_t idx, const uint8_t* b, uint32_t n);
  void try_verify(Pdu& p);

  uint32_t update(uint32_t reg, const uint8_t* p, size_t n) const {
    return dp_ ? dp_->update(reg, p, n) : crc32c::update(reg, p, n);
  }

  CrcDatapath* dp_ = nullptr;
  bool ddgst_ = false;
  uint32_t max_open_ = 4;
  std::vector<Pdu> pdus_;
  size_t last_ = 0;  // index of the PDU find() returned last (a hint; checked before use)
  uint64_t clock_ = 0;
  CrcPacketResult pkt_;
  uint64_t verified_ok_ = 0, digest_error_ = 0, hole_filled_ = 0, abandoned_ = 0;
};

}  // namespace nic::hw
