#include "tb/replay/TraceFeeder.hpp"

#include <algorithm>

#include "util/bytes.hpp"
#include "proto/net.hpp"

namespace nic::tb {

using namespace sc_core;

namespace {
// Whether the frame is TCP to an NVMe port; anything unparsable goes to the NIC, which will
// count it.
bool host_sent(const Bytes& f, const net::PortList& ports) {
  uint16_t sport = 0, dport = 0;
  return net::peek_tcp_ports(f, sport, dport) && ports.has(dport);
}
}  // namespace

TraceFeeder::TraceFeeder(sc_module_name name, pcap::Reader& reader, hw::PacketPool& pool,
                         const FeederParams& params, PacketSink to_driver, PacketSink on_record)
    : sc_module(name), reader_(reader), pool_(pool), p_(params), to_driver_(std::move(to_driver)),
      on_record_(std::move(on_record)) {
  SC_HAS_PROCESS(TraceFeeder);
  SC_METHOD(pump);
  sensitive << pump_ev_;
}

bool TraceFeeder::read_one() {
  if (eof_) return false;
  // No exception here: thrown inside a SystemC process it would end the run with SystemC's
  // own report (and unwinding a coroutine stack misleads AddressSanitizer); the caller
  // decides what a broken trace means.
  eof_ = !reader_.try_next(scratch_, error_);
  if (eof_) return false;
  ++st_.records;
  // A record shorter than its frame (the capture's snap length) keeps its wire length, for
  // throughput and the timeline; its missing bytes cannot be replayed.
  const uint64_t wire_len = std::max<uint64_t>(scratch_.orig_len, scratch_.data.size());
  if (wire_len > scratch_.data.size()) ++st_.cut_records;
  if (p_.fix_checksums && net::fix_checksums(scratch_.data)) ++st_.checksums_fixed;
  const bool to_driver = host_sent(scratch_.data, p_.target_ports);
  const size_t pieces = to_driver ? 0 : split(scratch_.data);
  // The reference decode gets the record whole (checksums aside, see split()): only the MAC
  // sees the pieces.
  if (on_record_) on_record_(scratch_);
  if (!have_first_) {
    have_first_ = true;
    first_ns_ = scratch_.ts_ns;
    st_.first_ts_ns = scratch_.ts_ns;
  }
  st_.last_ts_ns = scratch_.ts_ns;
  const uint64_t rel_ps = (scratch_.ts_ns >= first_ns_ ? scratch_.ts_ns - first_ns_ : 0) * 1000 +
                          start_ps();
  if (to_driver) {
    ++st_.to_driver;
    const uint64_t at = p_.honour_timestamps ? rel_ps : virtual_ps_;
    read_up_to_ps_ = at;
    tx_.push_back({at > lead_ps() ? at - lead_ps() : 0, std::move(scratch_)});
    scratch_ = {};
    scratch_.data = spare_.take();  // the next record goes into a buffer with room already
    pump_ev_.notify(clk_ ? clk_->lead() : SC_ZERO_TIME);
    return true;
  }
  if (!pieces) {
    net::ParsedFrame pf;
    if (wire_len > scratch_.data.size() &&
        net::parse_frame(scratch_.data, pf, false) != net::ParseError::None)
      ++st_.cut_not_tcp;
    to_mac(scratch_.data, rel_ps, wire_len);
    return true;
  }
  // The pieces go back to back at the line rate, the last ending when the whole frame would
  // have: the wire time of their extra headers comes before the frame's timestamp, unless
  // that is before the frame ahead of them or the trace's start.
  uint64_t total = 0;
  for (size_t i = 0; i < pieces; ++i) total += wire_ps(pieces_[i].size());
  const uint64_t end = rel_ps + wire_ps(wire_len);
  uint64_t at = std::max(end > total ? end - total : 0, last_rx_ps_);
  for (size_t i = 0; i < pieces; ++i) {
    const uint64_t len = pieces_[i].size();
    to_mac(pieces_[i], at, len);
    at += wire_ps(len);
  }
  return true;
}

size_t TraceFeeder::split(Bytes& frame) {
  const bool oversize = frame.size() > p_.max_frame_bytes;
  uint16_t sport = 0, dport = 0;
  if (oversize && net::peek_tcp_ports(frame, sport, dport) && p_.target_ports.has(sport)) {
    ++st_.oversize_frames;
    st_.oversize_longest = std::max<uint64_t>(st_.oversize_longest, frame.size());
  }
  if (!p_.split_gso || (!oversize && !p_.gso_mss)) return 0;
  net::ParsedFrame pf;
  if (net::parse_frame(frame, pf, false) != net::ParseError::None ||
      pf.payload_offset >= p_.max_frame_bytes)
    return 0;
  const uint32_t fits = uint32_t(p_.max_frame_bytes - pf.payload_offset);
  const uint32_t mss = std::min(p_.gso_mss ? p_.gso_mss : net::gso_default_mss(pf), fits);
  if (!oversize && pf.payload_len <= mss) return 0;
  const size_t n = net::split_tcp_frame(frame, mss, pieces_);
  if (!n) return 0;
  ++st_.gso_frames_split;
  st_.gso_pieces += n;
  // A super-frame's checksums never were the wire's (TSO leaves them partial, GRO stale); the
  // pieces' are computed, and the record the reference decodes gets them right as well.
  net::fix_checksums(frame);
  return n;
}

void TraceFeeder::to_mac(Bytes& frame, uint64_t ts_ps, uint64_t wire_len) {
  ++st_.to_nic;
  st_.bytes_to_nic += frame.size();
  st_.wire_bytes_to_nic += wire_len;
  hw::PacketCtx* p = pool_.get();
  p->reset();
  p->index = scratch_.index;
  p->frame.swap(frame);  // the context's old buffer takes the next record or piece
  if (wire_len > p->frame.size()) p->wire_len = uint32_t(wire_len);
  rx_.push_back(p);
  rx_ts_.push_back(ts_ps);
  last_rx_ps_ = ts_ps;
  read_up_to_ps_ = p_.honour_timestamps ? ts_ps : virtual_ps_;
  virtual_ps_ += wire_ps(wire_len);
}

hw::PacketCtx* TraceFeeder::next_rx(uint64_t& ts_ps) {
  while (rx_.empty() && read_one()) {
  }
  if (rx_.empty()) return nullptr;
  hw::PacketCtx* p = rx_.front();
  ts_ps = rx_ts_.front();
  rx_.pop_front();
  rx_ts_.pop_front();
  return p;
}

void TraceFeeder::pump() {
  const uint64_t now = sc_time_stamp().value();
  while (!eof_ && read_up_to_ps_ <= now + lead_ps()) read_one();
  while (!tx_.empty() && tx_.front().due_ps <= now) {
    to_driver_(tx_.front().pkt);
    spare_.give(std::move(tx_.front().pkt.data));
    tx_.pop_front();
  }
  uint64_t next = UINT64_MAX;
  if (!tx_.empty()) next = tx_.front().due_ps;
  if (!eof_) next = std::min(next, read_up_to_ps_ > lead_ps() ? read_up_to_ps_ - lead_ps() : now);
  if (next != UINT64_MAX) pump_ev_.notify(sc_time::from_value(std::max(next, now + 1) - now));
}

}  // namespace nic::tb
