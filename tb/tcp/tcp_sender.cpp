#include "tb/tcp/tcp_sender.hpp"

#include <algorithm>
#include <stdexcept>

namespace nic::tcp {

std::string TcpSenderParams::validate() const {
  if (mss == 0) return "mss must be at least 1 byte";
  if (initial_cwnd == 0) return "initial_cwnd must be at least 1 segment";
  if (initial_ssthresh < 2ull * mss) return "initial_ssthresh must be at least 2 * mss";
  if (rto_min_ps == 0) return "rto_min_ps must be positive";
  if (rto_min_ps > rto_initial_ps || rto_initial_ps > rto_max_ps)
    return "need rto_min_ps <= rto_initial_ps <= rto_max_ps";
  if (dupack_threshold == 0) return "dupack_threshold must be at least 1";
  if (send_buffer_bytes < mss) return "send_buffer_bytes must hold a segment";
  if (timeout_min_ps == 0) return "timeout_min_ps must be positive";
  return {};
}

TcpSender::TcpSender(const TcpSenderParams& p, uint64_t peer_window)
    : p_(p),
      peer_wnd_(peer_window),
      cwnd_(uint64_t(p.initial_cwnd) * p.mss),
      ssthresh_(p.initial_ssthresh),
      rto_(p.rto_initial_ps) {
  if (std::string e = p.validate(); !e.empty()) throw std::invalid_argument("tcp sender: " + e);
  stats_.max_cwnd = cwnd_;
}

size_t TcpSender::write(ByteView bytes) {
  const size_t n = size_t(std::min<uint64_t>(bytes.size, space()));
  buf_.insert(buf_.end(), bytes.data, bytes.data + n);
  written_ += n;
  return n;
}

ByteView TcpSender::bytes(uint64_t offset, uint32_t len) const {
  if (offset < buf_base_ || offset + len > written_)
    throw std::out_of_range("tcp sender: bytes outside the send buffer");
  return ByteView(buf_).sub(size_t(offset - buf_base_), len);
}

uint64_t TcpSender::in_flight() const {
  // Linux's packets_out - (sacked_out + lost_out) + retrans_out, in bytes.
  const uint64_t out = snd_nxt_ - snd_una_;
  const uint64_t left = sacked_bytes_ + lost_bytes_ + reno_sacked_;
  return (left < out ? out - left : 0) + retrans_out_bytes_;
}

std::optional<Seg> TcpSender::next(uint64_t now) {
  if (probe_due_) {
    probe_due_ = false;
    return window_probe(now);
  }
  if (tlp_due_) {
    tlp_due_ = false;
    if (auto probe = tail_loss_probe(now)) return probe;
  }
  if (TxSeg* s = next_retransmission()) {
    // Beyond the peer's window Linux retransmits only the segment at snd_una.
    if (s->offset >= window_end() && s->offset != snd_una_) return std::nullopt;
    if (!force_retx_ && in_flight() + s->len > cwnd_) {
      validate_cwnd(true);
      return std::nullopt;
    }
    force_retx_ = false;
    const Seg seg = retransmit(*s, now);
    arm_pto(now);
    return seg;
  }
  force_retx_ = false;
  if (!unsent()) return std::nullopt;
  const uint32_t len = uint32_t(std::min<uint64_t>(p_.mss, unsent()));
  // The whole segment must fit the window (Linux's tcp_snd_wnd_test: no silly windows).
  if (snd_nxt_ + len > window_end()) {
    if (snd_nxt_ == snd_una_ && timer_ == Timer::None) arm_persist(now);
    return std::nullopt;
  }
  if (snd_nxt_ == snd_una_) restart_after_idle(now);
  if (in_flight() + len > cwnd_) {
    validate_cwnd(true);
    return std::nullopt;
  }
  const Seg seg = send_new(len, now);
  arm_pto(now);
  return seg;
}

Seg TcpSender::send_new(uint32_t len, uint64_t now) {
  TxSeg t{snd_nxt_, len, now, now};
  t.id = next_id_++;
  rtxq_.push_back(t);
  tlist_push(rtxq_.back());
  const Seg seg{snd_nxt_, len, false, false};
  snd_nxt_ += len;
  if (timer_ != Timer::Rto) arm_rto(now);
  sent(now, len);
  return seg;
}

Seg TcpSender::retransmit(TxSeg& s, uint64_t now) {
  s.retrans_out = s.ever_retrans = true;
  retrans_out_bytes_ += s.len;
  s.xmit_ps = now;
  tlist_push(s);
  ++stats_.retransmitted_segments;
  stats_.retransmitted_bytes += s.len;
  // Linux restarts the timer whenever it resends the head (tcp_xmit_retransmit_queue).
  if (s.offset == snd_una_ || timer_ != Timer::Rto) arm_rto(now);
  const Seg seg{s.offset, s.len, true, false};
  sent(now, s.len);
  return seg;
}

std::optional<Seg> TcpSender::window_probe(uint64_t now) {
  if (!unsent()) return std::nullopt;
  ++stats_.window_probes;
  // Room short of a whole segment: Linux's tcp_write_wakeup sends what fits, whatever cwnd.
  if (snd_nxt_ < window_end())
    return send_new(uint32_t(std::min<uint64_t>({p_.mss, unsent(), window_end() - snd_nxt_})), now);
  return Seg{snd_una_, 0, false, true};
}

// RFC 8985 7.3 with Linux's tcp_send_loss_probe(): new data if the peer's window takes a
// whole segment (cwnd or not), otherwise the highest segment sent, again. Its copy is not
// marked lost nor counted in the pipe (Linux counts it); it restarts RACK's clock for it.
std::optional<Seg> TcpSender::tail_loss_probe(uint64_t now) {
  if (!unacked() || tlp_end_) return std::nullopt;
  const uint32_t len = uint32_t(std::min<uint64_t>(p_.mss, unsent()));
  Seg seg;
  if (unsent() && snd_nxt_ + len <= window_end()) {
    seg = send_new(len, now);
    tlp_retrans_ = false;
  } else {
    TxSeg& s = rtxq_.back();
    if (s.sacked || s.lost) return std::nullopt;  // not in Open state: no probe
    s.ever_retrans = true;
    s.xmit_ps = now;
    tlist_push(s);
    ++stats_.retransmitted_segments;
    stats_.retransmitted_bytes += s.len;
    seg = Seg{s.offset, s.len, true, false};
    sent(now, s.len);
    tlp_retrans_ = true;
  }
  tlp_end_ = snd_nxt_;
  ++stats_.tlp_probes;
  return seg;
}

void TcpSender::sent(uint64_t now, uint32_t len) {
  ++stats_.segments;
  stats_.bytes_sent += len;
  last_send_ps_ = now;
  validate_cwnd(in_flight() + p_.mss > cwnd_);
}

// Linux's tcp_cwnd_validate(): remembers the largest flight of the current window and
// whether cwnd, not the application, held it back.
void TcpSender::validate_cwnd(bool limited) {
  const uint64_t out = snd_nxt_ - snd_una_;
  if (snd_una_ >= max_out_seq_ || out > max_out_ || limited) {
    max_out_ = out;
    max_out_seq_ = snd_nxt_;
    is_cwnd_limited_ = limited;
  }
}

// Linux's tcp_is_cwnd_limited(): cwnd only grows while it is what limits the sender; in
// slow start, while it is below twice the largest recent flight.
bool TcpSender::cwnd_limited() const {
  if (is_cwnd_limited_) return true;
  return cwnd_ < ssthresh_ && cwnd_ < 2 * max_out_;
}

// Linux's tcp_cwnd_restart(): after an idle longer than the RTO, cwnd halves per RTO idle,
// down to the initial window (RFC 5681 4.1 asks for the initial window at once).
void TcpSender::restart_after_idle(uint64_t now) {
  if (!p_.slow_start_after_idle || !last_send_ps_ || now - *last_send_ps_ <= rto_) return;
  const uint64_t restart = std::min(uint64_t(p_.initial_cwnd) * p_.mss, cwnd_);
  ssthresh_ = std::max(ssthresh_, cwnd_ / 2 + cwnd_ / 4);
  uint64_t cwnd = cwnd_;
  for (uint64_t idle = now - *last_send_ps_; idle > rto_ && cwnd > restart; idle -= rto_) cwnd /= 2;
  cwnd_ = std::max(cwnd, restart);
}

size_t TcpSender::index_of(uint64_t offset) const {
  auto it = std::upper_bound(rtxq_.begin(), rtxq_.end(), offset,
                             [](uint64_t o, const TxSeg& s) { return o < s.offset; });
  if (it == rtxq_.begin()) return 0;
  --it;
  return it->offset + it->len > offset ? size_t(it - rtxq_.begin()) : rtxq_.size();
}

TcpSender::TxSeg* TcpSender::next_retransmission() {
  if (lost_bytes_ == retrans_out_bytes_) return nullptr;  // every lost segment resent
  for (size_t i = index_of(std::max(rtx_hint_, snd_una_)); i < rtxq_.size(); ++i) {
    TxSeg& s = rtxq_[i];
    if (s.lost && !s.retrans_out) {
      rtx_hint_ = s.offset;
      return &s;
    }
  }
  return nullptr;
}

void TcpSender::account(const TxSeg& s, bool add) {
  auto count = [&](uint64_t& total) { total = add ? total + s.len : total - s.len; };
  if (s.sacked) count(sacked_bytes_);
  if (s.lost) count(lost_bytes_);
  if (s.retrans_out) count(retrans_out_bytes_);
}

void TcpSender::mark_lost(TxSeg& s) {
  if (s.sacked || s.lost) return;
  tlist_remove(s);
  s.lost = true;
  lost_bytes_ += s.len;
  rtx_hint_ = std::min(rtx_hint_, s.offset);
}

// RFC 6675's IsLost() as a boundary: the end of the highest unSACKed segment with
// dupack_threshold SACKed segments, or more than dupack_threshold - 1 MSS of SACKed bytes,
// above it. IsLost() holds for every unSACKed segment below too.
uint64_t TcpSender::lost_boundary() const {
  if (!sacked_bytes_) return snd_una_;
  const uint64_t bytes_needed = uint64_t(p_.dupack_threshold - 1) * p_.mss;
  uint32_t count = 0;
  uint64_t bytes = 0;
  for (size_t i = index_of(high_sacked_ - 1) + 1; i-- > 0;) {
    const TxSeg& s = rtxq_[i];
    if (s.offset + s.len <= lost_scanned_) break;  // judged already
    if (s.sacked) {
      ++count;
      bytes += s.len;
    } else if (count >= p_.dupack_threshold || bytes > bytes_needed) {
      return s.offset + s.len;
    }
  }
  return snd_una_;
}

void TcpSender::mark_lost_below(uint64_t end) {
  if (end <= lost_scanned_) return;
  for (size_t i = index_of(std::max(lost_scanned_, snd_una_)); i < rtxq_.size() && rtxq_[i].offset < end; ++i)
    mark_lost(rtxq_[i]);
  lost_scanned_ = end;
}

uint64_t TcpSender::apply_sack(const SackBlocks& blocks, std::optional<uint64_t>& oldest,
                               uint64_t now) {
  uint64_t newly = 0;
  SackBlocks valid;
  for (auto [start, end] : blocks) {
    start = std::max(start, snd_una_);
    // Blocks reaching beyond what was sent are bogus; those below snd_una are D-SACKs,
    // which only Linux's undo uses.
    if (start >= end || end > snd_nxt_) continue;
    valid.push_back({start, end});
    // What the previous ACK's blocks covered was tagged then (Linux's recv_sack_cache): a
    // block that grows by a segment costs a segment, not its length.
    for (uint64_t from = start; from < end;) {
      uint64_t to = end;
      bool covered = false;
      for (auto [cs, ce] : sack_cache_) {
        if (cs <= from && from < ce) {
          from = ce;
          covered = true;
          break;
        }
        if (cs > from) to = std::min(to, cs);
      }
      if (covered) continue;
      for (size_t i = index_of(from); i < rtxq_.size() && rtxq_[i].offset < to; ++i) {
        TxSeg& s = rtxq_[i];
        if (s.sacked || s.offset < start || s.offset + s.len > end) continue;  // whole segments
        rack_advance(s, now);
        tlist_remove(s);
        account(s, false);
        s.sacked = true;
        s.lost = s.retrans_out = false;
        account(s, true);
        newly += s.len;
        high_sacked_ = std::max(high_sacked_, s.offset + s.len);
        if (!s.ever_retrans) oldest = std::min(oldest.value_or(s.sent_ps), s.sent_ps);
      }
      from = to;
    }
  }
  sack_cache_ = std::move(valid);
  return newly;
}

void TcpSender::on_ack(uint64_t ack, uint64_t window, const SackBlocks& sack_blocks, uint64_t now,
                       bool carries_data) {
  if (ack > snd_nxt_) return;  // acknowledges bytes never sent: RFC 9293 drops the segment
  std::optional<uint64_t> sack_oldest;
  rack_advanced_ = false;
  const uint64_t newly_sacked = p_.sack ? apply_sack(sack_blocks, sack_oldest, now) : 0;
  if (ack < snd_una_) return;  // overtaken by a later ACK; its SACK blocks still counted

  const uint64_t prior_wnd = peer_wnd_;
  peer_wnd_ = window;
  const uint64_t acked = ack - snd_una_;
  uint64_t delivered = newly_sacked;  // bytes that newly left the network, for cwnd growth
  std::optional<uint64_t> ack_oldest;
  bool retrans_acked = false;
  if (acked) {
    uint64_t hole = 0;  // the first bytes acknowledged: what the duplicate ACKs waited for
    while (!rtxq_.empty() && rtxq_.front().offset < ack) {
      TxSeg& s = rtxq_.front();
      const uint32_t n = uint32_t(std::min<uint64_t>(s.len, ack - s.offset));
      if (!hole) hole = n;
      if (!s.sacked) {
        delivered += n;
        rack_advance(s, now);
      }
      if (s.ever_retrans)
        retrans_acked = true;
      else if (!s.sacked && !ack_oldest)
        ack_oldest = s.sent_ps;
      account(s, false);
      if (n < s.len) {  // acknowledged up to the middle: Linux trims the head segment
        s.offset += n;
        s.len -= n;
        account(s, true);
        break;
      }
      tlist_remove(s);
      rtxq_.pop_front();
    }
    if (!p_.sack) {
      // Linux's Reno emulation: out of Recovery an advancing ACK ends the count; in it, the
      // first segment filled the hole and the rest were counted by the duplicate ACKs.
      const uint64_t eaten = state_ == State::Recovery ? std::min(reno_sacked_, acked - hole) : 0;
      reno_sacked_ = state_ == State::Recovery ? reno_sacked_ - eaten : 0;
      delivered -= eaten;
    }
    snd_una_ = ack;
    dupacks_ = 0;
    rtos_in_row_ = 0;
    release();
  } else if (snd_nxt_ > snd_una_) {
    // RFC 6675's duplicate ACK with SACK: it SACKs new bytes. RFC 5681's without: no data,
    // the same window.
    const bool dup = p_.sack ? newly_sacked > 0 : !carries_data && window == prior_wnd;
    if (dup) {
      ++dupacks_;
      if (!p_.sack && state_ != State::Loss)
        reno_sacked_ = std::min(reno_sacked_ + p_.mss, unacked() - rtxq_.front().len);
    }
  }

  // Karn: no sample from retransmitted bytes; the oldest newly SACKed segment stands in.
  if (ack_oldest && !retrans_acked)
    rtt_sample(now - *ack_oldest);
  else if (sack_oldest)
    rtt_sample(now - *sack_oldest);

  // Linux's tcp_process_tlp_ack(): a probe of new data ends its episode once acknowledged.
  // A retransmitted probe repaired a loss if an ACK goes beyond it (data sent after the probe
  // arrived too): cwnd is reduced once, as Linux's CWR. A pure duplicate ACK says the
  // original and the probe both arrived. Without D-SACK an ACK of exactly the probe leaves
  // the episode open (and no new probe) until one of these.
  bool tlp_reduced = false;
  if (tlp_end_ && ack >= *tlp_end_) {
    if (!tlp_retrans_) {
      tlp_end_.reset();
    } else if (ack > *tlp_end_) {
      tlp_end_.reset();
      if (state_ == State::Open) {
        ssthresh_ = std::max(cwnd_ / 2, 2 * uint64_t(p_.mss));
        cwnd_ = ssthresh_;
        ca_acked_ = 0;
        tlp_reduced = true;
      }
    } else if (!acked && !newly_sacked && window == prior_wnd && !carries_data) {
      tlp_end_.reset();
    }
  }

  if (state_ == State::Recovery) {
    if (snd_una_ >= recover_) {  // a full ACK ends recovery at the halved window
      state_ = State::Open;
      cwnd_ = ssthresh_;
      reno_sacked_ = 0;
    } else if (acked && !p_.sack) {  // RFC 6582 partial ACK: the next hole goes at once
      mark_lost(rtxq_.front());
      force_retx_ = true;
    }
  } else if (state_ == State::Loss && snd_una_ >= recover_) {
    state_ = State::Open;
  }
  // Linux's tcp_time_to_recover(): enough duplicate ACKs, or SACKs that make the head lost,
  // or losses left over from the last episode (found in data sent during it).
  if (rack_advanced_) rack_detect_loss(now);
  if (state_ == State::Open && unacked() &&
      (dupacks_ >= p_.dupack_threshold || lost_bytes_ ||
       (p_.sack && lost_boundary() > snd_una_)))
    enter_recovery();
  if (state_ == State::Recovery && p_.sack) mark_lost_below(lost_boundary());
  if (acked && state_ != State::Recovery && !tlp_reduced && cwnd_limited()) grow(delivered);

  if (acked) {
    if (unacked())
      arm_rto(now);  // RFC 6298 (5.3)
    else if (timer_ == Timer::Rto)
      timer_ = Timer::None;
    arm_pto(now);  // RFC 8985 7.2: restarted by an ACK of new data
  } else if (!pto_allowed()) {
    pto_at_.reset();
  }
  if (!unacked()) reo_at_.reset();
  if (!unacked()) {
    // The persist timer runs while nothing is in flight and the window holds data back.
    const bool blocked = unsent() && snd_nxt_ + std::min<uint64_t>(p_.mss, unsent()) > window_end();
    if (blocked && timer_ == Timer::None) {
      arm_persist(now);
    } else if (!blocked) {
      if (timer_ == Timer::Persist) timer_ = Timer::None;
      probe_backoff_ = 0;
      probe_due_ = false;
    }
  }
}

void TcpSender::enter_recovery() {
  // The fast retransmission: the head, unless loss is proven already (RACK, or segments left
  // over from the last episode), whose retransmissions go first.
  const bool mark_head = lost_bytes_ == 0;
  // Linux's Reno halves cwnd, not the flight, so limited-transmit segments do not count
  // (RFC 5681 3.2 asks the same of FlightSize).
  ssthresh_ = std::max(cwnd_ / 2, 2 * uint64_t(p_.mss));
  cwnd_ = ssthresh_;
  ca_acked_ = 0;
  state_ = State::Recovery;
  recover_ = snd_nxt_;
  if (mark_head) mark_lost(rtxq_.front());
  force_retx_ = true;
  tlp_end_.reset();  // Linux's tcp_init_cwnd_reduction(): this reduction is the episode's
  pto_at_.reset();
  ++stats_.fast_retransmits;
  if (p_.sack) ++stats_.sack_recoveries;
}

// RFC 6298 (2.2, 2.3) in integer picoseconds; the floor as Linux applies it, to the variance
// term: RTO = SRTT + max(4 RTTVAR, rto_min).
void TcpSender::rtt_sample(uint64_t rtt) {
  min_rtt_ = have_rtt_ ? std::min(min_rtt_, rtt) : rtt;
  if (!have_rtt_) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    have_rtt_ = true;
  } else {
    const uint64_t err = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (3 * rttvar_ + err) / 4;
    srtt_ = (7 * srtt_ + rtt) / 8;
  }
  rto_ = std::min(srtt_ + std::max(4 * rttvar_, p_.rto_min_ps), p_.rto_max_ps);  // ends back-off
  ++stats_.rtt_samples;
}

