#include "hw/parser/pdu_tracker.hpp"

#include <algorithm>
#include <cstring>

#include "proto/crc32c.hpp"

namespace nic::hw {

using nvme::PduError;
using nvme::PduType;

const char* to_string(TrackerState s) {
  switch (s) {
    case TrackerState::Offloading: return "Offloading";
    case TrackerState::Tracking: return "Tracking";
    case TrackerState::Searching: return "Searching";
    case TrackerState::ResyncPending: return "ResyncPending";
    case TrackerState::Disabled: return "Disabled";
  }
  return "?";
}

const char* to_string(Region r) {
  switch (r) {
    case Region::Header: return "Header";
    case Region::HeaderDigest: return "HeaderDigest";
    case Region::Pad: return "Pad";
    case Region::Data: return "Data";
    case Region::DataDigest: return "DataDigest";
    case Region::Unframed: return "Unframed";
  }
  return "?";
}

Segment Segment::slice(uint32_t from, uint32_t n) const {
  Segment s = *this;
  s.off += from;
  s.len = n;
  s.pdu_off += from;
  if (region == Region::Data) s.buf_off += from;
  s.completes_pdu = completes_pdu && from + n == len;
  return s;
}

void PduTracker::start(uint32_t next_pdu_seq, const TrackerConfig& cfg) {
  cfg_ = cfg;
  state_ = TrackerState::Offloading;
  expected_ = next_pdu_seq;
  begin_pdu(next_pdu_seq);
}

void PduTracker::begin_pdu(uint32_t seq) {
  pdu_seq_ = seq;
  pos_ = 0;
  region_ = Region::Header;
  region_end_ = nvme::kCommonHeaderLen;  // first step: learn HLEN/PLEN
  ch_known_ = false;
  ch_ = {};
  lay_ = {};
  cid_ = 0;
  datao_ = datal_ = 0;
  hcrc_ = crc32c::kInit;
}

void PduTracker::plan(uint32_t seq, ByteView payload, PacketPlan& out) {
  out.segs.clear();
  out.headers.clear();
  out.in_seq = state_ == TrackerState::Offloading && seq == expected_;
  if (payload.empty()) return;
  if (!out.in_seq) {
    // Only this policy: without Tracking/Searching, any gap or overlap ends offload.
    state_ = TrackerState::Disabled;
    return;
  }
  expected_ += uint32_t(payload.size);
  frame(payload, out);
}

// Walks the payload region by region; bytes of Pad, Data and DataDigest are only counted.
void PduTracker::frame(ByteView payload, PacketPlan& out) {
  const uint32_t n = uint32_t(payload.size);
  uint32_t off = 0;
  while (off < n) {
    if (state_ == TrackerState::Disabled) {  // a header failed earlier in this packet
      emit(out, off, n - off);
      return;
    }
    const uint32_t take = std::min(n - off, region_end_ - pos_);
    if (region_ == Region::Header) {
      consume_header(payload.data + off, take);
    } else if (region_ == Region::HeaderDigest) {
      std::memcpy(hdgst_ + (pos_ - ch_.hlen), payload.data + off, take);
    }
    emit(out, off, take);
    pos_ += take;
    off += take;
    if (pos_ == region_end_) region_done(out);
  }
}

void PduTracker::consume_header(const uint8_t* p, uint32_t n) {
  if (pos_ < kStoredHeader) std::memcpy(hdr_ + pos_, p, std::min(n, kStoredHeader - pos_));
  if (cfg_.cp.hdgst && cfg_.header_digest_check) hcrc_ = crc32c::update(hcrc_, p, n);
}

void PduTracker::region_done(PacketPlan& out) {
  switch (region_) {
    case Region::Header:
      if (!ch_known_) {
        ch_ = nvme::CommonHeader::decode(hdr_);
        ch_known_ = true;
        PduError e = nvme::validate_header(ch_, cfg_.cp);
        if (e == PduError::None && !nvme::sent_by_controller(ch_.type)) e = PduError::UnknownType;
        if (e == PduError::None && ch_.plen > cfg_.max_pdu_len) e = PduError::PlenTooLarge;
        if (e != PduError::None) return report(out, e, false);
        lay_ = nvme::layout_of(ch_);
        region_end_ = ch_.hlen;  // every legal HLEN exceeds the common header
        return;
      }
      // Type-specific fields are known now, so HDGST and later segments carry them.
      switch (ch_.type) {
        case PduType::C2HData:
          cid_ = ld_le16(hdr_ + 8);
          datao_ = ld_le32(hdr_ + 12);
          datal_ = ld_le32(hdr_ + 16);
          break;
        case PduType::R2T: cid_ = ld_le16(hdr_ + 8); break;
        case PduType::CapsuleResp: cid_ = ld_le16(hdr_ + 20); break;
        default: break;
      }
      if (lay_.hdgst_len) {
        region_ = Region::HeaderDigest;
        region_end_ = ch_.hlen + lay_.hdgst_len;
        return;
      }
      break;
    case Region::HeaderDigest: break;
    default: return enter_region(out);
  }
  // Header (and HDGST) complete. A corrupt header explains any inconsistency inside it, so
  // the digest is judged first.
  PduError e = PduError::None;
  bool hdgst_ok = false;
  if (lay_.hdgst_len && cfg_.header_digest_check) {
    hdgst_ok = crc32c::finish(hcrc_) == ld_le32(hdgst_);
    if (!hdgst_ok) e = PduError::BadHeaderDigest;
  }
  if (e == PduError::None && ch_.type == PduType::C2HData && datal_ != lay_.data_len)
    e = PduError::DataLengthMismatch;
  report(out, e, hdgst_ok);
  if (e == PduError::None) enter_region(out);
}

// Every header is reported once: when it completes, or when it fails. A failed header makes
// PLEN untrustworthy, so the rest of the stream is unframed.
void PduTracker::report(PacketPlan& out, PduError err, bool hdgst_ok) {
  PduInfo& i = out.headers.emplace_back();
  i.seq = pdu_seq_;
  i.ch = ch_;
  i.cid = cid_;
  i.datao = datao_;
  i.datal = datal_;
  i.err = err;
  i.hdgst_ok = hdgst_ok;
  if (err != PduError::None) {
    state_ = TrackerState::Disabled;
    region_ = Region::Unframed;
  }
}

void PduTracker::enter_region(PacketPlan& out) {
  const uint32_t data_end = lay_.data_offset + lay_.data_len;
  if (pos_ < lay_.data_offset) {
    region_ = Region::Pad;
    region_end_ = lay_.data_offset;
  } else if (pos_ < data_end) {
    region_ = Region::Data;
    region_end_ = data_end;
  } else if (pos_ < ch_.plen) {
    region_ = Region::DataDigest;
    region_end_ = ch_.plen;
  } else {
    out.segs.back().completes_pdu = true;  // the PDU's last byte was just emitted
    begin_pdu(pdu_seq_ + ch_.plen);
  }
}

void PduTracker::emit(PacketPlan& out, uint32_t off, uint32_t len) const {
  // A header crossing its common-header step stays one segment.
  if (!out.segs.empty()) {
    Segment& last = out.segs.back();
    if (last.region == region_ && last.pdu_seq == pdu_seq_ && last.off + last.len == off) {
      last.len += len;
      return;
    }
  }
  Segment& s = out.segs.emplace_back();
  s.region = region_;
  s.type = ch_.type;
  s.flags = ch_.flags;
  s.cid = cid_;
  s.off = off;
  s.len = len;
  s.pdu_seq = pdu_seq_;
  s.pdu_off = pos_;
  s.buf_off = region_ == Region::Data ? datao_ + (pos_ - lay_.data_offset) : 0;
}

}  // namespace nic::hw
