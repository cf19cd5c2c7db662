// The framer's behaviour, for the protocol translation units that instantiate it
// (hw/offload/nvme_tcp/nvme_tcp_framer.cpp): a template, so every per-PDU question to the
// protocol is a direct, inlinable call.
#pragma once
#include <algorithm>
#include <cstring>

#include "hw/offload/pdu_tracker.hpp"
#include "proto/crc32c.hpp"

namespace nic::hw {

namespace framer_detail {
// TCP sequence order, modulo 2^32.
inline bool seq_before(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
}  // namespace framer_detail

template <class Proto>
void PduFramer<Proto>::start(uint32_t next_pdu_seq, const Config& cfg) {
  cfg_ = cfg;
  state_ = TrackerState::Offloading;
  expected_ = next_pdu_seq;
  begin_pdu(next_pdu_seq);
  cands_.clear();
  cands_.reserve(cfg.max_candidates);
  tail_len_ = 0;
  window_.clear();
  st_ = {};
}

template <class Proto>
void PduFramer<Proto>::begin_pdu(uint32_t seq) {
  pdu_seq_ = seq;
  pos_ = 0;
  region_ = Region::Header;
  region_end_ = Proto::kPrefixLen;  // first step: learn the layout
  lay_known_ = false;
  hdr_ok_ = false;
  lay_ = {};
  fields_ = {};
  hcrc_ = crc32c::kInit;
  if (state_ == TrackerState::Tracking) state_ = TrackerState::Offloading;  // a fresh PDU
}

template <class Proto>
void PduFramer<Proto>::plan(uint32_t seq, ByteView payload, PacketPlan& out) {
  out.clear();
  const bool framed = state_ == TrackerState::Offloading || state_ == TrackerState::Tracking;
  out.in_seq = framed && seq == expected_;
  if (payload.empty() || state_ == TrackerState::Disabled) return;
  if (framer_detail::seq_before(seq, expected_)) {
    out.stale = true;
    ++st_.stale;  // bytes already seen (and maybe placed): software's business
    if (rec_.active) {
      out.header_seq = rec_.at;
      out.header_len = scan_header_len();
    }
    if (rec_.active && recover(seq, payload, out)) {
      out.recovered = true;
      out.recovered_seq = pdu_seq_;
      out.recovered_data_off = lay_.data_off;
      out.recovered_crc_len = lay_.data_len + lay_.crc_pad();
    }
    return;
  }
  if (seq != expected_) {
    ++st_.holes;
    if (framed && keep_framing(seq, out)) {
      ++st_.holes_in_data;
    } else {
      if (framed) ++st_.framing_lost;
      lose_framing(seq, payload, out);
      if (state_ == TrackerState::Disabled) return;
    }
  }
  if (state_ == TrackerState::Offloading || state_ == TrackerState::Tracking) {
    out.in_seq = true;
    expected_ += uint32_t(payload.size);
    frame(payload, out);
  } else {
    scan(payload, out);
  }
}

// A gap that ends inside the current PDU (or exactly at its end) leaves framing intact: PLEN
// says where the next header starts. The PDU's remaining data is still placed if its header
// was seen whole; its digest cannot be verified.
template <class Proto>
bool PduFramer<Proto>::keep_framing(uint32_t seq, PacketPlan& out) {
  if (!lay_known_) return false;  // PLEN itself was missed
  const uint64_t at = uint64_t(pos_) + uint32_t(seq - expected_);
  if (at > lay_.plen) return false;
  expected_ = seq;
  if (at == lay_.plen) {  // the next packet starts with the next header
    pdu_ended(out);
    state_ = TrackerState::Offloading;
    begin_pdu(pdu_seq_ + lay_.plen);
    return true;
  }
  state_ = TrackerState::Tracking;
  const bool header_seen = region_ != Region::Header && region_ != Region::HeaderDigest;
  pos_ = uint32_t(at);
  if (!header_seen || region_ == Region::Unframed) {
    region_ = Region::Unframed;  // CID/DATAO unknown: nothing of this PDU is placeable
    region_end_ = lay_.plen;
  } else {
    set_region();
  }
  return true;
}

template <class Proto>
void PduFramer<Proto>::lose_framing(uint32_t seq, ByteView payload, PacketPlan& out) {
  // The next header's position is known when the current PDU's PLEN is: remember it, and
  // take any of its bytes this packet already carries.
  const bool framed = state_ == TrackerState::Offloading || state_ == TrackerState::Tracking;
  if (framed && lay_known_) pdu_ended(out);  // the gap runs past the current PDU's end
  if (framed && lay_known_ && cfg_.recover_headers) {
    rec_ = {};
    rec_.active = true;
    rec_.at = pdu_seq_ + lay_.plen;
  } else if (framed) {
    rec_.active = false;
  }
  if (!cfg_.search) {
    expected_ = seq;  // the stream passed the gap, and with it any completion just reported
    state_ = TrackerState::Disabled;
    return;
  }
  // Chains whose next header lies beyond the gap can still be checked; the rest cannot.
  for (size_t i = 0; i < cands_.size();) {
    if (framer_detail::seq_before(cands_[i].next, seq)) {
      cands_.erase(cands_.begin() + long(i));
      ++st_.candidates_dropped;
    } else {
      ++i;
    }
  }
  if (state_ != TrackerState::ResyncPending || cands_.empty()) state_ = TrackerState::Searching;
  expected_ = seq;
  tail_len_ = 0;
  scan_from_ = seq + cfg_.search_delay_bytes;
  region_ = Region::Unframed;
  if (rec_.active) recover(seq, payload, out);
}

// Looks for PDU headers in an in-order packet while framing is lost. Every position is a
// possible header start; a header split across packets is caught through the kept tail.
template <class Proto>
void PduFramer<Proto>::scan(ByteView payload, PacketPlan& out) {
  const uint32_t hl = scan_header_len();
  const uint32_t base = expected_ - tail_len_;
  window_.resize(tail_len_ + payload.size);
  std::memcpy(window_.data() + tail_len_, payload.data, payload.size);
  expected_ += uint32_t(payload.size);
  out.scanned = uint32_t(payload.size);
  const uint32_t n = uint32_t(window_.size());
  uint32_t o = 0;
  for (; o + hl <= n; ++o) {
    const uint32_t s = base + o;
    uint32_t plen = 0;
    bool predicted = false;
    for (size_t i = 0; i < cands_.size();) {
      Candidate& c = cands_[i];
      if (c.next != s) {
        ++i;
        continue;
      }
      predicted = true;
      if (!plausible(&window_[o], plen)) {  // PLEN led nowhere: a lookalike
        cands_.erase(cands_.begin() + long(i));
        ++st_.candidates_dropped;
        continue;
      }
      c.last = s;
      c.next = s + plen;
      ++c.links;
      c.asked = s;
      out.resync_request = true;
      out.resync_seq = s;
      ++st_.resync_requests;
      state_ = TrackerState::ResyncPending;
      ++i;
    }
    if (predicted || framer_detail::seq_before(s, scan_from_) || !plausible(&window_[o], plen)) continue;
    ++st_.candidates;
    Candidate fresh{s, s, s + plen, 0, 0};
    if (cands_.size() < cfg_.max_candidates) {
      cands_.push_back(fresh);
      continue;
    }
    // Full: an unverified chain waiting longest for its next header makes room.
    auto worst = cands_.end();
    for (auto it = cands_.begin(); it != cands_.end(); ++it)
      if (!it->links && (worst == cands_.end() || framer_detail::seq_before(worst->next, it->next))) worst = it;
    if (worst != cands_.end() && framer_detail::seq_before(fresh.next, worst->next)) {
      *worst = fresh;
      ++st_.candidates_dropped;
    }
  }
  tail_len_ = n - o;
  std::memmove(window_.data(), window_.data() + o, tail_len_);
  window_.resize(tail_len_);
  bool asked = false;
  for (const Candidate& c : cands_) asked |= c.links > 0;
  if (!asked) state_ = TrackerState::Searching;
}

template <class Proto>
bool PduFramer<Proto>::recover(uint32_t seq, ByteView bytes, PacketPlan& out) {
  const uint32_t hl = scan_header_len();
  // The overlap in 64-bit positions relative to the packet: a min/max of serial numbers is not
  // transitive once a pending header is 2^31 from the packet (a long-lived flow gets there).
  const int64_t h = int64_t(int32_t(rec_.at - seq));
  const int64_t lo = std::max<int64_t>(0, h), hi = std::min<int64_t>(int64_t(bytes.size), h + hl);
  for (int64_t o = lo; o < hi; ++o) {
    rec_.bytes[o - h] = bytes.data[o];
    rec_.have |= uint64_t(1) << (o - h);
  }
  if (lo >= hi) return false;
  // Complete only once every byte is in, and only while the header is behind the scan.
  if (rec_.have != (uint64_t(1) << hl) - 1 || framer_detail::seq_before(expected_, rec_.at + hl))
    return false;
  uint32_t plen = 0;
  const bool framed = state_ == TrackerState::Offloading || state_ == TrackerState::Tracking;
  if (framed || !plausible(rec_.bytes, plen)) {
    rec_.active = false;  // not a header after all (or framing came back meanwhile)
    return false;
  }
  const uint32_t at = rec_.at;
  if (framer_detail::seq_before(at + plen, expected_)) {
    // A whole PDU that was passed: its completion, if it is one, still closes its I/O.
    PduLayout passed;
    PduFields f;
    Proto::begin(rec_.bytes, cfg_.cp, cfg_.max_pdu_len, passed);  // plausible: no error
    Proto::fields(rec_.bytes, passed, f);
    if (f.ends_io) out.ended.push_back({f.io_tag, at + plen});
    // The next header was passed too: recover it from a later retransmission.
    rec_ = {};
    rec_.active = true;
    rec_.at = at + plen;
    return recover(seq, bytes, out);
  }
  rec_.active = false;
  ++st_.headers_recovered;
  resume_at(at, rec_.bytes, out);
  return true;
}

// Framing is known again: the PDU whose header (and HDGST) is `hdr` started at `pdu_seq`, and
// the stream has been seen up to expected_. Its remaining data is placed; its digest cannot be
// verified (Tracking until the next PDU).
template <class Proto>
void PduFramer<Proto>::resume_at(uint32_t pdu_seq, const uint8_t* hdr, PacketPlan& out) {
  cands_.clear();
  end_search();
  state_ = TrackerState::Tracking;
  begin_pdu(pdu_seq);
  state_ = TrackerState::Tracking;
  std::memcpy(hdr_, hdr, kStoredHeader);
  Proto::begin(hdr_, cfg_.cp, cfg_.max_pdu_len, lay_);  // plausible: no error
  lay_known_ = true;
  load_fields();
  hdr_ok_ = true;
  pos_ = expected_ - pdu_seq;
  if (pos_ == lay_.plen) {
    pdu_ended(out);
    begin_pdu(pdu_seq + lay_.plen);
    state_ = TrackerState::Offloading;
    return;
  }
  set_region();
}

template <class Proto>
bool PduFramer<Proto>::confirm(uint32_t seq) {
  const bool searching =
      state_ == TrackerState::Searching || state_ == TrackerState::ResyncPending;
  auto c = cands_.begin();
  while (c != cands_.end() && !(c->links && c->asked == seq)) ++c;
  if (!searching || c == cands_.end()) {
    ++st_.resyncs_ignored;
    return false;
  }
  ++st_.resyncs_confirmed;
  const Candidate chain = *c;
  cands_.clear();
  const uint32_t kept = tail_len_;
  tail_len_ = 0;
  state_ = TrackerState::Tracking;
  if (!framer_detail::seq_before(chain.next, expected_)) {
    // Inside the PDU that starts at chain.last: skip to its end, unframed.
    begin_pdu(chain.last);
    state_ = TrackerState::Tracking;
    lay_known_ = true;
    lay_.plen = chain.next - chain.last;
    pos_ = expected_ - chain.last;
    region_ = Region::Unframed;
    region_end_ = lay_.plen;
    if (pos_ == lay_.plen) begin_pdu(chain.next);
    end_search();
    return true;
  }
  // The next header began in the kept tail: parse it from its first byte.
  const uint32_t from = kept - (expected_ - chain.next);
  begin_pdu(chain.next);
  state_ = TrackerState::Tracking;
  // Shorter than any header a host receives, the tail completes no PDU: nothing in it ends
  // a read.
  PacketPlan scratch;
  frame(ByteView(window_.data() + from, kept - from), scratch);
  end_search();
  return true;
}

template <class Proto>
void PduFramer<Proto>::end_search() {
  tail_len_ = 0;
  Bytes().swap(window_);  // a packet's worth per flow, needed only while searching
}

// Walks the payload region by region; bytes of Pad, Data and DataDigest are only counted.
template <class Proto>
void PduFramer<Proto>::frame(ByteView payload, PacketPlan& out) {
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
      std::memcpy(hdgst_ + (pos_ - lay_.hlen), payload.data + off, take);
    }
    emit(out, off, take);
    pos_ += take;
    off += take;
    if (pos_ == region_end_) region_done(out);
  }
}

