#include "tb/closed_loop/Network.hpp"

#include <algorithm>
#include <cmath>

#include "tb/closed_loop/iscsi_initiator.hpp"
#include "tb/closed_loop/iscsi_target.hpp"
#include "tb/closed_loop/nvme_initiator.hpp"
#include "tb/closed_loop/nvme_target.hpp"
#include "tb/gen/link.hpp"

namespace nic::loop {

using namespace sc_core;

struct Network::Conn {
  uint32_t index = 0;
  std::unique_ptr<TcpPeer> host, target;
  tcp::StreamReassembler target_rx;  // the host's stream at the controller
  std::unique_ptr<Controller> ctrl;
  std::unique_ptr<HostApp> app;
  std::string flow, target_name;
  bool host_ack_now = false, target_ack_now = false;
  uint32_t port = 0;  // its controller's
  bool done = false;  // its application completed every read it was to issue
  std::optional<uint64_t> wake_at[2];  // [0] target, [1] host: the earliest wake scheduled
  tcp::TcpSenderStats seen;  // the controller's sender, as the timeline last saw it
  uint64_t seen_cwnd = 0;
};

namespace {

uint64_t wire_ps(size_t len, uint32_t overhead, double gbps) {
  return uint64_t(std::llround(double(len + overhead) * 8000.0 / gbps));
}

std::optional<uint64_t> earliest(std::optional<uint64_t> a, std::optional<uint64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

std::unique_ptr<Controller> make_controller(const LoopConfig& cfg, uint32_t conn) {
  const uint64_t service_ps = uint64_t(std::llround(cfg.service_us * 1e6));
  if (cfg.iscsi()) {
    IscsiTargetParams p;
    p.seed = cfg.seed;
    p.conn = conn;
    p.status_pdu = cfg.iscsi_status_pdu;
    p.cmd_window = cfg.queue_depth;
    p.service_ps = service_ps;
    p.service_exponential = cfg.service_exponential;
    return std::make_unique<IscsiTarget>(p);
  }
  NvmeTargetParams p;
  p.seed = cfg.seed;
  p.conn = conn;
  p.max_pdu_data = cfg.max_pdu_data;
  p.success_flag = cfg.success_flag;
  p.service_ps = service_ps;
  p.service_exponential = cfg.service_exponential;
  return std::make_unique<NvmeTarget>(p);
}

std::unique_ptr<HostApp> make_app(const LoopConfig& cfg, uint32_t conn) {
  InitiatorParams p;
  p.seed = cfg.seed;
  p.conn = conn;
  p.queue_depth = cfg.queue_depth;
  p.ios = cfg.ios;
  p.io_size = cfg.io_size;
  p.hdgst = cfg.hdgst;
  p.ddgst = cfg.ddgst;
  p.hpda = cfg.hpda;
  p.iscsi_max_recv = cfg.iscsi_max_recv;
  if (cfg.iscsi()) return std::make_unique<IscsiInitiator>(p);
  return std::make_unique<NvmeInitiator>(p);
}

bool later(const uint64_t at_a, uint64_t order_a, uint64_t at_b, uint64_t order_b) {
  return at_a != at_b ? at_a > at_b : order_a > order_b;
}

}  // namespace

Network::Network(sc_module_name name, const LoopConfig& cfg, tb::Platform& top, bool verify,
                 pcap::Writer* pcap_out)
    : sc_module(name),
      cfg_(cfg),
      top_(top),
      verify_(verify),
      pcap_(pcap_out),
      one_way_ps_(uint64_t(std::llround(cfg.rtt_us * 1e6 / 2))),
      line_gbps_(top.opt.cfg.mac.line_rate_gbps),
      sender_gbps_(cfg.sender_gbps > 0 ? cfg.sender_gbps : top.opt.cfg.mac.line_rate_gbps),
      wire_overhead_(top.opt.cfg.mac.wire_overhead_bytes),
      c2h_rng_(gen::Rng::derive(cfg.seed, 0xc2u)),
      h2c_rng_(gen::Rng::derive(cfg.seed, 0x2cu)),
      tap_margin_ps_(wire_ps(top.opt.cfg.mac.max_frame_bytes, wire_overhead_, line_gbps_) + 1000) {
  const net::IpAddr host_ip = net::IpAddr::v4(10, 0, 0, 1);
  ports_.resize(cfg.targets);
  for (uint32_t i = 0; i < cfg.connections; ++i) {
    auto c = std::make_unique<Conn>();
    c->index = i;
    c->port = i % cfg.targets;
    ports_[c->port].conns.push_back(i);
    const net::IpAddr target_ip = net::IpAddr::v4(10, 0, 1, uint8_t(1 + c->port));
    gen::Rng isn = gen::Rng::derive(cfg.seed, 0x15u, i);
    net::FrameSpec h;
    h.src_mac = {0x02, 0, 0, 0, 0, 0x01};
    h.dst_mac = {0x02, 0, 0, 0, 1, uint8_t(1 + c->port)};
    h.tuple = {host_ip, target_ip, uint16_t(49152 + i), cfg.target_port()};
    net::FrameSpec t = h;
    std::swap(t.src_mac, t.dst_mac);
    t.tuple = h.tuple.reversed();
    const uint64_t delack_ps = cfg.delack_us * 1'000'000;
    c->host = std::make_unique<TcpPeer>(h, uint32_t(isn.next()), cfg.tcp, delack_ps);
    c->target = std::make_unique<TcpPeer>(t, uint32_t(isn.next()), cfg.tcp, delack_ps);
    c->flow = net::endpoint_str(host_ip, h.tuple.sport);
    by_flow_.emplace(c->flow, i);
    c->target_name = net::endpoint_str(target_ip, cfg.target_port());
    c->ctrl = make_controller(cfg, i);
    c->app = make_app(cfg, i);
    schedule(uint64_t(std::llround((cfg.start_us + cfg.stagger_us * i) * 1e6)), Event::Open, i);
    conns_.push_back(std::move(c));
  }
  host::HostDriver& d = top.driver;
  d.set_segment_hook([this](const host::StorageHost::SegmentSeen& s) {
    Conn* c = conn_of(s.pf.tuple.reversed());
    if (!c) return;
    HostNote n{HostNote::Segment, c->index, s.pf, s.rcv_nxt_before, s.rcv_nxt};
    n.started = s.started;
    notes_.push_back(std::move(n));
    ev_.notify(SC_ZERO_TIME);
  });
  d.set_ready_hook([this](const net::FiveTuple& h2c) {
    if (Conn* c = conn_of(h2c)) {
      notes_.push_back({HostNote::Ready, c->index, {}});
      ev_.notify(SC_ZERO_TIME);
    }
  });
  top.nic.tx.set_sink([this](ByteView f, uint64_t start, uint64_t end) { from_nic(f, start, end); });
  SC_HAS_PROCESS(Network);
  SC_METHOD(run);
  sensitive << ev_;
  dont_initialize();
}

Network::~Network() = default;

tb::Timeline::Extra Network::timeline_columns() {
  return {{"tcp_cwnd_bytes"},
          {"tcp_retransmits", "tcp_fast_recoveries", "tcp_rtos", "switch_drops", "link_lost"}};
}

void Network::count(Count what, uint64_t t_ps) {
  if (top_.timeline) top_.timeline->count(what, t_ps, 1);
}

void Network::note_sender(Conn& c, uint64_t now) {
  if (!top_.timeline) return;
  const tcp::TcpSender& tx = c.target->tx();
  const tcp::TcpSenderStats& s = tx.stats();
  tb::Timeline& t = *top_.timeline;
  t.count(kRetransmits, now, s.retransmitted_segments - c.seen.retransmitted_segments);
  t.count(kFastRecoveries, now, s.fast_retransmits - c.seen.fast_retransmits);
  t.count(kRtos, now, s.rtos - c.seen.rtos);
  c.seen = s;
  if (tx.cwnd() != c.seen_cwnd) {
    cwnd_total_ = cwnd_total_ - c.seen_cwnd + tx.cwnd();
    c.seen_cwnd = tx.cwnd();
    t.gauge(0, now, uint32_t(std::min<uint64_t>(cwnd_total_, UINT32_MAX)));
  }
}

Network::Conn* Network::conn_of(const net::FiveTuple& h2c) {
  const uint32_t i = uint32_t(h2c.sport) - 49152;
  if (h2c.sport < 49152 || i >= conns_.size() || conns_[i]->host->tuple() != h2c) return nullptr;
  return conns_[i].get();
}

void Network::schedule(uint64_t at_ps, Event::Kind k, uint32_t conn, Bytes frame) {
  const uint64_t now = sc_time_stamp().value();
  events_.push_back({std::max(at_ps, now), next_order_++, k, conn, std::move(frame)});
  std::push_heap(events_.begin(), events_.end(), [](const Event& a, const Event& b) {
    return later(a.at_ps, a.order, b.at_ps, b.order);
  });
  ev_.notify(sc_time::from_value(events_.front().at_ps - now));
}

void Network::run() {
  const uint64_t now = sc_time_stamp().value();
  while (!notes_.empty()) {
    const HostNote n = std::move(notes_.front());
    notes_.pop_front();
    host_note(n, now);
  }
  const auto cmp = [](const Event& a, const Event& b) { return later(a.at_ps, a.order, b.at_ps, b.order); };
  while (!events_.empty() && events_.front().at_ps <= now) {
    std::pop_heap(events_.begin(), events_.end(), cmp);
    Event e = std::move(events_.back());
    events_.pop_back();
    handle(e, now);
  }
  flush_tap(now > tap_margin_ps_ ? now - tap_margin_ps_ : 0);
  // Every read is done: what is left (timers, last ACKs) would only stretch simulated time.
  if (all_done()) events_.clear();
  if (!events_.empty()) ev_.notify(sc_time::from_value(events_.front().at_ps - now));
}

void Network::handle(Event& e, uint64_t now) {
  if (e.kind == Event::PortWake) {
    Port& p = ports_[e.conn];
    if (p.wake_at && *p.wake_at == e.at_ps) p.wake_at.reset();
    return pump_port(p, now);
  }
  if (e.kind == Event::ToSwitch) return to_switch(e.frame, now);
  Conn& c = *conns_[e.conn];
  switch (e.kind) {
    case Event::Open:
      host_send(c, c.host->syn());
      break;
    case Event::HostWake:
    case Event::TargetWake: {
      auto& w = c.wake_at[e.kind == Event::HostWake];
      if (w && *w == e.at_ps) w.reset();
      if (e.kind == Event::HostWake)
        pump_host(c, now);
      else
        pump_target(c, now);
      break;
    }
    default:  // ToTarget
      target_receive(c, e.frame, now);
      break;
  }
}

void Network::wake(Conn& c, bool host, std::optional<uint64_t> at) {
  if (!at || all_done()) return;
  auto& w = c.wake_at[host];
  if (w && *w <= *at) return;
  w = *at;
  schedule(*at, host ? Event::HostWake : Event::TargetWake, c.index);
}


// --- the host's side ------------------------------------------------------------------------

void Network::host_note(const HostNote& n, uint64_t now) {
  Conn& c = *conns_[n.conn];
  const auto write = [&c](ByteView b) { c.host->write(b); };
  switch (n.kind) {
    case HostNote::Ready:
      c.app->received(host_in_order(c), now, write);
      c.app->ready(now, write);
      break;
    case HostNote::Completed:
      c.app->completed(n.tag, n.ok, n.at_ps, write);
      if (c.app->done() && !c.done) {
        c.done = true;
        ++conns_done_;
      }
      break;
    case HostNote::Segment: {
      const net::ParsedFrame& pf = n.pf;
      if (pf.tcp_flags & net::tcpflag::SYN) {
        if (c.host->have_peer()) break;  // a repeated SYN-ACK
        c.host->peer_syn(pf.seq);
        c.host->on_peer_frame(pf, now);  // the window it offers
        c.app->open(write);
        break;
      }
      c.host->on_peer_frame(pf, now);
      if (!pf.payload_len || !n.started) break;
      const bool in_order = pf.seq == n.before;
      const uint32_t advanced = n.after - n.before;
      // In order while bytes beyond a hole are held (or just joined): Linux ACKs at once.
      const bool filled = in_order && (advanced > pf.payload_len || !host_rx_view(c).sack.empty());
      c.host_ack_now |= c.host->acks().on_segment(in_order, filled, uint32_t(pf.payload_len), now);
      c.app->received(host_in_order(c), now, write);
      break;
    }
  }
  pump_host(c, now);
}

RxView Network::host_rx_view(const Conn& c) const {
  RxView v;
  v.window = cfg_.host_window_bytes;
  if (!top_.driver.rx_view(c.host->tuple(), TcpPeer::kMaxSackBlocks, v.rcv_nxt, v.sack))
    v.rcv_nxt = c.host->peer_first_seq();
  return v;
}

uint32_t Network::host_in_order(const Conn& c) const {
  return host_rx_view(c).rcv_nxt - c.host->peer_first_seq();
}

void Network::pump_host(Conn& c, uint64_t now) {
  if (!c.host->have_peer()) return;  // nothing flows before the SYN-ACK
  tcp::TcpSender& tx = c.host->tx();
  tcp::AckPolicy& ap = c.host->acks();
  if (const auto d = tx.timer_deadline(); d && *d <= now) tx.on_timer(now);
  const RxView rx = host_rx_view(c);
  bool sent = false;
  while (const auto s = tx.next(now)) {
    host_send(c, c.host->frame(&*s, rx));
    sent = true;
  }
  const auto due = ap.deadline();
  if (!sent && (c.host_ack_now || (due && *due <= now))) {
    host_send(c, c.host->frame(nullptr, rx));
    sent = true;
  }
  if (sent) ap.sent_ack();
  c.host_ack_now = false;
  wake(c, true, earliest(tx.timer_deadline(), ap.deadline()));
}

void Network::host_send(Conn&, const Bytes& frame) { top_.driver.send(frame); }

void Network::completed(const host::CommandRecord& r) {
  const auto it = by_flow_.find(r.flow);
  if (it == by_flow_.end()) return;  // not one of ours: the verdict says what it was
  HostNote n{HostNote::Completed, it->second, {}};
  n.tag = r.tag;
  n.ok = r.status == "ok";
  n.at_ps = r.complete_ps;
  notes_.push_back(std::move(n));
  ev_.notify(SC_ZERO_TIME);
}

// --- the controller's side ------------------------------------------------------------------

RxView Network::target_rx_view(const Conn& c) const {
  RxView v;
  v.rcv_nxt = c.target->peer_seq(c.target_rx.rcv_nxt());
  for (const auto& [l, r] : c.target_rx.sack_blocks(TcpPeer::kMaxSackBlocks))
    v.sack.emplace_back(c.target->peer_seq(l), c.target->peer_seq(r));
  v.window = cfg_.host_window_bytes;  // a controller's receive buffer, as large as the host's
  return v;
}

void Network::target_receive(Conn& c, Bytes& frame, uint64_t now) {
  net::ParsedFrame pf;
  if (net::parse_frame(frame, pf) != net::ParseError::None || !pf.tcp_checksum_ok) return;
  if (pf.tcp_flags & net::tcpflag::SYN) {
    // The handshake is not impaired (docs/closed-loop.md); the SYN-ACK takes the port.
    if (!c.target->have_peer()) c.target->peer_syn(pf.seq);
    Port& p = ports_[c.port];
    Bytes syn = c.target->syn();
    const uint64_t start = std::max(p.free_ps, now);
    p.free_ps = start + wire_ps(syn.size(), wire_overhead_, sender_gbps_);
    schedule(start + one_way_ps_, Event::ToSwitch, c.index, std::move(syn));
    return;
  }
  if (!c.target->have_peer()) return;
  c.target->on_peer_frame(pf, now);
  if (pf.payload_len) {
    const uint64_t off = c.target->peer_offset(pf.seq, c.target_rx.rcv_nxt());
    const ByteView payload(frame.data() + pf.payload_offset, pf.payload_len);
    const tcp::Arrival a = c.target_rx.add(off, payload);
    using A = tcp::Arrival;
    c.target_ack_now |= c.target->acks().on_segment(a == A::InOrder || a == A::FilledHole,
                                                    a == A::FilledHole, uint32_t(pf.payload_len), now);
    if (c.target_rx.readable()) c.ctrl->on_host_bytes(c.target_rx.take(), now);
  }
  pump_target(c, now);
}

void Network::pump_target(Conn& c, uint64_t now) {
  if (!c.target->have_peer()) return;
  tcp::TcpSender& tx = c.target->tx();
  c.ctrl->take_ready(now, [&c](ByteView b) { c.target->write(b); });
  if (const auto d = tx.timer_deadline(); d && *d <= now) tx.on_timer(now);
  pump_port(ports_[c.port], now);
  note_sender(c, now);
  wake(c, false, earliest(c.ctrl->next_ready(), earliest(tx.timer_deadline(), c.target->acks().deadline())));
}

std::optional<Bytes> Network::target_frame(Conn& c, uint64_t now) {
  if (!c.target->have_peer()) return std::nullopt;
  tcp::AckPolicy& ap = c.target->acks();
  Bytes f;
  if (const auto s = c.target->tx().next(now)) {
    f = c.target->frame(&*s, target_rx_view(c));
  } else {
    const auto due = ap.deadline();
    if (!c.target_ack_now && !(due && *due <= now)) return std::nullopt;
    f = c.target->frame(nullptr, target_rx_view(c));
  }
  ap.sent_ack();
  c.target_ack_now = false;
  return f;
}

void Network::pump_port(Port& p, uint64_t now) {
  const size_t n = p.conns.size();
  while (p.free_ps <= now) {
    bool sent = false;
    for (size_t k = 0; k < n && !sent; ++k) {
      Conn& c = *conns_[p.conns[(p.next + k) % n]];
      std::optional<Bytes> f = target_frame(c, now);
      if (!f) continue;
      sent = true;
      p.next = (p.next + k + 1) % n;
      p.free_ps = now + wire_ps(f->size(), wire_overhead_, sender_gbps_);
      cross(cfg_.c2h, c2h_rng_, res_.c2h, [&](uint64_t extra_ps, Bytes copy) {
        schedule(now + one_way_ps_ + extra_ps, Event::ToSwitch, c.index, std::move(copy));
      }, *f);
      wake(c, false, c.target->tx().timer_deadline());  // sending may have armed it
      note_sender(c, now);
    }
    if (!sent) return;
  }
  // Busy: whatever waits goes when the port is free.
  if (all_done() || (p.wake_at && *p.wake_at <= p.free_ps)) return;
  p.wake_at = p.free_ps;
  schedule(p.free_ps, Event::PortWake, uint32_t(&p - ports_.data()));
}

// --- the network ----------------------------------------------------------------------------

template <class Deliver>
void Network::cross(const LinkImpairments& imp, gen::Rng& rng, LinkStats& st, Deliver&& deliver,
                    const Bytes& frame) {
  ++st.frames;
  if (!imp.any()) return deliver(0, frame);
  if (rng.chance(imp.loss)) {
    ++st.lost;
    count(kLinkLost, sc_time_stamp().value());
    return;
  }
  uint64_t extra = 0;
  if (rng.chance(imp.reorder)) {
    ++st.reordered;
    extra = uint64_t(std::llround(imp.reorder_us * 1e6));
  }
  deliver(extra, frame);
  if (rng.chance(imp.dup)) {
    ++st.duplicated;
    deliver(extra + wire_ps(frame.size(), wire_overhead_, line_gbps_), frame);
  }
}

void Network::to_switch(Bytes& frame, uint64_t now) {
  const uint64_t start = std::max(now, egress_free_ps_);
  // What waits ahead of this frame, in bytes at the port's rate.
  const uint64_t queued = uint64_t(double(start - now) * line_gbps_ / 8000.0);
  if (queued + frame.size() > cfg_.switch_buffer_bytes) {
    ++res_.switch_drops;
    count(kSwitchDrops, now);
    return;
  }
  res_.switch_max_queue_bytes = std::max<uint64_t>(res_.switch_max_queue_bytes, queued + frame.size());
  egress_free_ps_ = start + wire_ps(frame.size(), wire_overhead_, line_gbps_);
  tap(start, frame);
  ++res_.frames_to_nic;
  res_.wire_bytes_to_nic += frame.size();
  hw::PacketCtx* p = top_.pool.get();
  p->reset();
  p->index = res_.frames_to_nic;
  p->frame.swap(frame);
  to_mac_.push_back(p);
  to_mac_ts_.push_back(start);
  if (mac_starved_) {
    mac_starved_ = false;
    top_.nic.mac.more();
  }
}

hw::PacketCtx* Network::next_rx(uint64_t& ts_ps) {
  if (to_mac_.empty()) {
    mac_starved_ = true;
    return nullptr;
  }
  hw::PacketCtx* p = to_mac_.front();
  ts_ps = to_mac_ts_.front();
  to_mac_.pop_front();
  to_mac_ts_.pop_front();
  return p;
}

void Network::from_nic(ByteView frame, uint64_t start_ps, uint64_t end_ps) {
  ++res_.frames_from_nic;
  tap(start_ps, frame);
  net::ParsedFrame pf;
  if (net::parse_frame(frame, pf, false) != net::ParseError::None) return;
  Conn* c = conn_of(pf.tuple);
  if (!c) return;
  const Bytes f(frame.begin(), frame.end());
  cross(cfg_.h2c, h2c_rng_, res_.h2c, [&](uint64_t extra_ps, Bytes copy) {
    schedule(end_ps + one_way_ps_ + extra_ps, Event::ToTarget, c->index, std::move(copy));
  }, f);
}

// --- the capture tap ------------------------------------------------------------------------

void Network::tap(uint64_t at_ps, ByteView frame) {
  if (!pcap_ && !verify_) return;
  tapped_.push_back({at_ps, tap_order_++, Bytes(frame.begin(), frame.end())});
  std::push_heap(tapped_.begin(), tapped_.end(), [](const Tapped& a, const Tapped& b) {
    return later(a.at_ps, a.order, b.at_ps, b.order);
  });
}

void Network::flush_tap(uint64_t up_to_ps) {
  const auto cmp = [](const Tapped& a, const Tapped& b) { return later(a.at_ps, a.order, b.at_ps, b.order); };
  while (!tapped_.empty() && tapped_.front().at_ps <= up_to_ps) {
    std::pop_heap(tapped_.begin(), tapped_.end(), cmp);
    Tapped t = std::move(tapped_.back());
    tapped_.pop_back();
    ++res_.tapped_frames;
    if (pcap_) pcap_->write(gen::kTraceEpochNs + t.at_ps / 1000, t.frame);
    if (verify_) top_.reference.add(t.frame);
  }
}

void Network::finish() { flush_tap(UINT64_MAX); }

LoopResult Network::result() const {
  LoopResult r = res_;
  r.all_done = all_done();
  for (const auto& c : conns_) {
    ConnResult k;
    k.flow = c->flow;
    k.target = c->target_name;
    k.io = c->app->figures();
    k.unfinished = c->app->in_flight();
    k.target_tcp = c->target->tx().stats();
    k.host_tcp = c->host->tx().stats();
    k.target_pure_acks = c->target->pure_acks();
    k.host_pure_acks = c->host->pure_acks();
    k.controller = c->ctrl->stats();
    k.failure = c->ctrl->failure();
    r.total.merge(k.io);
    r.conns.push_back(std::move(k));
  }
  r.end_ps = r.total.last_complete_ps;
  return r;
}

}  // namespace nic::loop
