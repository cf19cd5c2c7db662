// The closed-loop TCP pieces (tb/tcp): the sender against hand-worked figures, the ACK policy
// and the reassembler, and all three together across a lossy channel.
#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <vector>

#include "segment_schedule.hpp"
#include "tb/tcp/ack_policy.hpp"
#include "tb/tcp/stream_reassembler.hpp"
#include "tb/tcp/tcp_sender.hpp"

using namespace nic;
using namespace nic::tcp;

namespace {

constexpr uint64_t kUs = 1'000'000;  // picoseconds
constexpr uint64_t kMs = 1000 * kUs;
constexpr uint64_t kMss = 1448;
constexpr uint64_t kNever = UINT64_MAX;

Bytes pattern(size_t n, uint32_t seed) {
  Bytes b(n);
  std::mt19937 rng(seed);
  for (uint8_t& x : b) x = uint8_t(rng());
  return b;
}

// A sender and a receiver on a channel: a one-way delay, optional jitter (reordering), loss,
// duplication and lost ACKs, plus losses a test names. The receiver acknowledges every
// segment at once, or by AckPolicy; its window is its buffer less what its reader has not
// taken. No serialisation delay: a window leaves at one instant.
struct Sim {
  struct Knobs {
    uint64_t one_way = 50 * kUs;
    uint64_t jitter = 0;  // extra delay, uniform in [0, jitter)
    double loss = 0, dup = 0, ack_loss = 0;
    bool delayed_acks = false;
    uint64_t rcvbuf = 64 << 20;
    uint64_t read_every = 0;  // 0: the reader takes bytes as they arrive
    uint64_t seed = 1;
  };
  enum class Kind { Data, Ack, DelayedAck, Read };
  struct Event {
    Kind kind = Kind::Data;
    Seg seg;
    Bytes payload;
    uint64_t ack = 0, window = 0;
    SackBlocks sacks;
  };
  static Event of(Kind kind) {
    Event e;
    e.kind = kind;
    return e;
  }

  Knobs k;
  TcpSender tx;
  StreamReassembler rx;
  AckPolicy policy;
  std::mt19937_64 rng;
  std::map<std::pair<uint64_t, uint64_t>, Event> queue;  // (time, order) -> event
  uint64_t order = 0;
  uint64_t now = 0;

  std::function<bool(const Seg&, uint32_t copy)> drop;  // copy 0: first transmission
  std::function<uint64_t(const Seg&, uint32_t copy)> late;  // extra one-way delay
  std::function<void()> after_ack;
  // (time, cwnd) each time the sender left fast recovery, once watch_recovery() is called.
  std::vector<std::pair<uint64_t, uint64_t>> recovery_exits;
  void watch_recovery() {
    after_ack = [this, prev = TcpSender::State::Open]() mutable {
      if (prev == TcpSender::State::Recovery && tx.state() == TcpSender::State::Open)
        recovery_exits.emplace_back(now, tx.cwnd());
      prev = tx.state();
    };
  }
  std::map<uint64_t, uint32_t> copies;  // transmissions per offset
  std::vector<std::pair<uint64_t, Seg>> sent;
  std::vector<uint64_t> rto_at;
  Bytes app;  // what the application writes, in full
  size_t app_pos = 0;
  Bytes delivered;
  uint64_t edge;  // the receiver's window edge: rcv_nxt + window, never moves left
  bool read_scheduled = false;

  Sim(const TcpSenderParams& p, const Knobs& knobs, const AckPolicyParams& ap = {})
      : k(knobs), tx(p, knobs.rcvbuf), policy(ap), rng(knobs.seed), edge(knobs.rcvbuf) {}

  bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  uint64_t delay() { return k.one_way + (k.jitter ? rng() % k.jitter : 0); }
  void at(uint64_t t, Event e) { queue.emplace(std::make_pair(t, order++), std::move(e)); }
  uint64_t window() const { return k.rcvbuf - rx.readable(); }

  void feed() {
    app_pos += tx.write(ByteView(app).sub(app_pos));
  }

  void send_data() {
    while (auto s = tx.next(now)) {
      sent.emplace_back(now, *s);
      REQUIRE(s->offset + s->len <= edge);  // never beyond what the receiver offered
      const uint32_t copy = s->window_probe ? 0 : copies[s->offset]++;
      if ((drop && !s->window_probe && drop(*s, copy)) || chance(k.loss)) continue;
      const ByteView b = tx.bytes(s->offset, s->len);
      Event e = of(Kind::Data);
      e.seg = *s;
      e.payload.assign(b.begin(), b.end());
      const uint64_t extra = late && !s->window_probe ? late(*s, copy) : 0;
      if (chance(k.dup)) at(now + delay() + extra, e);
      at(now + delay() + extra, std::move(e));
    }
  }

  void send_ack() {
    policy.sent_ack();
    edge = std::max(edge, rx.rcv_nxt() + window());
    if (chance(k.ack_loss)) return;
    Event e = of(Kind::Ack);
    e.ack = rx.rcv_nxt();
    e.window = window();
    if (tx.params().sack) e.sacks = rx.sack_blocks(3);
    at(now + delay(), std::move(e));
  }

  void read() {
    const Bytes b = rx.take();
    delivered.insert(delivered.end(), b.begin(), b.end());
  }

  void on_data(const Event& e) {
    const Arrival a = rx.add(e.seg.offset, e.payload);
    if (!k.read_every) read();
    const bool in_order = a == Arrival::InOrder || a == Arrival::FilledHole;
    if (!k.delayed_acks ||
        policy.on_segment(in_order, a == Arrival::FilledHole, e.seg.len, now)) {
      send_ack();
    } else {
      at(*policy.deadline(), of(Kind::DelayedAck));
    }
    if (k.read_every && !read_scheduled) {
      read_scheduled = true;
      at(now + k.read_every, of(Kind::Read));
    }
  }