template <class Proto>
void PduFramer<Proto>::consume_header(const uint8_t* p, uint32_t n) {
  if (pos_ < kStoredHeader) std::memcpy(hdr_ + pos_, p, std::min(n, kStoredHeader - pos_));
  if (Proto::header_digest(cfg_.cp) && cfg_.header_digest_check) hcrc_ = crc32c::update(hcrc_, p, n);
}

template <class Proto>
void PduFramer<Proto>::region_done(PacketPlan& out) {
  switch (region_) {
    case Region::Header:
      if (!lay_known_) {
        lay_known_ = true;
        if (const uint8_t e = Proto::begin(hdr_, cfg_.cp, cfg_.max_pdu_len, lay_))
          return report(out, e, false);
        region_end_ = lay_.hlen;
        if (pos_ < region_end_) return;  // else the prefix was the whole header (iSCSI BHS)
      }
      // Type-specific fields are known now, so HDGST and later segments carry them.
      load_fields();
      if (lay_.hdgst_len) {
        region_ = Region::HeaderDigest;
        region_end_ = lay_.hlen + lay_.hdgst_len;
        return;
      }
      break;
    case Region::HeaderDigest: break;
    default: return enter_region(out);  // Unframed included: its end is the PDU's end
  }
  // Header (and HDGST) complete. A corrupt header explains any inconsistency inside it, so
  // the digest is judged first.
  uint8_t e = 0;
  bool hdgst_ok = false;
  if (lay_.hdgst_len && cfg_.header_digest_check) {
    hdgst_ok = crc32c::finish(hcrc_) == ld_le32(hdgst_);
    if (!hdgst_ok) e = Proto::kBadHeaderDigest;
  }
  if (!e) e = Proto::check(hdr_, lay_);
  report(out, e, hdgst_ok);
  hdr_ok_ = !e;
  if (hdr_ok_) enter_region(out);
}