// Slow start adds what was delivered, up to ssthresh; the rest counts toward congestion
// avoidance's one MSS per cwnd of bytes delivered (RFC 3465 byte counting, Linux's
// tcp_slow_start() and tcp_cong_avoid_ai()).
void TcpSender::grow(uint64_t delivered) {
  if (cwnd_ < ssthresh_) {
    const uint64_t step = std::min(delivered, ssthresh_ - cwnd_);
    cwnd_ += step;
    delivered -= step;
  }
  ca_acked_ += delivered;
  while (ca_acked_ >= cwnd_) {
    ca_acked_ -= cwnd_;
    cwnd_ += p_.mss;
  }
  stats_.max_cwnd = std::max(stats_.max_cwnd, cwnd_);
}

std::optional<uint64_t> TcpSender::timer_deadline() const {
  std::optional<uint64_t> d;
  if (timer_ != Timer::None) d = timer_at_;
  for (const auto& t : {pto_at_, reo_at_})
    if (t) d = std::min(d.value_or(*t), *t);
  return d;
}

void TcpSender::on_timer(uint64_t now) {
  const auto due = [now](const std::optional<uint64_t>& t) { return t && *t <= now; };
  if (due(reo_at_)) {
    // RFC 8985 6.3 (Linux's tcp_rack_reo_timeout()): time is up for a segment RACK waited on.
    reo_at_.reset();
    const uint64_t lost = stats_.rack_losses;
    rack_detect_loss(now);
    if (stats_.rack_losses != lost && state_ == State::Open) enter_recovery();
  }
  if (due(pto_at_)) {
    // RFC 8985 7.3: next() sends the probe; the RTO restarts from now (Linux restarts it from
    // the head's last transmission). A probe deadline is never after the RTO's, so it wins a
    // tie, as in Linux, where the probe takes the retransmission timer's place.
    pto_at_.reset();
    tlp_due_ = true;
    arm_rto(now);
  }
  if (timer_ == Timer::None || now < timer_at_) return;
  if (timer_ == Timer::Persist) {
    probe_due_ = true;
    ++probe_backoff_;
    arm_persist(now);
    return;
  }
  ++stats_.rtos;
  // One reduction per episode: not again in Recovery, nor for an RTO that repeats without
  // progress (RFC 5681 eq. 4; Linux's tcp_enter_loss()).
  if (state_ == State::Open || (state_ == State::Loss && rtos_in_row_ == 0))
    ssthresh_ = std::max(cwnd_ / 2, 2 * uint64_t(p_.mss));
  cwnd_ = p_.mss;
  ca_acked_ = 0;
  state_ = State::Loss;
  recover_ = snd_nxt_;
  dupacks_ = 0;
  reno_sacked_ = 0;
  force_retx_ = false;
  // Go back to snd_una: everything not SACKed is lost, copies in flight too; SACKs stay.
  for (TxSeg& s : rtxq_) {
    account(s, false);
    s.lost = !s.sacked;
    s.retrans_out = false;
    account(s, true);
    s.in_tlist = false;
    s.tprev = s.tnext = kNone;
  }
  thead_ = ttail_ = kNone;
  reo_at_.reset();
  pto_at_.reset();
  tlp_end_.reset();
  tlp_due_ = false;
  lost_scanned_ = snd_nxt_;
  rtx_hint_ = snd_una_;
  ++rtos_in_row_;
  rto_ = std::min(2 * rto_, p_.rto_max_ps);
  arm_rto(now);
}

