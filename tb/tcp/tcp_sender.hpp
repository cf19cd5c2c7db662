// One direction's TCP sender for the closed-loop simulation, deterministic and in plain C++:
// slow start and Reno congestion avoidance with byte counting (RFC 5681, 3465), Linux's
// congestion-window validation and restart after idle, fast retransmit and recovery with
// NewReno partial ACKs (RFC 6582) or, with SACK, the RFC 6675 scoreboard and RACK-TLP
// (RFC 8985: time-based loss detection and tail loss probes), the RFC 6298
// retransmission timer with Linux's floor, and the persist timer for a zero window.
//
// Everything is in stream offsets (0 = the first byte after the SYN) and picoseconds. The
// caller maps offsets to sequence numbers, frames what next() returns with bytes(), carries
// it, and hands back the peer's ACKs and the timer's expiry. docs/tcp-sender.md has the
// choices where this differs from Linux.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "tb/tcp/sack_block.hpp"
#include "util/bytes.hpp"

namespace nic::tcp {

struct TcpSenderParams {
  uint32_t mss = 1448;         // a 1500-byte MTU less IPv4, TCP and the timestamps option
  uint32_t initial_cwnd = 10;  // segments: RFC 6928, Linux's TCP_INIT_CWND
  // Linux starts without a threshold (TCP_INFINITE_SSTHRESH); a route metric may cache one.
  uint64_t initial_ssthresh = UINT64_MAX;
  uint64_t rto_initial_ps = 1'000'000'000'000;  // 1 s before any RTT sample: RFC 6298 (2.1)
  uint64_t rto_min_ps = 200'000'000'000;        // 200 ms: Linux's TCP_RTO_MIN
  uint64_t rto_max_ps = 120'000'000'000'000;    // 120 s: TCP_RTO_MAX caps the back-off
  uint32_t dupack_threshold = 3;                // RFC 5681; Linux's initial tcp_reordering
  bool sack = true;                             // Linux offers SACK and peers accept it
  // Written but not yet acknowledged bytes at most: the top of Linux's default tcp_wmem.
  uint64_t send_buffer_bytes = 4 << 20;
  // Linux's tcp_slow_start_after_idle (on by default): after an idle RTO, cwnd decays.
  bool slow_start_after_idle = true;
  // RACK (RFC 8985 6): a segment is lost once one sent after it was delivered and it has been
  // out longer than that one's RTT plus a reordering window (min RTT / 4, at most SRTT). It
  // repairs lost retransmissions and tails without an RTO; Linux's default since 4.18.
  bool rack = true;
  // Tail loss probe (RFC 8985 7): with SACK, in Open state, a timer at 2 SRTT sends one
  // segment (new data, else the last one again) so that a lost tail earns an ACK that SACKs
  // or RACK can work with, instead of waiting for the RTO. Linux's default since 3.10.
  bool tlp = true;
  // Linux's TCP_TIMEOUT_MIN_US: added to the PTO while more than one segment is out, and to
  // the RACK reordering timer, so that neither fires on an ACK only just late.
  uint64_t timeout_min_ps = 2'000'000'000;  // 2 ms
  // Added to the PTO instead when a single segment is out: its ACK may wait for the peer's
  // delayed-ACK timer. Linux adds tcp_rto_min_us (200 ms by default), so the PTO then falls
  // on the RTO deadline; a smaller value probes a lone lost tail sooner, at the price of a
  // spurious probe when the peer holds its ACK longer.
  uint64_t tlp_lone_extra_ps = 200'000'000'000;

  std::string validate() const;  // empty when usable, otherwise what is wrong
};

// A segment to put on the wire.
struct Seg {
  uint64_t offset = 0;
  uint32_t len = 0;
  bool retransmission = false;
  // A zero-window probe: no payload. Linux sends it with the sequence number of offset - 1,
  // old data the peer must answer with an ACK that carries its window.
  bool window_probe = false;
};

struct TcpSenderStats {
  uint64_t segments = 0;  // data segments sent, retransmissions included
  uint64_t bytes_sent = 0;
  uint64_t retransmitted_segments = 0;
  uint64_t retransmitted_bytes = 0;
  uint64_t fast_retransmits = 0;  // fast recovery episodes entered
  uint64_t sack_recoveries = 0;   // of those, recovered with the SACK scoreboard
  uint64_t rtos = 0;              // retransmission timer expiries
  uint64_t window_probes = 0;     // persist timer expiries
  uint64_t rtt_samples = 0;
  uint64_t max_cwnd = 0;  // bytes
  uint64_t tlp_probes = 0;   // tail loss probes sent (new data or a retransmission)
  uint64_t rack_losses = 0;  // segments (or retransmissions of them) RACK marked lost
};

class TcpSender {
 public:
  // Linux's congestion states that matter here: Recovery is fast recovery, Loss follows an RTO.
  enum class State { Open, Recovery, Loss };