  void on_read() {
    read_scheduled = false;
    const uint64_t before = window();
    read();
    // Linux's tcp_cleanup_rbuf(): a read that at least doubles a small window is announced.
    if (2 * before <= k.rcvbuf && window() >= 2 * before) send_ack();
  }

  void run(size_t max_events = 2'000'000) {
    feed();
    send_data();
    for (size_t n = 0;; ++n) {
      REQUIRE(n < max_events);
      const uint64_t te = queue.empty() ? kNever : queue.begin()->first.first;
      const uint64_t tt = tx.timer_deadline().value_or(kNever);
      if (te == kNever && tt == kNever) break;
      if (tt < te) {
        now = tt;
        const uint64_t rtos = tx.stats().rtos;
        tx.on_timer(now);
        if (tx.stats().rtos != rtos) rto_at.push_back(now);
        send_data();
        continue;
      }
      now = te;
      Event e = std::move(queue.begin()->second);
      queue.erase(queue.begin());
      switch (e.kind) {
        case Kind::Data:
          on_data(e);
          break;
        case Kind::Ack:
          tx.on_ack(e.ack, e.window, e.sacks, now);
          if (after_ack) after_ack();
          feed();
          send_data();
          break;
        case Kind::DelayedAck:
          if (policy.deadline() && *policy.deadline() <= now) send_ack();
          break;
        case Kind::Read:
          on_read();
          break;
      }
    }
  }

  std::vector<std::pair<uint64_t, Seg>> retransmissions() const {
    std::vector<std::pair<uint64_t, Seg>> out;
    for (const auto& ts : sent)
      if (ts.second.retransmission) out.push_back(ts);
    return out;
  }
};

// cwnd after the last ACK of each instant.
std::map<uint64_t, uint64_t> track_cwnd(Sim& s) {
  std::map<uint64_t, uint64_t> at;
  s.after_ack = [&s, &at] { at[s.now] = s.tx.cwnd(); };
  s.run();
  return at;
}

}  // namespace

// Acknowledged one by one, each segment adds an MSS: ten in flight at t = 0 are twenty after
// the first RTT (100 us), forty after the second, 10 * 2^k after k.
TEST_CASE("tcp: slow start doubles cwnd every round trip", "[tcp]") {
  Sim s(TcpSenderParams{}, Sim::Knobs{});
  s.app = pattern(700 * kMss, 1);
  const auto cwnd = track_cwnd(s);
  for (uint64_t k = 1; k <= 5; ++k) REQUIRE(cwnd.at(k * 100 * kUs) == (10u << k) * kMss);
  REQUIRE(s.delivered == s.app);
  REQUIRE(s.tx.stats().retransmitted_segments == 0);
}

// From ssthresh = cwnd = 10 MSS: the tenth ACK of the first RTT completes a cwnd of bytes and
// adds an MSS (11), the eleventh of the second another (12): 10 + k after k RTTs.
TEST_CASE("tcp: congestion avoidance adds one segment per round trip", "[tcp]") {
  TcpSenderParams p;
  p.initial_ssthresh = 10 * kMss;
  Sim s(p, Sim::Knobs{});
  s.app = pattern(200 * kMss, 2);
  const auto cwnd = track_cwnd(s);
  for (uint64_t k = 1; k <= 8; ++k) REQUIRE(cwnd.at(k * 100 * kUs) == (10 + k) * kMss);
  REQUIRE(s.delivered == s.app);
}

// Segment 2 of the first window is lost (RTT 100 us, every segment acknowledged). At 100 us
// the ACKs of segments 0 and 1 raise cwnd to 12 and release 10..13; the duplicate ACKs of 3
// and 4 each release one more (limited transmit: 14, 15); the third, for 5, starts recovery:
// ssthresh = cwnd = 12 / 2 = 6 MSS, and segment 2 goes again at once. Its ACK at 200 us
// covers everything up to 16, the recovery point: recovery ends with cwnd = 6 MSS.
TEST_CASE("tcp: one loss in a window is repaired by one fast retransmit", "[tcp]") {
  const bool sack = GENERATE(true, false);
  TcpSenderParams p;
  p.sack = sack;
  Sim s(p, Sim::Knobs{});
  s.app = pattern(40 * kMss, 3);
  s.drop = [](const Seg& g, uint32_t copy) { return g.offset == 2 * kMss && copy == 0; };
  s.watch_recovery();
  s.run();

  const auto rtx = s.retransmissions();
  REQUIRE(rtx.size() == 1);
  REQUIRE(rtx[0].first == 100 * kUs);
  REQUIRE(rtx[0].second.offset == 2 * kMss);
  REQUIRE(rtx[0].second.len == kMss);
  REQUIRE(s.tx.stats().fast_retransmits == 1);
  REQUIRE(s.tx.stats().sack_recoveries == (sack ? 1u : 0u));
  REQUIRE(s.tx.stats().rtos == 0);
  REQUIRE(s.recovery_exits == std::vector<std::pair<uint64_t, uint64_t>>{{200 * kUs, 6 * kMss}});
  REQUIRE(s.tx.ssthresh() == 6 * kMss);
  REQUIRE(s.delivered == s.app);
  REQUIRE(s.tx.snd_una() == s.app.size());
}