// RACK (RFC 8985 6.2 step 2): the most recently sent of the segments an ACK delivers, by
// transmission time, then end (RACK_sent_after). A retransmission delivered sooner than the
// minimum RTT was the original's delivery (Linux's tcp_rack_advance()).
// Only with SACK, as Linux (tcp_identify_packet_loss(): a Reno connection uses NewReno's
// marking): cumulative ACKs alone cannot tell which segments above a hole arrived.
void TcpSender::rack_advance(const TxSeg& s, uint64_t now) {
  if (!p_.rack || !p_.sack) return;
  const uint64_t rtt = now - s.xmit_ps;
  if (s.ever_retrans && rtt < min_rtt_) return;
  rack_advanced_ = true;
  const uint64_t end = s.offset + s.len;
  if (!rack_valid_ || s.xmit_ps > rack_xmit_ps_ || (s.xmit_ps == rack_xmit_ps_ && end > rack_end_)) {
    rack_xmit_ps_ = s.xmit_ps;
    rack_end_ = end;
    rack_rtt_ = rtt;
    rack_valid_ = true;
  }
}

// RACK (RFC 8985 6.2 step 5): every copy in the network sent before RACK's segment and out
// longer than RACK.rtt + reo_wnd is lost. The copies are kept by transmission time, so the
// walk stops at the first one sent after RACK's, or still within its time; for that one the
// reordering timer is armed (the RFC arms it for the last one waiting, marking all at once;
// here each goes at its own time). reo_wnd = min RTT / 4, at most SRTT; Linux's adaptation to
// D-SACKs and its zero window in recovery are not modelled.
void TcpSender::rack_detect_loss(uint64_t now) {
  if (!p_.rack || !p_.sack || !rack_valid_) return;
  const uint64_t reo_wnd = std::min(min_rtt_ / 4, srtt_);
  reo_at_.reset();
  for (uint64_t id = thead_; id != kNone;) {
    TxSeg& s = by_id(id);
    id = s.tnext;
    if (s.xmit_ps > rack_xmit_ps_) break;
    if (s.xmit_ps == rack_xmit_ps_ && s.offset + s.len >= rack_end_) continue;  // sent after
    const uint64_t deadline = s.xmit_ps + rack_rtt_ + reo_wnd;
    if (deadline > now) {
      reo_at_ = deadline + p_.timeout_min_ps;  // Linux adds TCP_TIMEOUT_MIN_US
      break;
    }
    rack_mark_lost(s);
  }
}

