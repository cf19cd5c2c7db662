#include "tb/closed_loop/tcp_peer.hpp"

#include <algorithm>

namespace nic::loop {

TcpPeer::TcpPeer(const net::FrameSpec& spec, uint32_t isn, const tcp::TcpSenderParams& p,
                 uint64_t delack_ps)
    // Until the peer's SYN says otherwise, an unscaled window.
    : spec_(spec), isn_(isn), tx_(p, 65535), acks_(tcp::AckPolicyParams{p.mss, delack_ps}) {}

void TcpPeer::write(ByteView bytes) {
  if (held() == 0) {
    const size_t n = tx_.write(bytes);
    if (n == bytes.size) return;
    bytes = bytes.sub(n);
  }
  held_.insert(held_.end(), bytes.begin(), bytes.end());
}

void TcpPeer::refill() {
  if (!held()) return;
  held_head_ += tx_.write(ByteView(held_.data() + held_head_, held()));
  if (held_head_ == held_.size()) {
    held_.clear();
    held_head_ = 0;
  }
}

Bytes TcpPeer::syn() const {
  net::FrameSpec s = spec_;
  s.seq = isn_;
  s.ack = have_peer_ ? peer_isn_ + 1 : 0;
  s.flags = net::tcpflag::SYN | (have_peer_ ? net::tcpflag::ACK : 0);
  s.window = 65535;  // unscaled in a SYN
  s.opts.mss = uint16_t(std::min<uint32_t>(tx_.params().mss, 65535));
  s.opts.wscale = kWindowScale;
  s.opts.sack_permitted = true;
  return net::build_frame(s, {});
}

Bytes TcpPeer::frame(const tcp::Seg* seg, const RxView& rx) {
  net::FrameSpec& s = spec_;
  s.flags = net::tcpflag::ACK;
  s.ack = rx.rcv_nxt;
  s.window = uint16_t(std::min<uint32_t>(rx.window >> kWindowScale, 65535));
  s.ip_id = ip_id_++;
  s.opts = {};
  // Without timestamps four blocks fit the 40 bytes of options (2 + 4 x 8), as Linux sends.
  for (size_t i = 0; i < rx.sack.size() && i < kMaxSackBlocks; ++i) s.opts.sack.push_back(rx.sack[i]);
  ++frames_;
  if (!seg) {
    s.seq = seq_of(tx_.snd_nxt());
    ++pure_acks_;
    return net::build_frame(s, {});
  }
  if (seg->window_probe) {
    // Old data's sequence: the peer answers with an ACK that carries its window.
    s.seq = seq_of(seg->offset) - 1;
    return net::build_frame(s, {});
  }
  s.seq = seq_of(seg->offset);
  if (seg->offset + seg->len == tx_.written() && !held()) s.flags |= net::tcpflag::PSH;
  return net::build_frame(s, tx_.bytes(seg->offset, seg->len));
}

void TcpPeer::on_peer_frame(const net::ParsedFrame& pf, uint64_t now_ps) {
  if (!(pf.tcp_flags & net::tcpflag::ACK)) return;
  // Offsets near snd_una: an ACK never moves further than 2^31 bytes from it.
  const uint64_t una = tx_.snd_una();
  const auto off = [&](uint32_t seq) {
    const int64_t d = int32_t(seq - seq_of(una));
    return d < 0 && uint64_t(-d) > una ? 0 : uint64_t(int64_t(una) + d);
  };
  sack_scratch_.clear();
  for (const auto& [l, r] : pf.opts.sack) sack_scratch_.emplace_back(off(l), off(r));
  const bool syn = pf.tcp_flags & net::tcpflag::SYN;  // a SYN's window is never scaled
  tx_.on_ack(off(pf.ack), uint64_t(pf.window) << (syn ? 0 : kWindowScale), sack_scratch_, now_ps,
             pf.payload_len > 0);
  refill();
}

uint64_t TcpPeer::peer_offset(uint32_t seq, uint64_t rcv_nxt_off) const {
  const int64_t d = int32_t(seq - peer_seq(rcv_nxt_off));
  return d < 0 && uint64_t(-d) > rcv_nxt_off ? 0 : uint64_t(int64_t(rcv_nxt_off) + d);
}

}  // namespace nic::loop