// Segments 2 and 5 of the first window are lost. Recovery starts at 100 us as above with 2
// resent. With SACK, the ACKs of 6, 7, 8 put three SACKed segments above 5: IsLost(5) holds,
// but the pipe (8 MSS) exceeds cwnd (6) until the second duplicate ACK of the next round
// (200 us), which lets 5 go. Without SACK nothing marks 5 until the ACK of 2's retransmission
// stops at 5 (200 us): a partial ACK, on which 5 goes at once. Either way one episode, the
// ACK of 5's copy ends it at 300 us with cwnd = 6 MSS, and no RTO.
TEST_CASE("tcp: two losses in one window are recovered in one episode", "[tcp]") {
  const bool sack = GENERATE(true, false);
  TcpSenderParams p;
  p.sack = sack;
  Sim s(p, Sim::Knobs{});
  s.app = pattern(40 * kMss, 4);
  s.drop = [](const Seg& g, uint32_t copy) {
    return (g.offset == 2 * kMss || g.offset == 5 * kMss) && copy == 0;
  };
  s.watch_recovery();
  s.run();

  const auto rtx = s.retransmissions();
  REQUIRE(rtx.size() == 2);
  REQUIRE(rtx[0].first == 100 * kUs);
  REQUIRE(rtx[0].second.offset == 2 * kMss);
  REQUIRE(rtx[1].first == 200 * kUs);
  REQUIRE(rtx[1].second.offset == 5 * kMss);
  REQUIRE(s.tx.stats().fast_retransmits == 1);
  REQUIRE(s.tx.stats().rtos == 0);
  REQUIRE(s.recovery_exits == std::vector<std::pair<uint64_t, uint64_t>>{{300 * kUs, 6 * kMss}});
  REQUIRE(s.delivered == s.app);
}

