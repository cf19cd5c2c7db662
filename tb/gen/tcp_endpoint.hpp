// One end of a generated TCP connection: handshake, sequence and acknowledgement numbers,
// delayed/immediate ACK policy, the timestamps option, and framing of its segments.
// It knows nothing about NVMe; the connection feeds it bytes and reads what arrived.
#pragma once
#include <cstdint>
#include <optional>

#include "proto/net.hpp"
#include "tb/gen/tcp_stream.hpp"

namespace nic::gen {

struct GenConfig;

struct EndpointAddr {
  net::MacAddr mac{};
  net::IpAddr ip;
  uint16_t port = 0;
};

class TcpEndpoint {
 public:
  TcpEndpoint(const GenConfig& cfg, const EndpointAddr& self, const EndpointAddr& peer,
              uint32_t isn, uint32_t ts_base, uint16_t ip_id);

  void open(uint64_t at_ps);  // active open: SYN at `at_ps`
  void write(ByteView bytes, uint64_t ready_ps) { tx_.append(bytes, ready_ps); }

  // Earliest time a segment (SYN, data or pure ACK) may leave, if any is pending.
  std::optional<uint64_t> ready() const;
  bool has_unsent_data() const { return tx_.unsent() != 0; }
  size_t unsent() const { return tx_.unsent(); }
  uint64_t written() const { return tx_.written(); }  // stream offset of the next write
  // The segment to send at `now_ps` (ready() <= now_ps).
  Segment take(uint64_t now_ps);
  // Ethernet frame for `seg` sent at `now_ps`, carrying the current ACK; a frame with a bad
  // checksum still updates sender state (it did leave this host).
  Bytes frame(const Segment& seg, uint64_t now_ps, bool bad_checksum, bool ip_options = false);
  // The peer's segment, sent with timestamp value `peer_tsval`, fully arrived at `end_ps`.
  void receive(const Segment& seg, uint32_t peer_tsval, uint64_t end_ps);

  uint32_t tsval(uint64_t now_ps) const;
  uint64_t received() const { return rx_.next(); }  // in-order stream bytes from the peer
  bool established() const { return peer_syn_; }
  uint32_t isn() const { return isn_; }
  const net::FiveTuple& tuple() const { return spec_.tuple; }
  const net::FrameSpec& spec() const { return spec_; }

 private:
  void ack_by(uint64_t at_ps);

  net::FrameSpec spec_;  // addresses, tags and options shared by every frame
  TcpSender tx_;
  RecvTracker rx_;
  uint32_t isn_;
  uint32_t ts_base_;
  uint32_t seg_payload_;
  uint16_t mss_;
  bool active_ = false;  // this side sent the first SYN
  std::optional<uint64_t> syn_at_;  // SYN (or SYN-ACK) still to send
  std::optional<uint64_t> ack_at_;  // pure ACK due at this time unless data carries it
  bool peer_syn_ = false;
  uint32_t peer_isn_ = 0;
  uint32_t peer_tsval_ = 0;
  uint64_t acked_ = 0;  // highest rx offset acknowledged so far
};

}  // namespace nic::gen
