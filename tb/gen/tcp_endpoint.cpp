#include "tb/gen/tcp_endpoint.hpp"

#include <algorithm>
#include <stdexcept>

#include "tb/gen/config.hpp"

namespace nic::gen {

namespace {

constexpr uint64_t kDelayedAckPs = 40'000'000;  // 40 us: a datacenter-tuned delayed ACK
constexpr uint16_t kSynWindow = 64240;
constexpr int kWindowScale = 7;
constexpr uint16_t kWindow = 0x0800;  // 256 KiB once scaled; flow control is not modelled
constexpr size_t kTcpChecksumOffset = 16;

}  // namespace

TcpEndpoint::TcpEndpoint(const GenConfig& cfg, const EndpointAddr& self,
                         const EndpointAddr& peer, uint32_t isn, uint32_t ts_base,
                         uint16_t ip_id)
    : isn_(isn), ts_base_(ts_base), seg_payload_(cfg.segment_payload()),
      mss_(uint16_t(cfg.effective_mss())) {
  spec_.src_mac = self.mac;
  spec_.dst_mac = peer.mac;
  spec_.vlan_tci = cfg.vlan_tags();  // priority 0, so the TCI is the VLAN ID
  spec_.outer_tag_is_qinq = cfg.qinq;
  spec_.tuple = {self.ip, peer.ip, self.port, peer.port};
  spec_.ip_id = ip_id;
  spec_.opts.has_timestamps = cfg.tcp_timestamps;
}

void TcpEndpoint::open(uint64_t at_ps) {
  syn_at_ = at_ps;
  active_ = true;
}

std::optional<uint64_t> TcpEndpoint::ready() const {
  std::optional<uint64_t> r = syn_at_;
  auto consider = [&r](uint64_t t) { r = r ? std::min(*r, t) : t; };
  if (peer_syn_ && tx_.unsent()) consider(tx_.ready_for(seg_payload_));
  if (ack_at_) consider(*ack_at_);
  return r;
}

Segment TcpEndpoint::take(uint64_t now_ps) {
  Segment s;
  if (syn_at_ && *syn_at_ <= now_ps) {
    syn_at_.reset();
    s.seq = isn_;
    s.flags = net::tcpflag::SYN;
    return s;
  }
  if (peer_syn_ && tx_.unsent() && tx_.ready_for(seg_payload_) <= now_ps) {
    s = tx_.take(seg_payload_);
  } else {
    s.offset = tx_.sent();  // pure ACK at snd_nxt
  }
  s.seq = isn_ + 1 + uint32_t(s.offset);
  return s;
}

Bytes TcpEndpoint::frame(const Segment& seg, uint64_t now_ps, bool bad_checksum, bool ip_options) {
  net::FrameSpec s = spec_;
  // Router Alert, then NOPs and end of list: options a receiver has to step over.
  if (ip_options) s.ipv4_options = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};
  s.seq = seg.seq;
  s.flags = seg.flags;
  if (peer_syn_) {
    s.flags |= net::tcpflag::ACK;
    s.ack = peer_isn_ + 1 + uint32_t(rx_.next());
    acked_ = rx_.next();
    ack_at_.reset();
  }
  const bool syn = seg.flags & net::tcpflag::SYN;
  s.window = syn ? kSynWindow : kWindow;
  if (syn) {
    s.opts.mss = mss_;
    s.opts.wscale = kWindowScale;
    s.opts.sack_permitted = true;
  }
  if (s.opts.has_timestamps) {
    s.opts.ts_val = tsval(now_ps);
    s.opts.ts_ecr = peer_syn_ ? peer_tsval_ : 0;
  }
  ++spec_.ip_id;
  Bytes f = net::build_frame(s, seg.payload);
  if (bad_checksum) {
    net::ParsedFrame pf;
    if (net::parse_frame(f, pf) != net::ParseError::None)
      throw std::logic_error("gen: built frame does not parse");
    // Not 0xFFFF: flipping every bit would give the equivalent one's-complement zero.
    f[pf.l4_offset + kTcpChecksumOffset] ^= 0x5A;
    f[pf.l4_offset + kTcpChecksumOffset + 1] ^= 0xA5;
  }
  return f;
}

void TcpEndpoint::receive(const Segment& seg, uint32_t peer_tsval, uint64_t end_ps) {
  peer_tsval_ = peer_tsval;
  if (seg.flags & net::tcpflag::SYN) {
    peer_syn_ = true;
    peer_isn_ = seg.seq;
    if (active_) ack_by(end_ps);  // handshake's third segment
    else syn_at_ = end_ps;        // answer with SYN-ACK
    return;
  }
  if (seg.payload.empty()) return;
  const auto arrival = rx_.add(seg.offset, seg.payload.size());
  // Immediate ACK for anything out of order (dup ACKs) and every second full segment;
  // otherwise a delayed ACK that outgoing data usually carries first.
  if (arrival != RecvTracker::Arrival::InOrder || rx_.next() - acked_ >= 2ull * seg_payload_)
    ack_by(end_ps);
  else if (!ack_at_)
    ack_at_ = end_ps + kDelayedAckPs;
}

void TcpEndpoint::ack_by(uint64_t at_ps) { ack_at_ = ack_at_ ? std::min(*ack_at_, at_ps) : at_ps; }

uint32_t TcpEndpoint::tsval(uint64_t now_ps) const {
  return ts_base_ + uint32_t(now_ps / 1'000'000);  // 1 us ticks
}

}  // namespace nic::gen