// Segment 2 is lost three times. Every RTT sample is 100 us, so SRTT = 100 us and
// RTO = SRTT + max(4 RTTVAR, 200 ms) = 200.1 ms; the fast retransmission at 100 us restarts
// the timer: the first RTO fires at 200.2 ms (recovery had halved ssthresh already; it stays
// 6 MSS), the RTO doubles to 400.2 ms, and the copy sent then is lost too: the second RTO
// at 600.4 ms, the RTO 800.4 ms. The fourth copy arrives; Karn: its ACK times nothing, the
// backed-off RTO stays; slow start from the loss window adds its MSS: cwnd = 2 MSS.
// Pure RTO behaviour: without RACK (which finds the lost retransmission when a segment sent
// after it is SACKed, see below) and without tail loss probes.
TEST_CASE("tcp: a lost retransmission ends in an RTO at the computed deadline then backs off", "[tcp]") {
  TcpSenderParams p;
  p.rack = p.tlp = false;
  Sim s(p, Sim::Knobs{});
  s.app = pattern(40 * kMss, 5);
  s.drop = [](const Seg& g, uint32_t copy) { return g.offset == 2 * kMss && copy < 3; };
  s.run();

  REQUIRE(s.rto_at == std::vector<uint64_t>{200'200 * kUs, 600'400 * kUs});
  const auto rtx = s.retransmissions();
  REQUIRE(rtx.size() == 3);
  REQUIRE(rtx[1].first == 200'200 * kUs);
  REQUIRE(rtx[2].first == 600'400 * kUs);
  for (const auto& r : rtx) REQUIRE(r.second.offset == 2 * kMss);
  REQUIRE(s.tx.stats().rtos == 2);
  REQUIRE(s.tx.stats().fast_retransmits == 1);
  REQUIRE(s.tx.srtt_ps() == 100 * kUs);
  REQUIRE(s.tx.rto_ps() == 800'400 * kUs);
  REQUIRE(s.tx.ssthresh() == 6 * kMss);
  REQUIRE(s.tx.cwnd() == 2 * kMss);
  REQUIRE(s.tx.state() == TcpSender::State::Open);
  REQUIRE(!s.tx.timer_deadline());
  REQUIRE(s.delivered == s.app);
}

// A lost tail: twelve segments, the last lost; the receiver acknowledges every second full
// segment (no quick ACKs, delayed ACK 40 ms). 0..9 arrive at 50 us, acknowledged in pairs; the
// ACKs at 100 us (every RTT sample 100 us: SRTT 100 us) each add 2 MSS in slow start, cwnd 20
// MSS; the first of them releases 10 and 11, the last two segments. The last ACK at 100 us
// leaves both out, so the PTO is 2 SRTT + 2 ms (TCP_TIMEOUT_MIN; 200 ms would be added with
// one segment out): 100 us + 200 us + 2 ms = 2.3 ms. 10 alone waits for the delayed ACK
// (due at 40.15 ms); at 2.3 ms nothing new is left, so the probe resends 11, the highest
// segment. It arrives at 2.35 ms: two full segments waiting, an ACK at once, all acknowledged
// at 2.4 ms. The ACK covers exactly the probe (TLP.end_seq = 12 MSS): Linux reduces cwnd only
// once an ACK goes beyond it (a D-SACK would say the probe was spurious), so cwnd stays 20
// MSS (the probe's round is not cwnd-limited, so it does not grow either) and ssthresh stays
// unset. Without TLP the same loss waits for the RTO. First the delayed ACK of 10 at
// 40.15 ms arrives at 40.2 ms: a 40.1 ms sample. RTTVAR had decayed from 50 us over four
// 100 us samples to 15.820312 us; now (3 * 15.820312 us + 40 ms) / 4 = 10.011865 ms, SRTT
// (7 * 100 us + 40.1 ms) / 8 = 5.1 ms, RTO 5.1 + max(40.05, 200) = 205.1 ms, re-armed by that
// ACK: the RTO at 40.2 + 205.1 = 245.3 ms. That ACK also grew cwnd to 21 MSS (slow start;
// the first window was cwnd-limited), so ssthresh = 21 / 2 = 10.5 MSS; cwnd 1 MSS plus the
// MSS the retransmission's ACK delivers.
TEST_CASE("tcp: a lost tail segment is repaired by a tail loss probe at 2 SRTT plus 2 ms", "[tcp]") {
  const bool tlp = GENERATE(true, false);
  TcpSenderParams p;
  p.tlp = tlp;
  Sim::Knobs k;
  k.delayed_acks = true;
  AckPolicyParams ap;
  ap.quickack_segments = 0;
  Sim s(p, k, ap);
  s.app = pattern(12 * kMss, 11);
  s.drop = [](const Seg& g, uint32_t copy) { return g.offset == 11 * kMss && copy == 0; };
  s.run();

  const auto rtx = s.retransmissions();
  REQUIRE(rtx.size() == 1);
  REQUIRE(rtx[0].second.offset == 11 * kMss);
  REQUIRE(s.delivered == s.app);
  REQUIRE(!s.tx.timer_deadline());
  if (tlp) {
    REQUIRE(rtx[0].first == 2'300 * kUs);
    REQUIRE(s.tx.stats().tlp_probes == 1);
    REQUIRE(s.tx.stats().rtos == 0);
    REQUIRE(s.tx.stats().fast_retransmits == 0);
    REQUIRE(s.tx.cwnd() == 20 * kMss);
    REQUIRE(s.tx.ssthresh() == UINT64_MAX);
    REQUIRE(s.tx.srtt_ps() == 100 * kUs);  // the probe's ACK times nothing (Karn)
  } else {
    REQUIRE(s.tx.srtt_ps() == 5'100 * kUs);
    REQUIRE(s.tx.rto_ps() == 2 * 205'100 * kUs);  // backed off; the ACK of 11 times nothing
    REQUIRE(rtx[0].first == 245'300 * kUs);
    REQUIRE(s.rto_at == std::vector<uint64_t>{245'300 * kUs});
    REQUIRE(s.tx.ssthresh() == 21 * kMss / 2);
    REQUIRE(s.tx.cwnd() == 2 * kMss);
  }
}

// The last two of twelve segments lost, every segment acknowledged at once. The ACKs at
// 100 us (SRTT = min RTT = 100 us) raise cwnd to 20 MSS; the first releases 10 and 11. The
// last ACK leaves both out: PTO = 100 us + 2 * 100 us + 2 ms = 2.3 ms, and the probe resends
// 11. Its ACK at 2.4 ms SACKs it: RACK takes the probe's transmission (2.3 ms) and its RTT
// (100 us, not shorter than the min RTT, so not the original's ACK); 10, sent at 100 us, is
// older than 2.3 ms - (100 us + reo_wnd 25 us): lost. Recovery: ssthresh = cwnd = 10 MSS, 10
// goes at once at 2.4 ms, its ACK at 2.5 ms is a full ACK: cwnd 10 MSS, no RTO.
TEST_CASE("tcp: two lost tail segments are repaired by a probe and RACK", "[tcp]") {
  Sim s(TcpSenderParams{}, Sim::Knobs{});
  s.app = pattern(12 * kMss, 12);
  s.drop = [](const Seg& g, uint32_t copy) { return g.offset >= 10 * kMss && copy == 0; };
  s.watch_recovery();
  s.run();

  const auto rtx = s.retransmissions();
  REQUIRE(rtx.size() == 2);
  REQUIRE(rtx[0].first == 2'300 * kUs);
  REQUIRE(rtx[0].second.offset == 11 * kMss);
  REQUIRE(rtx[1].first == 2'400 * kUs);
  REQUIRE(rtx[1].second.offset == 10 * kMss);
  REQUIRE(s.tx.stats().tlp_probes == 1);
  REQUIRE(s.tx.stats().rack_losses == 1);
  REQUIRE(s.tx.stats().fast_retransmits == 1);
  REQUIRE(s.tx.stats().rtos == 0);
  REQUIRE(s.recovery_exits == std::vector<std::pair<uint64_t, uint64_t>>{{2'500 * kUs, 10 * kMss}});
  REQUIRE(s.tx.ssthresh() == 10 * kMss);
  REQUIRE(s.delivered == s.app);
}

// Segment 2 lost, and its fast retransmission at 100 us too (the scenario of the RTO test
// above, with RACK). The retransmission went after 10..15 in the same instant, but it ends
// lower, so RACK counts it as sent before them. At 200 us their SACKs (RTT 100 us) leave it
// 25 us (reo_wnd) to go; recovery sends new data then. At 300 us the SACKs of that data (sent
// at 200 us) find the retransmission older than 200 us - 125 us: lost, resent at once, its
// ACK at 400 us ends recovery (cwnd = ssthresh = 6 MSS). One episode, no RTO.
TEST_CASE("tcp: RACK finds a lost retransmission when later data is SACKed", "[tcp]") {
  Sim s(TcpSenderParams{}, Sim::Knobs{});
  s.app = pattern(40 * kMss, 13);
  s.drop = [](const Seg& g, uint32_t copy) { return g.offset == 2 * kMss && copy < 2; };
  s.run();

  const auto rtx = s.retransmissions();
  REQUIRE(rtx.size() == 2);
  REQUIRE(rtx[0].first == 100 * kUs);
  REQUIRE(rtx[1].first == 300 * kUs);
  for (const auto& r : rtx) REQUIRE(r.second.offset == 2 * kMss);
  REQUIRE(s.tx.stats().rack_losses == 1);
  REQUIRE(s.tx.stats().fast_retransmits == 1);
  REQUIRE(s.tx.stats().rtos == 0);
  REQUIRE(s.tx.stats().tlp_probes == 0);
  REQUIRE(s.tx.ssthresh() == 6 * kMss);
  REQUIRE(s.delivered == s.app);
}

// Four segments; 2 arrives 20 us late, after 3. The SACK of 3 at 100 us (RTT 100 us) gives 2,
// sent at the same instant, until 0 + 100 us + reo_wnd (100 us / 4 = 25 us) = 125 us; its ACK
// comes at 120 us. No retransmission (with reo_wnd 0 it would go at 100 us), no probe; four
// segments against cwnd 10 do not grow it.
TEST_CASE("tcp: reordering within the RACK reordering window is not a loss", "[tcp]") {
  Sim s(TcpSenderParams{}, Sim::Knobs{});
  s.app = pattern(4 * kMss, 14);
  s.late = [](const Seg& g, uint32_t copy) { return g.offset == 2 * kMss && copy == 0 ? 20 * kUs : 0; };
  s.run();

  REQUIRE(s.retransmissions().empty());
  REQUIRE(s.tx.stats().rack_losses == 0);
  REQUIRE(s.tx.stats().fast_retransmits == 0);
  REQUIRE(s.tx.stats().tlp_probes == 0);
  REQUIRE(s.tx.cwnd() == 10 * kMss);
  REQUIRE(s.delivered == s.app);
}

// RFC 6298 by hand. Samples 100, 300, 200, 10 ms:
//   SRTT 100      RTTVAR 50                                 RTO 100 + max(200, 200) = 300
//   RTTVAR 3/4 50 + 1/4 200 = 87.5    SRTT 7/8 100 + 1/8 300 = 125      RTO 125 + 350 = 475
//   RTTVAR 3/4 87.5 + 1/4 75 = 84.375  SRTT 7/8 125 + 1/8 200 = 134.375  RTO + 337.5 = 471.875
//   RTTVAR 3/4 84.375 + 1/4 124.375 = 94.375  SRTT 7/8 134.375 + 1/8 10 = 118.828125
//                                                            RTO 118.828125 + 377.5 = 496.328125
// No tail loss probe: the Karn section wants the RTO itself (a probe would go at 2 SRTT + 2 ms).
TEST_CASE("tcp: the RTT estimator follows RFC 6298 with Linux's floor", "[tcp]") {
  TcpSenderParams p;
  p.tlp = false;
  TcpSender tx(p, 1 << 20);
  const Bytes data = pattern(20 * kMss, 6);
  REQUIRE(tx.write(data) == data.size());
  REQUIRE(tx.rto_ps() == 1000 * kMs);
  uint64_t t = 0;
  auto exchange = [&](uint64_t rtt) {
    const auto s = tx.next(t);
    REQUIRE(s);
    REQUIRE(!s->retransmission);
    t += rtt;
    tx.on_ack(s->offset + s->len, 1 << 20, {}, t);
  };

  SECTION("the 4 RTTVAR term") {
    exchange(100 * kMs);
    REQUIRE(tx.srtt_ps() == 100 * kMs);
    REQUIRE(tx.rttvar_ps() == 50 * kMs);
    REQUIRE(tx.rto_ps() == 300 * kMs);
    exchange(300 * kMs);
    REQUIRE(tx.srtt_ps() == 125 * kMs);
    REQUIRE(tx.rttvar_ps() == 87'500 * kUs);
    REQUIRE(tx.rto_ps() == 475 * kMs);
    exchange(200 * kMs);
    REQUIRE(tx.srtt_ps() == 134'375 * kUs);
    REQUIRE(tx.rttvar_ps() == 84'375 * kUs);
    REQUIRE(tx.rto_ps() == 471'875 * kUs);
    exchange(10 * kMs);
    REQUIRE(tx.srtt_ps() == 118'828'125'000);
    REQUIRE(tx.rttvar_ps() == 94'375 * kUs);
    REQUIRE(tx.rto_ps() == 496'328'125'000);
    REQUIRE(tx.stats().rtt_samples == 4);
  }
  SECTION("the floor: 100 us gives 200.1 ms") {
    exchange(100 * kUs);
    REQUIRE(tx.rto_ps() == 200'100 * kUs);
  }
  SECTION("Karn: a retransmitted segment's ACK times nothing and keeps the back-off") {
    exchange(100 * kMs);  // RTO 300 ms
    const auto s = tx.next(t);
    REQUIRE(tx.timer_deadline() == t + 300 * kMs);
    t += 300 * kMs;
    tx.on_timer(t);
    REQUIRE(tx.rto_ps() == 600 * kMs);
    REQUIRE(tx.stats().rtos == 1);
    const auto r = tx.next(t);
    REQUIRE(r);
    REQUIRE(r->retransmission);
    REQUIRE(r->offset == s->offset);
    REQUIRE(tx.timer_deadline() == t + 600 * kMs);
    t += 5 * kMs;
    tx.on_ack(r->offset + r->len, 1 << 20, {}, t);
    REQUIRE(tx.srtt_ps() == 100 * kMs);
    REQUIRE(tx.rto_ps() == 600 * kMs);
    REQUIRE(tx.stats().rtt_samples == 1);
    // New data is timed again: 50 ms gives RTTVAR 3/4 50 + 1/4 50 = 50, SRTT 93.75, and
    // the RTO from them, the back-off gone.
    exchange(50 * kMs);
    REQUIRE(tx.srtt_ps() == 93'750 * kUs);
    REQUIRE(tx.rto_ps() == 293'750 * kUs);
  }
}

// Window 3 MSS: three segments go, cwnd (10) would allow more. The ACK at 100 us of two moves
// the edge to 5 MSS: two more. The ACK of all five at 200 us says window 0: nothing goes and
// the persist timer runs. Its samples (100 us; then 200 us, the oldest segment acknowledged)
// give SRTT 112.5 us and RTO 200.1125 ms: the probe is due at 200.3125 ms, then twice that
// interval later. An ACK still at 0 changes nothing; one opening the window resumes sending.
TEST_CASE("tcp: the peer window caps the flight and a zero window waits for the update", "[tcp]") {
  TcpSender tx(TcpSenderParams{}, 3 * kMss);
  const Bytes data = pattern(20 * kMss, 7);
  tx.write(data);
  auto burst = [&](uint64_t t) {
    std::vector<uint64_t> offsets;
    while (auto s = tx.next(t)) {
      REQUIRE(!s->window_probe);
      REQUIRE(s->len == kMss);
      offsets.push_back(s->offset);
    }
    return offsets;
  };
  REQUIRE(burst(0) == std::vector<uint64_t>{0, kMss, 2 * kMss});
  REQUIRE(tx.in_flight() == 3 * kMss);
  REQUIRE(tx.cwnd() == 10 * kMss);

  tx.on_ack(2 * kMss, 3 * kMss, {}, 100 * kUs);
  REQUIRE(burst(100 * kUs) == std::vector<uint64_t>{3 * kMss, 4 * kMss});

  tx.on_ack(5 * kMss, 0, {}, 200 * kUs);
  REQUIRE(tx.unacked() == 0);
  REQUIRE(!tx.next(200 * kUs));
  REQUIRE(tx.srtt_ps() == 112'500'000);
  const uint64_t probe_at = 200 * kUs + 200'112'500'000;
  REQUIRE(tx.timer_deadline() == probe_at);

  tx.on_timer(probe_at - 1);  // early: nothing
  REQUIRE(!tx.next(probe_at - 1));
  tx.on_timer(probe_at);
  const auto probe = tx.next(probe_at);
  REQUIRE(probe);
  REQUIRE(probe->window_probe);
  REQUIRE(probe->offset == 5 * kMss);
  REQUIRE(probe->len == 0);
  REQUIRE(!tx.next(probe_at));
  REQUIRE(tx.timer_deadline() == probe_at + 2 * 200'112'500'000);
  REQUIRE(tx.stats().window_probes == 1);

  tx.on_ack(5 * kMss, 0, {}, probe_at + 100 * kUs);
  REQUIRE(!tx.next(probe_at + 100 * kUs));
  REQUIRE(tx.timer_deadline() == probe_at + 2 * 200'112'500'000);

  // 2.5 MSS of window: two whole segments; the third would not fit whole (no silly windows).
  const uint64_t t = probe_at + 200 * kUs;
  tx.on_ack(5 * kMss, 5 * kMss / 2, {}, t);
  REQUIRE(burst(t) == std::vector<uint64_t>{5 * kMss, 6 * kMss});
  // Retransmission timer, not persist; with two segments out the tail loss probe comes first,
  // at 2 SRTT + 2 ms = 2.225 ms.
  REQUIRE(tx.timer_deadline() == t + 2 * 112'500'000 + 2 * kMs);
  REQUIRE(tx.stats().rtos == 0);
}

// Three segments a round against cwnd 10: cwnd is not what limits the sender, so it stays
// (Linux's cwnd validation); with forty to send it grows again.
TEST_CASE("tcp: an application-limited sender does not grow cwnd", "[tcp]") {
  TcpSender tx(TcpSenderParams{}, 1 << 20);
  uint64_t t = 0;
  auto round = [&](size_t segments) {
    tx.write(pattern(segments * kMss, uint32_t(t)));
    while (tx.next(t)) {
    }
    tx.on_ack(tx.snd_nxt(), 1 << 20, {}, t + 100 * kUs);
    t += kMs;
  };
  for (int r = 0; r < 20; ++r) round(3);
  REQUIRE(tx.cwnd() == 10 * kMss);
  round(40);
  REQUIRE(tx.cwnd() == 20 * kMss);  // the ten it could send, acknowledged
}

// cwnd 40 MSS (two rounds of slow start), RTO 200.1 ms. Idle 1.5 RTOs: halved once, 20.
// Then idle 3.5 RTOs: halved to 10, the initial window, and no further.
TEST_CASE("tcp: cwnd decays after an idle longer than the RTO", "[tcp]") {
  const bool decay = GENERATE(true, false);
  TcpSenderParams p;
  p.slow_start_after_idle = decay;
  TcpSender tx(p, 1 << 20);
  uint64_t t = 0;
  auto round = [&](size_t segments) {
    tx.write(pattern(segments * kMss, uint32_t(segments)));
    while (tx.next(t)) {
    }
    t += 100 * kUs;
    tx.on_ack(tx.snd_nxt(), 1 << 20, {}, t);
  };
  round(10);
  round(20);
  REQUIRE(tx.cwnd() == 40 * kMss);
  REQUIRE(tx.rto_ps() == 200'100 * kUs);
  t = 100 * kUs + 300'150 * kUs;  // the last send was at 100 us
  round(1);
  REQUIRE(tx.cwnd() == (decay ? 20 : 40) * kMss);
  t += 3 * 200'100 * kUs + 100'050 * kUs;
  round(1);
  REQUIRE(tx.cwnd() == (decay ? 10 : 40) * kMss);
}

TEST_CASE("tcp: the send buffer takes what fits and frees what is acknowledged", "[tcp]") {
  TcpSenderParams p;
  p.send_buffer_bytes = 10 * kMss;
  TcpSender tx(p, 1 << 20);
  const Bytes data = pattern(25 * kMss, 8);
  REQUIRE(tx.write(data) == 10 * kMss);
  REQUIRE(tx.space() == 0);
  for (uint64_t i = 0; i < 10; ++i) {
    const auto s = tx.next(0);
    REQUIRE(s);
    const ByteView b = tx.bytes(s->offset, s->len);
    REQUIRE(Bytes(b.begin(), b.end()) == Bytes(data.begin() + s->offset, data.begin() + s->offset + s->len));
  }
  tx.on_ack(4 * kMss, 1 << 20, {}, 100 * kUs);
  REQUIRE(tx.space() == 4 * kMss);
  REQUIRE(tx.write(ByteView(data).sub(10 * kMss)) == 4 * kMss);
  tx.on_ack(10 * kMss, 1 << 20, {}, 200 * kUs);
  REQUIRE(tx.memory_bytes() <= 8 * 4 * kMss + (64 << 10));  // the documented bound
  REQUIRE_THROWS(tx.bytes(9 * kMss, kMss));  // acknowledged, gone
  while (tx.next(200 * kUs)) {
  }
  tx.on_ack(14 * kMss, 1 << 20, {}, 300 * kUs);
  REQUIRE(tx.memory_bytes() == 0);
}

TEST_CASE("tcp: sender parameters are checked", "[tcp]") {
  TcpSenderParams p;
  REQUIRE(p.validate().empty());
  p.rto_min_ps = 2 * p.rto_initial_ps;
  REQUIRE(!p.validate().empty());
  REQUIRE_THROWS_AS(TcpSender(p, 1000), std::invalid_argument);
}

// Property: whatever the channel does, the stream arrives byte-exact and in order, the sender
// never sends beyond the receiver's window, and its memory follows what is unacknowledged.
// Odd seeds: a slow reader and a small buffer, so windows close and reopen (persist probes,
// lost window updates); SACK on even seeds only.
// Run with RACK and TLP (the default) and without: both byte-exact; the RTOs across the seeds
// must drop with them (a lost tail or retransmission no longer waits for the RTO).
TEST_CASE("tcp: bytes cross a lossy reordering duplicating channel exactly", "[tcp]") {
  auto run = [](bool rack_tlp) {
  TcpSenderStats total;
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    CAPTURE(seed);
    CAPTURE(rack_tlp);
    std::mt19937_64 pick(seed);
    TcpSenderParams p;
    p.rack = p.tlp = rack_tlp;
    p.sack = seed % 2 == 0;
    p.send_buffer_bytes = 64 << 10;
    Sim::Knobs k;
    k.seed = seed;
    k.one_way = 20 * kUs;
    k.jitter = 60 * kUs;
    k.loss = double(pick() % 100) / 1000;  // up to 10 %
    k.ack_loss = double(pick() % 100) / 1000;
    k.dup = 0.05;
    k.delayed_acks = true;
    if (seed % 2) {
      k.rcvbuf = 24 << 10;
      k.read_every = 2 * kMs;
    }
    AckPolicyParams ap;
    ap.delack_ps = 1 * kMs;
    Sim s(p, k, ap);
    s.app = pattern(150'000 + pick() % 100'000, uint32_t(seed));
    s.after_ack = [&] {
      const uint64_t live = s.tx.written() - s.tx.snd_una();
      REQUIRE(s.tx.memory_bytes() <= 8 * live + (64 << 10));
    };
    s.run();
    REQUIRE(s.delivered.size() == s.app.size());
    REQUIRE(s.delivered == s.app);
    REQUIRE(s.tx.snd_una() == s.app.size());
    REQUIRE(s.tx.unacked() == 0);
    REQUIRE(s.tx.memory_bytes() == 0);
    REQUIRE(!s.tx.timer_deadline());
    REQUIRE(s.rx.held_bytes() == 0);
    total.rtos += s.tx.stats().rtos;
    total.tlp_probes += s.tx.stats().tlp_probes;
    total.rack_losses += s.tx.stats().rack_losses;
    total.retransmitted_segments += s.tx.stats().retransmitted_segments;
  }
  return total;
  };
  const TcpSenderStats with = run(true), without = run(false);
  std::printf("tcp property: RTOs %llu with RACK-TLP, %llu without; %llu probes, %llu RACK losses; "
              "retransmitted segments %llu and %llu\n",
              (unsigned long long)with.rtos, (unsigned long long)without.rtos,
              (unsigned long long)with.tlp_probes, (unsigned long long)with.rack_losses,
              (unsigned long long)with.retransmitted_segments,
              (unsigned long long)without.retransmitted_segments);
  REQUIRE(without.tlp_probes == 0);
  REQUIRE(without.rack_losses == 0);
  REQUIRE(with.tlp_probes > 0);
  REQUIRE(with.rack_losses > 0);
  REQUIRE(4 * with.rtos <= 3 * without.rtos);  // at least a quarter fewer
}

TEST_CASE("tcp: ACK policy acknowledges every second full segment", "[tcp]") {
  AckPolicyParams p;
  p.quickack_segments = 0;
  AckPolicy a(p);
  REQUIRE(!a.on_segment(true, false, kMss, 1000));
  REQUIRE(a.deadline() == 1000 + 40 * kMs);
  REQUIRE(a.on_segment(true, false, kMss, 2000));
  a.sent_ack();
  REQUIRE(!a.deadline());
  // Small segments: more than one MSS waiting is the rule, not the count.
  REQUIRE(!a.on_segment(true, false, 500, 3000));
  REQUIRE(!a.on_segment(true, false, 500, 4000));
  REQUIRE(a.deadline() == 3000 + 40 * kMs);  // from the first, not pushed by the second
  REQUIRE(a.on_segment(true, false, 500, 5000));
  a.sent_ack();
  // Data sent the other way carries the ACK: the count starts over.
  REQUIRE(!a.on_segment(true, false, kMss, 6000));
  a.sent_ack();
  REQUIRE(!a.on_segment(true, false, kMss, 7000));
  REQUIRE(a.deadline() == 7000 + 40 * kMs);
}

TEST_CASE("tcp: ACK policy answers disorder at once", "[tcp]") {
  AckPolicyParams p;
  p.quickack_segments = 0;
  AckPolicy a(p);
  REQUIRE(a.on_segment(false, false, kMss, 0));  // beyond a hole, or a duplicate
  a.sent_ack();
  REQUIRE(a.on_segment(true, true, kMss, 0));  // into held data
  a.sent_ack();
  REQUIRE(!a.on_segment(true, false, 100, 0));
}

TEST_CASE("tcp: ACK policy quick-acknowledges a connection's first segments", "[tcp]") {
  AckPolicy a;  // 16
  for (int i = 0; i < 16; ++i) {
    REQUIRE(a.on_segment(true, false, 100, uint64_t(i)));
    a.sent_ack();
  }
  REQUIRE(a.quickacks_left() == 0);
  REQUIRE(!a.on_segment(true, false, 100, 16));
  REQUIRE(a.deadline() == 16 + 40 * kMs);
}

TEST_CASE("tcp: reassembler orders SACK blocks by most recent arrival", "[tcp]") {
  StreamReassembler rx;
  const Bytes d = pattern(100, 9);
  auto add = [&](uint64_t from, uint64_t to) { return rx.add(from, ByteView(d).sub(from, to - from)); };
  using B = SackBlocks;
  REQUIRE(add(10, 20) == Arrival::OutOfOrder);
  REQUIRE(rx.sack_blocks(4) == B{{10, 20}});
  REQUIRE(add(30, 40) == Arrival::OutOfOrder);
  REQUIRE(add(50, 60) == Arrival::OutOfOrder);
  REQUIRE(rx.sack_blocks(4) == B{{50, 60}, {30, 40}, {10, 20}});
  REQUIRE(add(20, 25) == Arrival::OutOfOrder);  // extends the oldest block: it comes first
  REQUIRE(rx.sack_blocks(4) == B{{10, 25}, {50, 60}, {30, 40}});
  REQUIRE(rx.sack_blocks(2) == B{{10, 25}, {50, 60}});
  REQUIRE(add(40, 50) == Arrival::OutOfOrder);  // joins two blocks
  REQUIRE(rx.sack_blocks(4) == B{{30, 60}, {10, 25}});
  REQUIRE(add(12, 18) == Arrival::Duplicate);  // within a block: reported first again
  REQUIRE(rx.sack_blocks(4) == B{{10, 25}, {30, 60}});
  REQUIRE(rx.held_bytes() == 45);
  REQUIRE(rx.rcv_nxt() == 0);
  REQUIRE(add(0, 10) == Arrival::FilledHole);
  REQUIRE(rx.rcv_nxt() == 25);
  REQUIRE(rx.sack_blocks(4) == B{{30, 60}});
  REQUIRE(add(25, 28) == Arrival::FilledHole);  // still data held beyond
  REQUIRE(add(5, 29) == Arrival::FilledHole);
  REQUIRE(add(29, 30) == Arrival::FilledHole);
  REQUIRE(rx.rcv_nxt() == 60);
  REQUIRE(rx.sack_blocks(4).empty());
  REQUIRE(add(60, 70) == Arrival::InOrder);
  REQUIRE(add(0, 70) == Arrival::Duplicate);
  REQUIRE(rx.take() == Bytes(d.begin(), d.begin() + 70));
  REQUIRE(rx.take().empty());
}

TEST_CASE("tcp: reassembler keeps the bytes it holds when a copy overlaps them", "[tcp]") {
  StreamReassembler rx(1000);
  REQUIRE(rx.add(1004, Bytes{'B', 'B', 'B', 'B'}) == Arrival::OutOfOrder);
  REQUIRE(rx.add(1000, Bytes(10, 'A')) == Arrival::FilledHole);
  REQUIRE(rx.take() == Bytes{'A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'A', 'A'});
  REQUIRE(rx.add(1020, Bytes(4, 'C')) == Arrival::OutOfOrder);
  REQUIRE(rx.add(1018, Bytes(8, 'D')) == Arrival::OutOfOrder);
  REQUIRE(rx.sack_blocks(1) == SackBlocks{{1018, 1026}});
  REQUIRE(rx.add(1010, Bytes(8, 'E')) == Arrival::FilledHole);
  REQUIRE(rx.take() == Bytes{'E', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'D', 'D', 'C', 'C', 'C', 'C', 'D', 'D'});
}

TEST_CASE("tcp: reassembler rebuilds a stream from overlapping reordered pieces", "[tcp]") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const Bytes d = pattern(60'000, uint32_t(seed));
    StreamReassembler rx;
    Bytes out;
    for (const auto& a : nic::testing::make_schedule(d.size(), rng)) {
      rx.add(a.off, ByteView(d).sub(a.off, a.len));
      const Bytes b = rx.take();
      out.insert(out.end(), b.begin(), b.end());
      for (const auto& [start, end] : rx.sack_blocks(4)) {
        REQUIRE(start > rx.rcv_nxt());
        REQUIRE(end > start);
      }
    }
    REQUIRE(out == d);
    REQUIRE(rx.held_bytes() == 0);
  }
}
