#include "hw/offload/crc_engine.hpp"

#include <algorithm>
#include <cstring>

#include "proto/crc32c.hpp"

namespace nic::hw {

void CrcEngine::start(bool ddgst, uint32_t max_open_pdus) {
  ddgst_ = ddgst;
  max_open_ = std::max<uint32_t>(1, max_open_pdus);
  pdus_.clear();
  pdus_.reserve(2 * max_open_);
  pkt_ = {};
}

void CrcEngine::begin_packet() { pkt_ = {}; }

CrcEngine::Pdu* CrcEngine::find(uint32_t pdu_seq) {
  // Consecutive beats mostly belong to the PDU found last.
  if (last_ < pdus_.size() && pdus_[last_].seq == pdu_seq) return &pdus_[last_];
  for (size_t i = 0; i < pdus_.size(); ++i)
    if (pdus_[i].seq == pdu_seq) {
      last_ = i;
      return &pdus_[i];
    }
  return nullptr;
}

// A PDU met in order. Verified ones are evicted first (they only recognise duplicates), then
// the least recently touched open one, which is then never verified.
CrcEngine::Pdu* CrcEngine::open(uint32_t pdu_seq, uint32_t data_off, uint32_t data_len) {
  if (pdus_.size() >= 2 * max_open_ ||
      std::count_if(pdus_.begin(), pdus_.end(), [](const Pdu& p) { return !p.verified; }) >=
          long(max_open_)) {
    auto victim = pdus_.end();
    for (auto it = pdus_.begin(); it != pdus_.end(); ++it) {
      if (victim == pdus_.end() || (it->verified && !victim->verified) ||
          (it->verified == victim->verified && it->touched < victim->touched))
        victim = it;
    }
    abandoned_ += !victim->verified;
    pdus_.erase(victim);
  }
  Pdu& p = pdus_.emplace_back();
  p.seq = pdu_seq;
  p.data_seq = pdu_seq + data_off;
  p.data_len = data_len;
  p.end = p.data_seq + data_len + 4;
  return &p;
}

void CrcEngine::track(uint32_t pdu_seq, uint32_t data_off, uint32_t crc_len) {
  if (ddgst_ && !find(pdu_seq)) open(pdu_seq, data_off, crc_len)->touched = ++clock_;
}

void CrcEngine::feed(const Segment& s, ByteView bytes) {
  if (s.region == Region::Unframed) {
    pkt_.crc_ok = false;  // bytes of a PDU the engine cannot follow
    return;
  }
  // Every data digest is checked, not only placeable PDUs': iSCSI's SCSI Response (sense
  // data), NOP-In (ping data), Reject and Async Message carry one too, and a packet that
  // brings a bad one must not pass as crc-ok.
  if (s.region == Region::Header || !(s.placeable || s.ddgst)) return;
  const bool payload = s.region == Region::Data || s.region == Region::DataDigest;
  if (payload && !ddgst_) {
    pkt_.crc_ok = false;  // nothing to verify against
    return;
  }
  if (!ddgst_) return;
  const bool before_data = s.pdu_off < s.data_off;  // header digest or a pad before the data
  const uint32_t covered = s.data_len + s.crc_pad;
  Pdu* p = find(s.pdu_seq);
  if (!p) {
    // Met before its data, or from its first data byte when the header was in this very
    // packet: either way every covered byte is still ahead.
    if (!before_data && s.pdu_off != s.data_off) {
      pkt_.crc_ok = false;
      return;
    }
    p = open(s.pdu_seq, s.data_off, covered);
  }
  p->touched = ++clock_;
  if (s.region == Region::Data || (s.region == Region::Pad && !before_data && s.crc_pad))
    add_data(*p, s.pdu_off - s.data_off, bytes.data, uint32_t(bytes.size));
  else if (s.region == Region::DataDigest)
    add_digest(*p, s.pdu_off - s.data_off - covered, bytes.data, uint32_t(bytes.size));
  try_verify(*p);
}

uint32_t CrcEngine::feed_stale(uint32_t seq, ByteView bytes, uint32_t hdr_seq, uint32_t hdr_len) {
  // Positions relative to the packet's first byte, in 64 bits: a min/max of serial numbers is
  // only transitive while every distance is under 2^31, and a PDU left open long ago (the
  // sequence space wraps every 4 GiB) may sit anywhere from the packet.
  const int64_t n = int64_t(bytes.size);
  const auto rel = [seq](uint32_t s) { return int64_t(int32_t(s - seq)); };
  int64_t covered = 0;  // bytes inside some tracked PDU's extent, or the known header
  uint32_t updated = 0;
  if (hdr_len) {
    const int64_t h = rel(hdr_seq);
    covered += std::max<int64_t>(0, std::min(n, h + hdr_len) - std::max<int64_t>(0, h));
  }
  for (Pdu& p : pdus_) {
    const int64_t ps = rel(p.seq), pe = ps + (p.end - p.seq);
    const int64_t lo = std::max<int64_t>(0, ps), hi = std::min(n, pe);
    if (lo >= hi) continue;
    covered += hi - lo;
    if (p.verified) continue;  // a duplicate of bytes already accounted
    p.touched = ++clock_;
    const int64_t ds = ps + (p.data_seq - p.seq), de = ds + p.data_len;
    const int64_t dlo = std::max(lo, ds), dhi = std::min(hi, de);
    if (dlo < dhi) add_data(p, uint32_t(dlo - ds), bytes.data + dlo, uint32_t(dhi - dlo));
    const int64_t glo = std::max(lo, de);
    if (glo < hi) add_digest(p, uint32_t(glo - de), bytes.data + glo, uint32_t(hi - glo));
    updated += dlo < dhi || glo < hi;
    try_verify(p);
  }
  // Bytes of no tracked PDU may be a PDU nobody verified: software must check it.
  if (covered < n) pkt_.crc_ok = false;
  return updated;
}

void CrcEngine::add_data(Pdu& p, uint32_t off, const uint8_t* b, uint32_t n) {
  // In-order data (nearly every beat): the bytes extend the last piece and touch no other.
  if (p.npieces) {
    Piece& last = p.pieces[p.npieces - 1];
    if (last.off + last.len == off) {
      last.reg = update(last.reg, b, n);
      last.len += n;
      return;
    }
  }
  // Walk the gaps between existing pieces inside [off, off + n) and fill them.
  const uint32_t end = off + n;
  uint32_t at = off;
  size_t i = 0;
  while (at < end) {
    while (i < p.npieces && p.pieces[i].off + p.pieces[i].len <= at) ++i;
    if (i < p.npieces && p.pieces[i].off <= at) {  // already covered
      at = p.pieces[i].off + p.pieces[i].len;
      continue;
    }
    const uint32_t gap_end = i < p.npieces ? std::min(end, p.pieces[i].off) : end;
    const uint8_t* src = b + (at - off);
    const uint32_t len = gap_end - at;
    if (i > 0 && p.pieces[i - 1].off + p.pieces[i - 1].len == at) {
      Piece& prev = p.pieces[i - 1];  // in-order growth: extend the running register
      prev.reg = update(prev.reg, src, len);
      prev.len += len;
    } else if (p.npieces < kMaxPieces) {
      std::move_backward(p.pieces + i, p.pieces + p.npieces, p.pieces + p.npieces + 1);
      p.pieces[i] = {at, len, update(crc32c::kInit, src, len)};
      ++p.npieces;
      ++i;
      if (at) p.had_hole = true;
    } else {
      pkt_.crc_ok = false;  // too fragmented to follow: software verifies this PDU
      return;
    }
    at = gap_end;
  }
  // Merge pieces that now touch: crc(A||B) from crc(A), crc(B) and |B|.
  for (size_t k = 0; k + 1 < p.npieces;) {
    Piece& a = p.pieces[k];
    const Piece& nb = p.pieces[k + 1];
    if (a.off + a.len != nb.off) {
      ++k;
      continue;
    }
    a.reg = crc32c::finish(
        crc32c::combine(crc32c::finish(a.reg), crc32c::finish(nb.reg), nb.len));
    a.len += nb.len;
    ++pkt_.combines;
    std::move(p.pieces + k + 2, p.pieces + p.npieces, p.pieces + k + 1);
    --p.npieces;
  }
}

void CrcEngine::add_digest(Pdu& p, uint32_t idx, const uint8_t* b, uint32_t n) {
  for (uint32_t k = 0; k < n && idx + k < 4; ++k) {
    p.dgst[idx + k] = b[k];
    p.dgst_have |= uint8_t(1u << (idx + k));
  }
}

void CrcEngine::try_verify(Pdu& p) {
  if (p.verified || p.dgst_have != 0xF) return;
  const bool whole = p.data_len == 0 ||
                     (p.npieces == 1 && p.pieces[0].off == 0 && p.pieces[0].len == p.data_len);
  if (!whole) return;  // a hole still waits for its retransmission
  const uint32_t crc = p.data_len ? crc32c::finish(p.pieces[0].reg) : crc32c::compute(nullptr, 0);
  p.verified = true;
  if (crc == ld_le32(p.dgst)) {
    ++verified_ok_;
    hole_filled_ += p.had_hole;
    ++pkt_.pdus_completed_ok;
  } else {
    ++digest_error_;
    ++pkt_.pdus_completed_bad;
    pkt_.crc_ok = false;
  }
}

}  // namespace nic::hw
