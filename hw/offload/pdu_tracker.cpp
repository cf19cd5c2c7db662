#include "hw/offload/pdu_tracker.hpp"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "proto/crc32c.hpp"

namespace nic::hw {

TrackerStats& TrackerStats::operator+=(const TrackerStats& o) {
  for (auto [mine, theirs] : {
           std::pair{&holes, o.holes}, {&holes_in_data, o.holes_in_data},
           {&framing_lost, o.framing_lost}, {&stale, o.stale}, {&candidates, o.candidates},
           {&candidates_dropped, o.candidates_dropped}, {&resync_requests, o.resync_requests},
           {&resyncs_confirmed, o.resyncs_confirmed}, {&resyncs_ignored, o.resyncs_ignored},
           {&headers_recovered, o.headers_recovered}})
    *mine += theirs;
  return *this;
}

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

namespace {
// TCP sequence order, modulo 2^32.
bool seq_before(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }

// The command a header names (C2HData and R2T CCCID, CapsuleResp CID), 0 for other types.
uint16_t header_cid(PduType type, const uint8_t* hdr) {
  switch (type) {
    case PduType::C2HData:
    case PduType::R2T: return ld_le16(hdr + 8);
    case PduType::CapsuleResp: return ld_le16(hdr + 20);
    default: return 0;
  }
}

// A PDU whose end completes its read: a CapsuleResp, or a C2HData with SUCCESS.
bool ends_read(const nvme::CommonHeader& ch) {
  return ch.type == PduType::CapsuleResp ||
         (ch.type == PduType::C2HData && (ch.flags & nvme::pduflag::SUCCESS));
}
}  // namespace

void PduTracker::start(uint32_t next_pdu_seq, const TrackerConfig& cfg) {
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

void PduTracker::begin_pdu(uint32_t seq) {
  pdu_seq_ = seq;
  pos_ = 0;
  region_ = Region::Header;
  region_end_ = nvme::kCommonHeaderLen;  // first step: learn HLEN/PLEN
  ch_known_ = false;
  hdr_ok_ = false;
  ch_ = {};
  lay_ = {};
  cid_ = 0;
  datao_ = datal_ = 0;
  hcrc_ = crc32c::kInit;
  if (state_ == TrackerState::Tracking) state_ = TrackerState::Offloading;  // a fresh PDU
}

void PduTracker::plan(uint32_t seq, ByteView payload, PacketPlan& out) {
  out.clear();
  const bool framed = state_ == TrackerState::Offloading || state_ == TrackerState::Tracking;
  out.in_seq = framed && seq == expected_;
  if (payload.empty() || state_ == TrackerState::Disabled) return;
  if (seq_before(seq, expected_)) {
    out.stale = true;
    ++st_.stale;  // bytes already seen (and maybe placed): software's business
    if (rec_.active) {
      out.header_seq = rec_.at;
      out.header_len = scan_header_len();
    }
    if (rec_.active && recover(seq, payload, out)) {
      out.recovered = true;
      out.recovered_seq = pdu_seq_;
      out.recovered_data_off = lay_.data_offset;
      out.recovered_data_len = lay_.data_len;
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
bool PduTracker::keep_framing(uint32_t seq, PacketPlan& out) {
  if (!ch_known_) return false;  // PLEN itself was missed
  const uint64_t at = uint64_t(pos_) + uint32_t(seq - expected_);
  if (at > ch_.plen) return false;
  expected_ = seq;
  if (at == ch_.plen) {  // the next packet starts with the next header
    pdu_ended(out);
    state_ = TrackerState::Offloading;
    begin_pdu(pdu_seq_ + ch_.plen);
    return true;
  }
  state_ = TrackerState::Tracking;
  const bool header_seen = region_ != Region::Header && region_ != Region::HeaderDigest;
  pos_ = uint32_t(at);
  if (!header_seen || region_ == Region::Unframed) {
    region_ = Region::Unframed;  // CID/DATAO unknown: nothing of this PDU is placeable
    region_end_ = ch_.plen;
  } else {
    set_region();
  }
  return true;
}

void PduTracker::lose_framing(uint32_t seq, ByteView payload, PacketPlan& out) {
  // The next header's position is known when the current PDU's PLEN is: remember it, and
  // take any of its bytes this packet already carries.
  const bool framed = state_ == TrackerState::Offloading || state_ == TrackerState::Tracking;
  if (framed && ch_known_) pdu_ended(out);  // the gap runs past the current PDU's end
  if (framed && ch_known_ && cfg_.recover_headers) {
    rec_ = {};
    rec_.active = true;
    rec_.at = pdu_seq_ + ch_.plen;
  } else if (framed) {
    rec_.active = false;
  }
  if (!cfg_.search) {
    state_ = TrackerState::Disabled;
    return;
  }
  // Chains whose next header lies beyond the gap can still be checked; the rest cannot.
  for (size_t i = 0; i < cands_.size();) {
    if (seq_before(cands_[i].next, seq)) {
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
void PduTracker::scan(ByteView payload, PacketPlan& out) {
  const uint32_t hl = scan_header_len();
  const uint32_t base = expected_ - tail_len_;
  window_.resize(tail_len_ + payload.size);
  std::memcpy(window_.data() + tail_len_, payload.data, payload.size);
  expected_ += uint32_t(payload.size);
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
    if (predicted || seq_before(s, scan_from_) || !plausible(&window_[o], plen)) continue;
    ++st_.candidates;
    Candidate fresh{s, s, s + plen, 0, 0};
    if (cands_.size() < cfg_.max_candidates) {
      cands_.push_back(fresh);
      continue;
    }
    // Full: an unverified chain waiting longest for its next header makes room.
    auto worst = cands_.end();
    for (auto it = cands_.begin(); it != cands_.end(); ++it)
      if (!it->links && (worst == cands_.end() || seq_before(worst->next, it->next))) worst = it;
    if (worst != cands_.end() && seq_before(fresh.next, worst->next)) {
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

bool PduTracker::recover(uint32_t seq, ByteView bytes, PacketPlan& out) {
  const uint32_t hl = scan_header_len();
  const uint32_t lo = seq_before(seq, rec_.at) ? rec_.at : seq;
  const uint32_t end = seq + uint32_t(bytes.size);
  const uint32_t hi = seq_before(rec_.at + hl, end) ? rec_.at + hl : end;
  if (!seq_before(lo, hi)) return false;
  for (uint32_t s = lo; s != hi; ++s) {
    rec_.bytes[s - rec_.at] = bytes.data[s - seq];
    rec_.have |= 1u << (s - rec_.at);
  }
  // Complete only once every byte is in, and only while the header is behind the scan.
  if (rec_.have != (1u << hl) - 1 || seq_before(expected_, rec_.at + hl)) return false;
  uint32_t plen = 0;
  const bool framed = state_ == TrackerState::Offloading || state_ == TrackerState::Tracking;
  if (framed || !plausible(rec_.bytes, plen)) {
    rec_.active = false;  // not a header after all (or framing came back meanwhile)
    return false;
  }
  const uint32_t at = rec_.at;
  if (seq_before(at + plen, expected_)) {
    // A whole PDU that was passed: its completion, if it is one, still closes its read.
    const nvme::CommonHeader passed = nvme::CommonHeader::decode(rec_.bytes);
    if (ends_read(passed)) out.ended.push_back({header_cid(passed.type, rec_.bytes), at + plen});
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
void PduTracker::resume_at(uint32_t pdu_seq, const uint8_t* hdr, PacketPlan& out) {
  cands_.clear();
  end_search();
  state_ = TrackerState::Tracking;
  begin_pdu(pdu_seq);
  state_ = TrackerState::Tracking;
  std::memcpy(hdr_, hdr, kStoredHeader);
  ch_ = nvme::CommonHeader::decode(hdr_);
  ch_known_ = true;
  lay_ = nvme::layout_of(ch_);
  load_fields();
  hdr_ok_ = true;
  pos_ = expected_ - pdu_seq;
  if (pos_ == ch_.plen) {
    pdu_ended(out);
    begin_pdu(pdu_seq + ch_.plen);
    state_ = TrackerState::Offloading;
    return;
  }
  set_region();
}

bool PduTracker::plausible(const uint8_t* h, uint32_t& plen) const {
  // Only what a host receives after the IC exchange, with the one HLEN a host accepts.
  const uint8_t t = h[0];
  if ((t != 0x03 && t != 0x05 && t != 0x07 && t != 0x09) || h[2] != 24) return false;
  const nvme::CommonHeader ch = nvme::CommonHeader::decode(h);
  if (nvme::validate_header(ch, cfg_.cp) != PduError::None || ch.plen > cfg_.max_pdu_len)
    return false;
  if (ch.type == PduType::C2HData && ld_le32(h + 16) != nvme::layout_of(ch).data_len) return false;
  if (ch.hdgst() && crc32c::compute(h, 24) != ld_le32(h + 24)) return false;
  plen = ch.plen;
  return true;
}

bool PduTracker::confirm(uint32_t seq) {
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
  if (!seq_before(chain.next, expected_)) {
    // Inside the PDU that starts at chain.last: skip to its end, unframed.
    begin_pdu(chain.last);
    state_ = TrackerState::Tracking;
    ch_known_ = true;
    ch_.plen = chain.next - chain.last;
    pos_ = expected_ - chain.last;
    region_ = Region::Unframed;
    region_end_ = ch_.plen;
    if (pos_ == ch_.plen) begin_pdu(chain.next);
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

void PduTracker::end_search() {
  tail_len_ = 0;
  Bytes().swap(window_);  // a packet's worth per flow, needed only while searching
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
      load_fields();
      if (lay_.hdgst_len) {
        region_ = Region::HeaderDigest;
        region_end_ = ch_.hlen + lay_.hdgst_len;
        return;
      }
      break;
    case Region::HeaderDigest: break;
    default: return enter_region(out);  // Unframed included: its end is the PDU's end
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
  hdr_ok_ = e == PduError::None;
  if (hdr_ok_) enter_region(out);
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
  if (pos_ < ch_.plen && region_ != Region::Unframed) return set_region();
  if (pos_ < ch_.plen) return;
  if (!out.segs.empty()) out.segs.back().completes_pdu = true;  // the PDU's last byte
  pdu_ended(out);
  begin_pdu(pdu_seq_ + ch_.plen);
}

void PduTracker::pdu_ended(PacketPlan& out) const {
  if (hdr_ok_ && ends_read(ch_)) out.ended.push_back({cid_, pdu_seq_ + ch_.plen});
}

void PduTracker::set_region() {
  const uint32_t data_end = lay_.data_offset + lay_.data_len;
  if (pos_ < lay_.data_offset) {
    region_ = Region::Pad;
    region_end_ = lay_.data_offset;
  } else if (pos_ < data_end) {
    region_ = Region::Data;
    region_end_ = data_end;
  } else {
    region_ = Region::DataDigest;
    region_end_ = ch_.plen;
  }
}

void PduTracker::load_fields() {
  cid_ = header_cid(ch_.type, hdr_);
  if (ch_.type == PduType::C2HData) {
    datao_ = ld_le32(hdr_ + 12);
    datal_ = ld_le32(hdr_ + 16);
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
  s.data_off = lay_.data_offset;
  s.data_len = lay_.data_len;
}

}  // namespace nic::hw