// A segment, or the retransmission of one, RACK judges lost: retransmitted (again) next.
void TcpSender::rack_mark_lost(TxSeg& s) {
  if (s.sacked) return;
  ++stats_.rack_losses;
  if (s.lost) {  // its retransmission was lost
    tlist_remove(s);
    s.retrans_out = false;
    retrans_out_bytes_ -= s.len;
    rtx_hint_ = std::min(rtx_hint_, s.offset);
  } else {
    mark_lost(s);
  }
}

// RFC 8985 7.2 with Linux's tcp_schedule_loss_probe(): SACK on, Open state without SACKed or
// lost segments, an RTT sample, no probe outstanding.
bool TcpSender::pto_allowed() const {
  return p_.tlp && p_.sack && have_rtt_ && unacked() && state_ == State::Open && !sacked_bytes_ &&
         !lost_bytes_ && !tlp_end_ && timer_ == Timer::Rto;
}

// PTO = 2 SRTT plus TCP_TIMEOUT_MIN, or plus tlp_lone_extra with a single segment out, and
// never after the RTO deadline.
void TcpSender::arm_pto(uint64_t now) {
  if (!pto_allowed()) {
    pto_at_.reset();
    return;
  }
  const uint64_t pto = 2 * srtt_ + (rtxq_.size() == 1 ? p_.tlp_lone_extra_ps : p_.timeout_min_ps);
  pto_at_ = std::min(now + pto, timer_at_);
}