  // `peer_window`: what the peer's SYN or SYN-ACK advertised, in bytes. Throws
  // std::invalid_argument when `p` does not validate.
  TcpSender(const TcpSenderParams& p, uint64_t peer_window);

  // Appends as many application bytes as the send buffer has room for and returns how many,
  // as a non-blocking send() would. They are kept until acknowledged.
  size_t write(ByteView bytes);
  uint64_t space() const { return p_.send_buffer_bytes - (written_ - snd_una_); }

  // The segment to send now, if any: a due window probe, then retransmissions of what is
  // deemed lost, lowest first, then new data; never more than an MSS, within cwnd (in_flight()
  // + len <= cwnd) and the peer's window. A partial segment goes when nothing more is written.
  std::optional<Seg> next(uint64_t now_ps);
  // The payload of a segment next() returned; valid until the next write() or on_ack().
  ByteView bytes(uint64_t offset, uint32_t len) const;

  // An ACK from the peer: cumulative `ack`, its window in bytes (already scaled), its SACK
  // blocks. `carries_data`: the segment had a payload, which RFC 5681 says makes it no
  // duplicate ACK (relevant without SACK, where the peer's own data repeats the same ACK).
  void on_ack(uint64_t ack, uint64_t window, const SackBlocks& sack_blocks, uint64_t now_ps,
              bool carries_data = false);

  // The earliest of the retransmission or persist timer, the tail loss probe's timer (PTO)
  // and RACK's reordering timer; on_timer() then arms what follows, and next() returns the
  // retransmission or the probe.
  std::optional<uint64_t> timer_deadline() const;
  void on_timer(uint64_t now_ps);  // before the deadline: nothing

  uint64_t cwnd() const { return cwnd_; }  // bytes
  uint64_t ssthresh() const { return ssthresh_; }
  uint64_t srtt_ps() const { return srtt_; }  // 0 before the first sample
  uint64_t rttvar_ps() const { return rttvar_; }
  uint64_t rto_ps() const { return rto_; }  // backed off while RTOs repeat
  uint64_t snd_una() const { return snd_una_; }
  uint64_t snd_nxt() const { return snd_nxt_; }
  uint64_t in_flight() const;  // pipe: sent bytes deemed still in the network
  uint64_t unacked() const { return snd_nxt_ - snd_una_; }
  uint64_t unsent() const { return written_ - snd_nxt_; }
  uint64_t written() const { return written_; }
  uint64_t peer_window() const { return peer_wnd_; }
  State state() const { return state_; }
  size_t memory_bytes() const { return buf_.capacity(); }  // held for unacknowledged bytes
  const TcpSenderStats& stats() const { return stats_; }
  const TcpSenderParams& params() const { return p_; }

 private:
  static constexpr uint64_t kNone = UINT64_MAX;
  // A segment sent and not yet cumulatively acknowledged (Linux's retransmission queue).
  struct TxSeg {
    uint64_t offset;
    uint32_t len;
    uint64_t sent_ps;            // first transmission: Karn times no other
    uint64_t xmit_ps;            // last transmission: RACK's clock
    bool sacked = false;
    bool lost = false;
    bool retrans_out = false;    // retransmitted, that copy still in the network (implies lost)
    bool ever_retrans = false;   // Karn: its acknowledgement times nothing
    // Linux's tsorted_sent_queue: the copies in the network (neither SACKed nor lost and not
    // yet resent), by last transmission, linked by id. Ids grow by one per segment and rtxq_
    // only grows at the back and shrinks at the front: rtxq_[id - front().id].
    uint64_t id = 0;
    uint64_t tprev = kNone;
    uint64_t tnext = kNone;
    bool in_tlist = false;
  };
  enum class Timer { None, Rto, Persist };

