// One end of a closed-loop TCP connection on the wire: its addresses and initial sequence
// number, its sender (tb/tcp: congestion window, SACK, RTO) and ACK policy, and the framing of
// what it sends. What it has received is someone else's to keep (the host driver's receive
// queue, or the controller's reassembler): frames carry the receive view they are given.
// Stream offsets (tb/tcp) map to sequence numbers here, in both directions. Plain C++.
#pragma once
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "proto/net.hpp"
#include "tb/tcp/ack_policy.hpp"
#include "tb/tcp/tcp_sender.hpp"
#include "util/bytes.hpp"

namespace nic::loop {

// What a frame says about the receive side of its sender: the next byte expected, the
// blocks held beyond it (most recent first), the window offered from rcv_nxt in bytes.
struct RxView {
  uint32_t rcv_nxt = 0;
  std::vector<std::pair<uint32_t, uint32_t>> sack;  // [left, right) sequence edges
  uint32_t window = 0;
};

class TcpPeer {
 public:
  static constexpr int kWindowScale = 7;  // both ends: a 16-bit field times 128, up to 8 MiB
  static constexpr size_t kMaxSackBlocks = 4;

  // `spec`: addresses and tags of every frame this end sends (tuple = this end -> peer).
  TcpPeer(const net::FrameSpec& spec, uint32_t isn, const tcp::TcpSenderParams& p,
          uint64_t delack_ps);

  // The handshake: SYN (or SYN-ACK when the peer's SYN is known) with MSS, window scale and
  // SACK-permitted.
  Bytes syn() const;
  // The peer's SYN (or SYN-ACK) arrived: its stream starts at peer_isn + 1.
  void peer_syn(uint32_t peer_isn) {
    peer_isn_ = peer_isn;
    have_peer_ = true;
  }
  bool have_peer() const { return have_peer_; }
  uint32_t peer_first_seq() const { return peer_isn_ + 1; }

  tcp::TcpSender& tx() { return tx_; }
  const tcp::TcpSender& tx() const { return tx_; }
  // The application's bytes: into the send buffer, or, while it is full, held here in order
  // until acknowledgements make room (a blocking send, as the kernel's write_space wake-up).
  void write(ByteView bytes);
  uint64_t held() const { return held_.size() - held_head_; }
  tcp::AckPolicy& acks() { return acks_; }

  // A frame carrying segment `s` of this end's stream, or a pure ACK when `s` is null, with
  // `rx` as its ACK, SACK blocks and window.
  Bytes frame(const tcp::Seg* s, const RxView& rx);
  // The ACK fields of a frame from the peer: to the sender.
  void on_peer_frame(const net::ParsedFrame& pf, uint64_t now_ps);
  // Stream offset of the peer's byte at `seq`, near `rcv_nxt_off` (the receiver's offset).
  uint64_t peer_offset(uint32_t seq, uint64_t rcv_nxt_off) const;
  uint32_t peer_seq(uint64_t offset) const { return peer_isn_ + 1 + uint32_t(offset); }
  const net::FiveTuple& tuple() const { return spec_.tuple; }
  uint64_t frames_sent() const { return frames_; }
  uint64_t pure_acks() const { return pure_acks_; }

 private:
  uint32_t seq_of(uint64_t off) const { return isn_ + 1 + uint32_t(off); }

  net::FrameSpec spec_;
  const uint32_t isn_;
  tcp::TcpSender tx_;
  tcp::AckPolicy acks_;
  uint32_t peer_isn_ = 0;
  bool have_peer_ = false;
  uint16_t ip_id_ = 0;
  uint64_t frames_ = 0, pure_acks_ = 0;
  void refill();

  tcp::SackBlocks sack_scratch_;
  Bytes held_;  // written by the application, not yet taken by the send buffer, from held_head_
  size_t held_head_ = 0;
};

}  // namespace nic::loop
