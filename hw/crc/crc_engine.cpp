#include "hw/crc/crc_engine.hpp"

#include <algorithm>
#include <cstring>

#include "proto/crc32c.hpp"

namespace nic::hw {

void CrcEngine::start(bool ddgst) {
  ddgst_ = ddgst;
  have_pdu_ = false;
  pkt_ = {};
}

void CrcEngine::begin_packet() { pkt_ = {}; }

void CrcEngine::feed(const Segment& s, ByteView bytes) {
  if (!have_pdu_ || s.pdu_seq != pdu_seq_ || s.pdu_off != next_off_) {
    // A new PDU, or bytes of this one were missed: follow it only from its first byte.
    have_pdu_ = true;
    pdu_seq_ = s.pdu_seq;
    followed_ = s.pdu_off == 0;
    reg_ = crc32c::kInit;
    dgst_have_ = 0;
  }
  next_off_ = s.pdu_off + s.len;
  if (s.type != nvme::PduType::C2HData) return;  // the only C2H type with data digests

  if (s.region == Region::Data) {
    if (ddgst_ && followed_) {
      reg_ = crc32c::update(reg_, bytes.data, bytes.size);
    } else {
      pkt_.crc_ok = false;
    }
  } else if (s.region == Region::DataDigest) {
    if (!followed_) pkt_.crc_ok = false;
    // Bytes arrive in order when followed, so a count places them; the region is 4 bytes.
    const size_t n = std::min(bytes.size, sizeof dgst_ - dgst_have_);
    std::memcpy(dgst_ + dgst_have_, bytes.data, n);
    dgst_have_ += uint32_t(n);
    if (s.completes_pdu) finish_pdu();
  }
}

void CrcEngine::finish_pdu() {
  if (!followed_) {
    ++unverified_;
    return;
  }
  if (crc32c::finish(reg_) == ld_le32(dgst_)) {
    ++verified_ok_;
    ++pkt_.pdus_completed_ok;
  } else {
    ++digest_error_;
    ++pkt_.pdus_completed_bad;
    pkt_.crc_ok = false;
  }
}

}  // namespace nic::hw