// Every header is reported once: when it completes, or when it fails. A failed header makes
// PLEN untrustworthy, so the rest of the stream is unframed.
template <class Proto>
void PduFramer<Proto>::report(PacketPlan& out, uint8_t err, bool hdgst_ok) {
  PduInfo& i = out.headers.emplace_back();
  i.seq = pdu_seq_;
  i.opcode = lay_.opcode;
  i.flags = lay_.flags;
  i.plen = lay_.plen;
  i.io_tag = fields_.io_tag;
  i.buf_off = fields_.buf_off;
  i.data_len = lay_.data_len;
  i.err = err;
  i.hdgst_ok = hdgst_ok;
  if (err) {
    state_ = TrackerState::Disabled;
    region_ = Region::Unframed;
  }
}

template <class Proto>
void PduFramer<Proto>::enter_region(PacketPlan& out) {
  if (pos_ < lay_.plen && region_ != Region::Unframed) return set_region();
  if (pos_ < lay_.plen) return;
  if (!out.segs.empty()) out.segs.back().completes_pdu = true;  // the PDU's last byte
  pdu_ended(out);
  begin_pdu(pdu_seq_ + lay_.plen);
}

template <class Proto>
void PduFramer<Proto>::pdu_ended(PacketPlan& out) const {
  if (hdr_ok_ && fields_.ends_io) out.ended.push_back({fields_.io_tag, pdu_seq_ + lay_.plen});
}

