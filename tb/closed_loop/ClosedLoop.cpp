#include "tb/closed_loop/ClosedLoop.hpp"

#include <memory>

#include "tb/closed_loop/Network.hpp"
#include "tb/replay/Platform.hpp"

namespace nic::loop {

namespace {

// The network's and the TCP ends' counters, in the report's flat counters.
void loop_counters(const LoopResult& l, std::map<std::string, uint64_t>& c) {
  tcp::TcpSenderStats t, h;
  uint64_t t_acks = 0, h_acks = 0;
  for (const ConnResult& k : l.conns) {
    add_sender_stats(t, k.target_tcp);
    add_sender_stats(h, k.host_tcp);
    t_acks += k.target_pure_acks;
    h_acks += k.host_pure_acks;
  }
  for (const auto& [side, s] : {std::pair<const char*, const tcp::TcpSenderStats*>{"target", &t}, {"host", &h}}) {
    const std::string p = std::string("tcp_") + side + "_";
    c[p + "segments"] = s->segments;
    c[p + "retransmitted_segments"] = s->retransmitted_segments;
    c[p + "retransmitted_bytes"] = s->retransmitted_bytes;
    c[p + "fast_retransmits"] = s->fast_retransmits;
    c[p + "rtos"] = s->rtos;
    c[p + "tlp_probes"] = s->tlp_probes;
    c[p + "rack_losses"] = s->rack_losses;
  }
  c["tcp_target_pure_acks"] = t_acks;
  c["tcp_host_pure_acks"] = h_acks;
  c["link_c2h_lost"] = l.c2h.lost;
  c["link_c2h_duplicated"] = l.c2h.duplicated;
  c["link_c2h_reordered"] = l.c2h.reordered;
  c["link_h2c_lost"] = l.h2c.lost;
  c["link_h2c_duplicated"] = l.h2c.duplicated;
  c["link_h2c_reordered"] = l.h2c.reordered;
  c["switch_drops"] = l.switch_drops;
  c["switch_max_queue_bytes"] = l.switch_max_queue_bytes;
  c["nic_tx_frames"] = l.frames_from_nic;
  c["loop_reads"] = l.total.reads;
  c["loop_read_errors"] = l.total.errors;
}

}  // namespace

ClosedLoopResult run_closed_loop(const ClosedLoopOptions& o) {
  validate(o.platform.cfg);
  o.loop.validate();
  std::unique_ptr<pcap::Writer> out;
  if (!o.pcap_out.empty()) out = std::make_unique<pcap::Writer>(o.pcap_out);
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  // Every completed read reaches the network (its application issues the next one) before
  // whoever else wants it.
  Network* net = nullptr;
  std::vector<host::CommandRecord> kept;
  tb::ReplayOptions po = o.platform;
  po.host_transmits = true;
  po.timeline_extra = Network::timeline_columns();
  po.on_command = [&net, &kept, user = o.platform.on_command](const host::CommandRecord& c) {
    net->completed(c);
    if (user)
      user(c);
    else
      kept.push_back(c);
  };
  tb::Platform top("top", po);
  Network network("network", o.loop, top, po.verify, out.get());
  net = &network;
  top.source = &network;
  ClosedLoopResult r;
  r.nic = tb::run_platform(top, po, [&network] { return network.frames_to_nic(); },
                           [&network] { network.finish(); });
  if (out) out->close();
  r.nic.commands = std::move(kept);
  r.loop = network.result();
  r.nic.c2h_wire_bytes = r.loop.wire_bytes_to_nic;
  r.nic.records = r.loop.tapped_frames;
  loop_counters(r.loop, r.nic.counters);
  // The transmit path the host's frames took (a replay has none, and no such counters).
  const hw::TxStats& tx = top.nic.tx.stats();
  auto& c = r.nic.counters;
  c["tx_frames"] = tx.frames;
  c["tx_bytes"] = tx.bytes;
  c["tx_descriptor_fetches"] = tx.fetches;
  c["tx_stall_buffer_cycles"] = tx.stall_buffer_cycles;
  c["tx_stall_dma_cycles"] = tx.stall_dma_cycles;
  c["tx_max_buffer_bytes"] = tx.max_buffer_bytes;
  c["driver_tx_posted"] = r.nic.driver.tx_posted;
  c["driver_tx_backlogged"] = r.nic.driver.tx_backlogged;
  c["driver_tx_doorbells"] = r.nic.driver.tx_doorbells;
  // A closed loop retransmits what was lost: a read left unfinished is a failure of the run.
  for (const ConnResult& k : r.loop.conns) {
    if (!k.failure.empty())
      r.nic.verdict.mismatches.push_back(k.flow + ": the controller stopped: " + k.failure);
    if (k.unfinished)
      r.nic.verdict.mismatches.push_back(k.flow + ": " + std::to_string(k.unfinished) +
                                         " reads issued and never completed");
  }
  return r;
}

}  // namespace nic::loop