  Seg send_new(uint32_t len, uint64_t now);
  Seg retransmit(TxSeg& s, uint64_t now);
  std::optional<Seg> window_probe(uint64_t now);
  void sent(uint64_t now, uint32_t len);
  uint64_t apply_sack(const SackBlocks& blocks, std::optional<uint64_t>& oldest, uint64_t now);
  void account(const TxSeg& s, bool add);
  void mark_lost(TxSeg& s);
  void mark_lost_below(uint64_t end);
  uint64_t lost_boundary() const;
  TxSeg* next_retransmission();
  size_t index_of(uint64_t offset) const;
  void enter_recovery();
  void rtt_sample(uint64_t rtt);
  void grow(uint64_t delivered);
  bool cwnd_limited() const;
  void validate_cwnd(bool limited);
  void restart_after_idle(uint64_t now);
  void arm_rto(uint64_t now);
  void arm_persist(uint64_t now);
  void release();
  TxSeg& by_id(uint64_t id) { return rtxq_[size_t(id - rtxq_.front().id)]; }
  void tlist_remove(TxSeg& s);
  void tlist_push(TxSeg& s);
  void rack_advance(const TxSeg& s, uint64_t now);
  void rack_detect_loss(uint64_t now);
  void rack_mark_lost(TxSeg& s);
  bool pto_allowed() const;
  void arm_pto(uint64_t now);
  std::optional<Seg> tail_loss_probe(uint64_t now);
  uint64_t window_end() const { return snd_una_ + peer_wnd_; }

  TcpSenderParams p_;
  Bytes buf_;              // written bytes from stream offset buf_base_ on
  uint64_t buf_base_ = 0;
  uint64_t written_ = 0;
  uint64_t snd_una_ = 0;
  uint64_t snd_nxt_ = 0;
  uint64_t peer_wnd_;
  std::deque<TxSeg> rtxq_;  // [snd_una_, snd_nxt_) cut as sent

  // Scoreboard totals over rtxq_, bytes, as Linux keeps packet counts.
  uint64_t sacked_bytes_ = 0;
  uint64_t lost_bytes_ = 0;
  uint64_t retrans_out_bytes_ = 0;
  uint64_t reno_sacked_ = 0;  // without SACK: an MSS per duplicate ACK, as Linux's emulation
  uint64_t high_sacked_ = 0;  // end of the highest SACKed segment
  uint64_t lost_scanned_ = 0; // unSACKed segments below this have been judged lost
  uint64_t rtx_hint_ = 0;     // no segment below this awaits retransmission
  SackBlocks sack_cache_;     // the last ACK's blocks, tagged already

  uint64_t cwnd_;
  uint64_t ssthresh_;
  uint64_t ca_acked_ = 0;  // bytes acknowledged toward the next additive increase
  State state_ = State::Open;
  uint64_t recover_ = 0;   // snd_nxt_ when Recovery or Loss began
  uint32_t dupacks_ = 0;
  bool force_retx_ = false;  // the fast retransmission goes whatever cwnd says

  // Congestion-window validation as Linux's tcp_cwnd_validate().
  uint64_t max_out_ = 0;
  uint64_t max_out_seq_ = 0;
  bool is_cwnd_limited_ = false;

  uint64_t srtt_ = 0;
  uint64_t rttvar_ = 0;
  uint64_t rto_;
  bool have_rtt_ = false;
  uint32_t rtos_in_row_ = 0;  // RTOs since snd_una last advanced

  Timer timer_ = Timer::None;
  uint64_t timer_at_ = 0;
  uint32_t probe_backoff_ = 0;
  bool probe_due_ = false;
  std::optional<uint64_t> last_send_ps_;

  // RACK (RFC 8985 6.2): the most recently sent segment delivered so far, and its RTT.
  uint64_t next_id_ = 0;
  uint64_t thead_ = kNone;
  uint64_t ttail_ = kNone;
  uint64_t rack_xmit_ps_ = 0;
  uint64_t rack_end_ = 0;
  uint64_t rack_rtt_ = 0;
  bool rack_valid_ = false;
  bool rack_advanced_ = false;  // this ACK delivered a segment RACK may time from
  uint64_t min_rtt_ = 0;  // smallest RTT sample, 0 before any
  std::optional<uint64_t> reo_at_;  // reordering timer
  // TLP (RFC 8985 7): the probe timer, a probe due, and the open episode (Linux's
  // tlp_high_seq: snd_nxt after the probe; tlp_retrans: the probe was a retransmission).
  std::optional<uint64_t> pto_at_;
  bool tlp_due_ = false;
  std::optional<uint64_t> tlp_end_;
  bool tlp_retrans_ = false;

  TcpSenderStats stats_;
};

}  // namespace nic::tcp