void TcpSender::tlist_push(TxSeg& s) {
  tlist_remove(s);
  s.tprev = ttail_;
  s.tnext = kNone;
  if (ttail_ != kNone)
    by_id(ttail_).tnext = s.id;
  else
    thead_ = s.id;
  ttail_ = s.id;
  s.in_tlist = true;
}

void TcpSender::tlist_remove(TxSeg& s) {
  if (!s.in_tlist) return;
  if (s.tprev != kNone)
    by_id(s.tprev).tnext = s.tnext;
  else
    thead_ = s.tnext;
  if (s.tnext != kNone)
    by_id(s.tnext).tprev = s.tprev;
  else
    ttail_ = s.tprev;
  s.in_tlist = false;
  s.tprev = s.tnext = kNone;
}

void TcpSender::arm_rto(uint64_t now) {
  timer_ = Timer::Rto;
  timer_at_ = now + rto_;
}

// Linux's tcp_probe0_when(): the RTO, at least rto_min, doubled per probe, capped.
void TcpSender::arm_persist(uint64_t now) {
  uint64_t when = std::max(rto_, p_.rto_min_ps);
  for (uint32_t i = 0; i < probe_backoff_ && when < p_.rto_max_ps; ++i) when *= 2;
  timer_ = Timer::Persist;
  timer_at_ = now + std::min(when, p_.rto_max_ps);
}

// Drops acknowledged bytes once they outweigh the rest, amortised O(1) a byte. The allocation
// stays for the writes to come (a fresh one costs page faults per window) unless it dwarfs
// what is left: it stays under 8 times the live bytes plus kSlack, and nothing is held once
// every written byte is acknowledged.
void TcpSender::release() {
  constexpr size_t kSlack = 64 << 10;
  const size_t dead = size_t(snd_una_ - buf_base_);
  const size_t live = buf_.size() - dead;
  if (dead == 0 || dead < live) return;
  buf_base_ = snd_una_;
  buf_.erase(buf_.begin(), buf_.begin() + dead);
  if (live == 0 || buf_.capacity() > 4 * live + kSlack) buf_.shrink_to_fit();
}

}  // namespace nic::tcp
