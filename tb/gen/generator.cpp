#include "tb/gen/generator.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include "tb/gen/connection.hpp"
#include "tb/gen/iscsi_connection.hpp"
#include "tb/gen/link.hpp"
#include "tb/gen/workload.hpp"
#include "tb/pcap/pcap_io.hpp"

namespace nic::gen {

namespace {

constexpr uint64_t kScheduleSalt = 3;
constexpr uint64_t kPortSalt = 5;
constexpr uint16_t kEphemeralLo = 32768, kEphemeralHi = 60999;  // Linux default range
constexpr uint64_t kConnectStaggerPs = 1'000'000;               // connections open 1 us apart
const net::MacAddr kHostMac{0x02, 0x4e, 0x56, 0x00, 0x00, 0x01};
const net::MacAddr kControllerMac{0x02, 0x4e, 0x56, 0x00, 0x00, 0x02};

std::vector<uint16_t> host_ports(const GenConfig& cfg) {
  Rng rng = Rng::derive(cfg.seed, kPortSalt);
  std::set<uint16_t> used;
  std::vector<uint16_t> ports;
  while (ports.size() < cfg.flows) {
    const auto p = uint16_t(rng.range(kEphemeralLo, kEphemeralHi));
    if (used.insert(p).second) ports.push_back(p);
  }
  return ports;
}

std::vector<std::unique_ptr<Connection>> make_connections(const GenConfig& cfg, Totals& totals) {
  const auto host_ip = net::IpAddr::parse(cfg.ipv6 ? "fd00:100::1" : "192.168.100.1");
  const auto ctrl_ip = net::IpAddr::parse(cfg.ipv6 ? "fd00:100::2" : "192.168.100.2");
  const auto ports = host_ports(cfg);
  auto plans = plan_reads(cfg);
  std::vector<std::unique_ptr<Connection>> conns;
  for (uint32_t i = 0; i < cfg.flows; ++i) {
    ConnectionSetup s;
    s.index = i;
    s.host = {kHostMac, host_ip, ports[i]};
    s.controller = {kControllerMac, ctrl_ip, cfg.target_port()};
    s.start_ps = i * kConnectStaggerPs;
    if (cfg.ulp == Ulp::Iscsi)
      conns.push_back(std::make_unique<IscsiConnection>(cfg, s, std::move(plans[i]), totals));
    else
      conns.push_back(std::make_unique<NvmeTcpConnection>(cfg, s, std::move(plans[i]), totals));
  }
  return conns;
}

// The capture point: one link per direction, frames written in start-time order.
class Wire {
 public:
  Wire(double gbps, const FrameSink& sink, Totals& totals)
      : gbps_(gbps), sink_(sink), totals_(totals) {}

  // Earliest start for a frame that is ready at `ready_ps`: the link must be free, and the
  // capture stays in time order.
  uint64_t earliest(Dir d, uint64_t ready_ps) const {
    return std::max({ready_ps, free_[int(d)], last_start_});
  }
  // Sends `frame` at `start_ps`; returns when its last bit has arrived.
  uint64_t send(Dir d, uint64_t start_ps, const Bytes& frame) {
    sink_(kTraceEpochNs + start_ps / 1000, frame);
    const uint64_t end = start_ps + wire_ps(frame.size(), gbps_);
    if (totals_.packets == 0) first_start_ = start_ps;
    ++totals_.packets;
    totals_.bytes += frame.size();
    if (d == Dir::C2H) {
      if (totals_.c2h_packets == 0) c2h_first_ = start_ps;
      ++totals_.c2h_packets;
      totals_.c2h_wire_bytes += frame.size() + kWireOverhead;
      c2h_last_end_ = end;
    } else {
      ++totals_.h2c_packets;
    }
    free_[int(d)] = end;
    last_start_ = start_ps;
    last_end_ = std::max(last_end_, end);
    return end;
  }
  void finish() {
    totals_.first_ts_ns = kTraceEpochNs + first_start_ / 1000;
    totals_.last_ts_ns = kTraceEpochNs + last_start_ / 1000;
    totals_.duration_ns = (last_end_ - first_start_) / 1000;
    totals_.c2h_busy_ns = (c2h_last_end_ - c2h_first_) / 1000;
    const double busy_ns = double(c2h_last_end_ - c2h_first_) / 1000.0;
    if (busy_ns > 0) {
      totals_.offered_gbps = double(totals_.c2h_wire_bytes) * 8 / busy_ns;
      totals_.read_gbps = double(totals_.read_bytes) * 8 / busy_ns;
    }
  }

 private:
  double gbps_;
  const FrameSink& sink_;
  Totals& totals_;
  uint64_t free_[2] = {0, 0};
  uint64_t last_start_ = 0, last_end_ = 0, first_start_ = 0;
  uint64_t c2h_first_ = 0, c2h_last_end_ = 0;
};

struct Pick {
  Connection* conn;
  Dir dir;
  uint64_t start_ps;
};

// The frame that can start first on either link; ties (the usual case on a busy link) go to
// a random connection so that flows interleave.
std::optional<Pick> choose(const std::vector<std::unique_ptr<Connection>>& conns,
                           const Wire& wire, Rng& rng) {
  std::vector<Pick> tied;
  uint64_t best = UINT64_MAX;
  for (const auto& c : conns) {
    for (Dir d : {Dir::H2C, Dir::C2H}) {
      const auto ready = c->ready(d);
      if (!ready) continue;
      const uint64_t start = wire.earliest(d, *ready);
      if (start > best) continue;
      if (start < best) tied.clear();
      best = start;
      tied.push_back({c.get(), d, start});
    }
  }
  if (tied.empty()) return std::nullopt;
  return tied[rng.below(tied.size())];
}

void transmit(const Pick& p, Wire& wire) {
  uint64_t t = p.start_ps;
  for (const Emission& e : p.conn->take(p.dir, t)) {
    const Bytes frame = p.conn->frame(p.dir, e, t);
    const uint64_t end = wire.send(p.dir, t, frame);
    if (e.reaches_host()) p.conn->deliver(p.dir, e.seg, t, end);
    t = end;
  }
}

}  // namespace

Truth generate(const GenConfig& cfg, const FrameSink& sink) {
  if (const std::string err = cfg.validate(); !err.empty()) throw std::invalid_argument(err);
  Truth truth;
  truth.config = cfg;
  Totals& totals = truth.totals;
  auto conns = make_connections(cfg, totals);
  Rng rng = Rng::derive(cfg.seed, kScheduleSalt);
  Wire wire(cfg.link_gbps, sink, totals);
  while (const auto pick = choose(conns, wire, rng)) transmit(*pick, wire);

  for (const auto& c : conns) {
    if (!c->finished())
      throw std::logic_error("gen: connection " + c->truth().host + " stalled with reads pending");
    truth.connections.push_back(c->truth());
    for (const auto& cmd : c->commands()) {
      truth.commands.push_back(cmd);
      truth.commands.back().connection = uint32_t(truth.connections.size() - 1);
      totals.read_bytes += cmd.length;
    }
  }
  totals.commands = truth.commands.size();
  wire.finish();
  return truth;
}

Truth generate_pcap(const GenConfig& cfg, const std::string& pcap_path) {
  if (const std::string err = cfg.validate(); !err.empty()) throw std::invalid_argument(err);
  pcap::Writer w(pcap_path);
  Truth t = generate(cfg, [&w](uint64_t ts_ns, ByteView frame) { w.write(ts_ns, frame); });
  w.close();
  return t;
}

}  // namespace nic::gen