template <class Proto>
void PduFramer<Proto>::set_region() {
  const uint32_t data_end = lay_.data_off + lay_.data_len;
  if (pos_ < lay_.data_off) {
    region_ = Region::Pad;
    region_end_ = lay_.data_off;
  } else if (pos_ < data_end) {
    region_ = Region::Data;
    region_end_ = data_end;
  } else if (pos_ < lay_.plen - lay_.ddgst_len) {  // a pad after the data (iSCSI)
    region_ = Region::Pad;
    region_end_ = lay_.plen - lay_.ddgst_len;
  } else {
    region_ = Region::DataDigest;
    region_end_ = lay_.plen;
  }
}

template <class Proto>
void PduFramer<Proto>::load_fields() {
  Proto::fields(hdr_, lay_, fields_);
}

template <class Proto>
void PduFramer<Proto>::emit(PacketPlan& out, uint32_t off, uint32_t len) const {
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
  s.opcode = lay_.opcode;
  s.flags = lay_.flags;
  s.placeable = fields_.placeable;
  s.io_tag = fields_.io_tag;
  s.off = off;
  s.len = len;
  s.pdu_seq = pdu_seq_;
  s.pdu_off = pos_;
  s.buf_off = region_ == Region::Data ? fields_.buf_off + (pos_ - lay_.data_off) : 0;
  s.data_off = lay_.data_off;
  s.data_len = lay_.data_len;
  s.crc_pad = uint8_t(lay_.crc_pad());
  s.ddgst = lay_.ddgst_len != 0;
}

}  // namespace nic::hw
