// Per-flow NVMe/TCP data digest (DDGST) checker, fed with the segments the PDU tracker cut a
// packet into. It keeps the running CRC32C of the current PDU's data across packets, gathers
// the 4 digest bytes even when they are split across packets, and compares at the PDU end.
//
// Per-packet verdict (the ConnectX-7 "crc ok" bit): true only if every C2HData PDU with data or
// data-digest bytes in the packet has been followed by this engine from its first byte without
// a gap, and every such PDU whose digest completes in the packet matched. The driver skips its
// own CRC for a PDU only when all packets carrying its data or digest were crc-ok, so a bad
// digest needs only to clear the bit of the packet that completes it.
//   - A packet without C2HData data or digest bytes is crc-ok: there is nothing to verify.
//   - Without a negotiated data digest a packet carrying C2HData data is NOT crc-ok: nothing
//     was verified, and software must never take a verification that did not happen.
//   - TermReq error data carries no digest and does not affect the verdict.
// Plain C++ (no SystemC), no allocation.
#pragma once
#include <cstdint>

#include "hw/parser/pdu_tracker.hpp"
#include "proto/bytes.hpp"

namespace nic::hw {

struct CrcPacketResult {
  bool crc_ok = true;
  uint32_t pdus_completed_ok = 0;   // digests that completed in the packet and matched
  uint32_t pdus_completed_bad = 0;  // ... and did not match
};

class CrcEngine {
 public:
  // sk_add: whether data digests were negotiated. Forgets any PDU in progress.
  void start(bool ddgst);
  // Clears the per-packet result.
  void begin_packet();
  // Feed every segment of an in-sequence packet in payload order, each whole or as
  // consecutive Segment::slice pieces (one beat at a time); `bytes` are the segment's bytes
  // (size == s.len). Header, pad and unframed bytes are not checked but keep the engine aware
  // of which PDU bytes it has seen: a PDU joined anywhere but at its first byte, or with a
  // gap, is not verified.
  void feed(const Segment& s, ByteView bytes);
  const CrcPacketResult& result() const { return pkt_; }

  uint64_t pdus_verified_ok() const { return verified_ok_; }
  uint64_t pdus_digest_error() const { return digest_error_; }
  uint64_t pdus_unverified() const { return unverified_; }  // digest completed, PDU not followed

 private:
  void finish_pdu();

  bool ddgst_ = false;
  CrcPacketResult pkt_;
  // Current PDU, identified by the sequence of its first byte.
  bool have_pdu_ = false;
  bool followed_ = false;  // seen from its first byte with no gap
  uint32_t pdu_seq_ = 0;
  uint32_t next_off_ = 0;  // pdu_off of the next byte in order
  uint32_t reg_ = 0;       // running CRC32C register over the data bytes
  uint8_t dgst_[nvme::kDigestLen] = {};
  uint32_t dgst_have_ = 0;
  uint64_t verified_ok_ = 0, digest_error_ = 0, unverified_ = 0;
};

}  // namespace nic::hw
