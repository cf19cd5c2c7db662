#include "tb/replay/Replay.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <deque>
#include <fstream>

#include "proto/iscsi.hpp"
#include "tb/replay/Platform.hpp"
#include "tb/replay/TraceFeeder.hpp"
#include "util/sha256.hpp"

namespace nic::tb {

using namespace sc_core;

namespace {

// "too many VLAN tags" -> too_many_vlan_tags, "PlenTooSmall" -> plen_too_small.
std::string counter_key(const char* text) {
  std::string k;
  bool prev_lower = false;
  for (const char* p = text; *p; ++p) {
    const unsigned char ch = static_cast<unsigned char>(*p);
    if (!std::isalnum(ch)) {
      if (!k.empty() && k.back() != '_') k += '_';
      prev_lower = false;
      continue;
    }
    if (std::isupper(ch) && prev_lower) k += '_';
    k += char(std::tolower(ch));
    prev_lower = std::islower(ch) || std::isdigit(ch);
  }
  return k;
}


// What a flow's tracker and digest engine counted, under the report's names: the aggregate
// counters and every flow's share of them.
template <class Put>
void tracker_counters(const hw::FlowFigures& ff, Put&& put) {
  const hw::TrackerStats& s = ff.tracker;
  put("tracker_holes", s.holes);
  put("tracker_holes_in_data", s.holes_in_data);
  put("tracker_framing_lost", s.framing_lost);
  put("tracker_stale", s.stale);
  put("tracker_candidates", s.candidates);
  put("tracker_candidates_dropped", s.candidates_dropped);
  put("tracker_resync_requests", s.resync_requests);
  put("tracker_resyncs_confirmed", s.resyncs_confirmed);
  put("tracker_resyncs_ignored", s.resyncs_ignored);
  put("tracker_headers_recovered", s.headers_recovered);
  put("crc_pdus_verified_ok", ff.crc_verified_ok);
  put("crc_pdus_digest_error", ff.crc_digest_error);
  put("crc_pdus_hole_filled", ff.crc_hole_filled);
  put("crc_pdus_abandoned", ff.crc_abandoned);
}

// What the driver's receive path counted, likewise.
template <class Put>
void rx_counters(const host::RxStats& sw, Put&& put) {
  put("sw_data_pdus", sw.data_pdus);
  put("sw_hw_crc_pdus", sw.hw_crc_pdus);
  put("sw_sw_crc_pdus", sw.sw_crc_pdus);
  put("sw_digest_errors", sw.digest_errors);
  put("c2h_data_bytes_placed", sw.placed_bytes);
  put("c2h_data_bytes_copied", sw.copied_bytes);
  put("sw_misplaced_bytes", sw.misplaced_bytes);
  put("sw_unknown_cid_pdus", sw.unknown_tag_pdus);
  put("sw_overrun_pdus", sw.overrun_pdus);
  put("sw_rejected_pdus", sw.rejected_pdus);
  put("sw_overlap_pdus", sw.overlap_pdus);
  put("sw_misplaced_reads", sw.misplaced_reads);
  put("sw_late_reads", sw.late_reads);
  put("sw_connections_framing_lost", sw.framing_failures);
  put("sw_connections_terminated", sw.terminated);
}

// Every connection the driver followed, joined with its NIC flow context's figures by the
// handle the driver gave it at sk_add. Cache misses only for the caches the NIC has.
std::vector<FlowReport> flow_reports(const host::HostDriver& driver, const hw::FlowContexts& flows,
                                     bool ctx_cache, bool ddp_cache) {
  const std::map<uint32_t, hw::FlowFigures> nic = flows.per_flow();
  std::vector<FlowReport> out;
  for (const host::ConnFigures& k : driver.conn_figures()) {
    FlowReport f;
    f.flow = k.name;
    f.target = k.target;
    f.protocol = k.protocol;
    const auto it = k.handle ? nic.find(k.handle) : nic.end();
    f.offloaded = it != nic.end();
    const hw::FlowFigures ff = f.offloaded ? it->second : hw::FlowFigures{};
    const hw::FlowCounters& b = ff.blocks;
    f.offered_frames = k.rx.frames + b.drop_rx_ring_full;
    f.offered_payload_bytes = k.rx.payload_bytes + b.drop_rx_ring_full_payload;
    const auto put = [&](const char* name, uint64_t v) { f.counters.emplace_back(name, v); };
    put("placement_bytes_placed", b.bytes_placed);
    rx_counters(k.sw, put);
    put("bypass_flow_miss", k.rx.flow_miss);
    put("bypass_bad_checksum", k.rx.bad_checksum);
    put("bypass_out_of_seq", b.out_of_seq);
    put("bypass_searching", b.searching);
    put("drop_rx_ring_full", b.drop_rx_ring_full);
    if (ctx_cache) put("ctx_cache_misses", b.ctx_misses);
    if (ddp_cache) put("ddp_cache_misses", b.ddp_misses);
    tracker_counters(ff, put);
    out.push_back(std::move(f));
  }
  return out;
}


LatencyFigures latency_figures(const char* name, const hw::LatencyHistogram& h) {
  return {name, h.count(), h.percentile(0.5), h.percentile(0.99), h.percentile(0.999), h.max()};
}

FifoReport fifo_report(const char* name, const char* unit, const hw::Occupancy& o,
                       uint32_t bucket) {
  FifoReport r;
  r.name = name;
  r.unit = unit;
  r.capacity = o.capacity();
  r.high_watermark = o.high_watermark();
  r.cycles_full = o.cycles_full();
  r.p50 = o.percentile(0.5);
  r.p99 = o.percentile(0.99);
  r.bucket = bucket;
  const auto& h = o.hist();
  for (size_t lo = 0; lo < h.size(); lo += bucket) {
    uint64_t n = 0;
    for (size_t i = lo; i < std::min(h.size(), lo + bucket); ++i) n += h[i];
    if (n) r.histogram.push_back({uint32_t(lo), n});
  }
  return r;
}

template <class T>
FifoReport channel_report(const char* name, const hw::StreamChannel<T>& c) {
  FifoReport r = fifo_report(name, "beats", c.stats(), 1);
  r.blocked_cycles = c.blocked_cycles();
  return r;
}

FeederParams feeder_params(const ReplayOptions& o) {
  FeederParams f;
  f.target_ports = o.nvme_ports;
  f.target_ports.ports.insert(f.target_ports.ports.end(), o.iscsi_ports.ports.begin(),
                              o.iscsi_ports.ports.end());
  f.fix_checksums = o.fix_checksums;
  f.max_frame_bytes = o.cfg.mac.max_frame_bytes;
  f.split_gso = o.split_gso;
  f.gso_mss = o.gso_mss;
  f.honour_timestamps = o.honour_timestamps;
  f.line_rate_gbps = o.cfg.mac.line_rate_gbps;
  f.wire_overhead_bytes = o.cfg.mac.wire_overhead_bytes;
  return f;
}

}  // namespace

ReplayResult run_platform(Platform& top, const ReplayOptions& opt,
                          const std::function<uint64_t()>& records,
                          const std::function<void()>& at_end) {
  ReplayResult r;
  hw::LatencyBreakdown<host::kReadStages> read_parts;
  hw::LatencyHistogram read_total;
  top.driver.set_completion_hook([&](host::CommandRecord& c, ByteView buffer) {
    host::ReadStamps stamps;
    if (c.stamps(stamps)) read_parts.add(stamps);
    read_total.add((c.complete_ps - c.submit_ps) / 1000);
    // Hashing every read is a tenth of a replay: only when the report asks for digests.
    if (opt.read_digests)
      c.sha256 = sha256_hex(buffer);
    else
      c.sha256.clear();
    if (opt.verify) top.judge.driver(c, buffer);
    if (top.timeline) top.timeline->read_done(c.complete_ps, c.complete_ps - c.submit_ps);
    if (opt.on_command)
      opt.on_command(c);
    else
      r.commands.push_back(c);
  });
  const auto t0 = std::chrono::steady_clock::now();
  if (!opt.progress) {
    sc_start();
  } else {
    // Run in slices of simulated time and report at most twice a second.
    auto last = t0;
    sc_start(SC_ZERO_TIME);  // elaboration and initialisation: activity is known after it
    while (sc_pending_activity()) {
      sc_start(std::max(sc_time(50, SC_US), sc_time_to_pending_activity()), SC_EXIT_ON_STARVATION);
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(500)) continue;
      last = now;
      opt.progress({records(), sc_time_stamp().to_seconds() * 1e6,
                    std::chrono::duration<double>(now - t0).count()});
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  if (at_end) at_end();
  top.finish_waves();
  top.nic.finish_stats();
  top.reference.finish();
  r.verdict = top.judge.finish(top.isolation.reports());
  // A masked vector never wakes the driver: say so ahead of the reads it left unfinished.
  const hw::MsixController& msix = top.nic.msix;
  if (msix.pending(msix.cq_vector()))
    r.verdict.mismatches.insert(
        r.verdict.mismatches.begin(),
        "completion interrupt masked: MSI-X vector " + std::to_string(msix.cq_vector()) +
            " has a message pending and " + std::to_string(msix.unsignalled()) +
            " completions were never signalled to the driver");
  r.verdict.skipped = !opt.verify;
  r.verdict.not_followed = top.reference.not_followed();
  r.verdict.checksum_failures = top.reference.checksum_failures();
  r.verdict.cut_records = top.reference.cut_records();

  r.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
  r.driver = top.driver.counters();
  r.sw = top.driver.sw_stats();
  r.sim_ps = sc_time_stamp().value();
  if (top.timeline) {
    top.timeline->finish(r.sim_ps);
    r.timeline = std::move(top.timeline);
  }
  r.cycles = top.nic.clk.cycle_at(sc_time_stamp()) + 1;
  r.active_cycles = top.nic.clk.active_cycles();
  r.clock_mhz = opt.cfg.core.clock_mhz;
  const hw::MacStats& ms = top.nic.mac.stats();
  r.c2h_frames = ms.frames_in;
  r.c2h_bytes = ms.bytes_in;
  r.wire_first_ps = ms.first_start_ps;
  r.wire_last_ps = ms.last_end_ps;
  r.last_completion_ps = top.nic.placement.last_completion_ps();

  // MAC FIFO levels in bytes, bucketed by one beat.
  FifoReport mac = fifo_report("mac_rx_fifo", "bytes", top.nic.mac.fifo_occupancy(),
                               opt.cfg.core.datapath_bytes);
  mac.drops = ms.drop_fifo_full;
  mac.blocked_cycles = ms.blocked_cycles;
  r.fifos.push_back(mac);
  for (const auto& [name, ch] : top.channels()) r.fifos.push_back(channel_report(name, *ch));

  const hw::LatencyHistogram& lat = top.nic.placement.latency_ns();
  r.latency_count = lat.count();
  r.latency_p50 = lat.percentile(0.5);
  r.latency_p99 = lat.percentile(0.99);
  r.latency_p999 = lat.percentile(0.999);
  r.latency_max = lat.max();
  const hw::FrameBreakdown& frames = top.nic.placement.breakdown();
  for (size_t i = 0; i < hw::kFrameStages; ++i)
    r.frame_latency.push_back(latency_figures(hw::kFrameStageNames[i], frames.stage(i)));
  r.frame_latency.push_back(latency_figures("total", lat));
  for (size_t i = 0; i < host::kReadStages; ++i)
    r.read_latency.push_back(latency_figures(host::kReadStageNames[i], read_parts.stage(i)));
  r.read_latency.push_back(latency_figures("total", read_total));
  const auto stage = [&](const char* n, const hw::PipelineStage& s) {
    r.blocks.push_back({n, s.stats().busy_cycles, s.stats().stall_cycles});
  };
  r.blocks.push_back({"mac", ms.beats_out, ms.blocked_cycles});
  stage("header_parser", top.nic.header_parser);
  stage("flow_lookup", top.nic.flow_lookup);
  stage("pdu_parser", top.nic.pdu_parser);
  stage("crc", top.nic.crc);
  const hw::PlacementStats& pls = top.nic.placement.stats();
  r.blocks.push_back({"placement", pls.beats, pls.stall_dma + pls.stall_cq_full});
  const auto cache_report = [](const hw::CacheStats& st, const hw::LatencyHistogram& h) {
    return CacheReport{st, h.percentile(0.5), h.percentile(0.99), h.max()};
  };
  if (const hw::ContextCache* cc = top.nic.ctx_cache.get()) {
    const hw::PduParserStats& pst = top.nic.pdu_parser.parser_stats();
    r.ctx_cache = CtxCacheReport{cache_report(cc->stats(), cc->miss_cycles()),
                                 pst.ctx_wait_frames, pst.ctx_wait_cycles, pst.ctx_bypass};
  }
  if (const hw::DdpCache* dc = top.nic.ddp_cache.get()) {
    const hw::BackedCache& regs = dc->registrations();
    DdpCacheReport d{cache_report(regs.stats(), regs.miss_cycles()), std::nullopt,
                     pls.ddp_wait_frames, pls.ddp_wait_cycles, pls.ddp_bypassed,
                     pls.ddp_cache_cycles};
    if (const hw::BackedCache* s = dc->sgl_lines()) d.sgl = cache_report(s->stats(), s->miss_cycles());
    r.ddp_cache = d;
  }
  const hw::DmaStats& ds = top.nic.dma.stats();
  r.blocks.push_back({"dma", ds.write_jobs + ds.read_jobs,
                      ds.stall_write_ops + ds.stall_read_ops + ds.stall_end_req});
  if (r.sim_ps) {
    r.pcie_up_util = double(top.link.stats().up.busy.value()) / double(r.sim_ps);
    r.pcie_down_util = double(top.link.stats().down.busy.value()) / double(r.sim_ps);
  }

  const host::DriverCounters& d = r.driver;
  auto& c = r.counters;
  c["rx_nvmeotcp_sk_add"] = d.sk_add;
  c["rx_nvmeotcp_sk_add_fail"] = d.sk_add_fail;
  c["rx_nvmeotcp_sk_del"] = d.sk_del;
  c["rx_nvmeotcp_ddp_setup"] = d.ddp_setup;
  c["rx_nvmeotcp_ddp_setup_fail"] = d.ddp_setup_fail;
  c["rx_nvmeotcp_ddp_teardown"] = d.ddp_teardown;
  c["rx_nvmeotcp_drop"] = d.drop;
  c["rx_nvmeotcp_resync"] = d.resync;
  c["rx_nvmeotcp_packets"] = d.packets;
  c["rx_nvmeotcp_bytes"] = d.bytes;
  c["driver_resync_confirmed"] = d.resync_confirmed;
  c["driver_ddp_skipped_small"] = d.ddp_skipped_small;
  c["driver_ddp_skipped_sg_limit"] = d.ddp_skipped_sg_limit;
  c["driver_ddp_skipped_no_offload"] = d.ddp_skipped_no_offload;
  c["driver_ddp_slot_waits"] = d.ddp_slot_waits;
  c["driver_untrusted_crc"] = d.untrusted_crc;
  c["driver_late_placements"] = d.late_placements;
  c["isolation_violations"] = top.isolation.violations();
  // Interrupts: MSI-X messages the NIC sent, why its moderation decided them, those that
  // reached the host's interrupt controller, and what the driver did with them.
  const hw::MsixStats& irq = top.nic.msix.stats();
  c["msix_messages"] = irq.messages;
  c["msix_by_count"] = irq.by_count;
  c["msix_by_time"] = irq.by_time;
  c["msix_masked"] = irq.masked;
  c["msix_completions_signalled"] = irq.completions_signalled;
  c["msix_rearms"] = irq.rearms;
  c["msix_before_entries"] = top.msix_early;
  c["host_msi_received"] = top.intc.stats().messages;
  c["driver_irqs"] = d.irqs;
  c["driver_msis"] = d.msis;
  c["driver_irq_empty_polls"] = d.irq_empty_polls;
  c["driver_cqes"] = d.cqes;
  const auto put = [&c](const char* name, uint64_t v) { c[name] = v; };
  rx_counters(r.sw, put);
  c["driver_failed_dead_connection"] = d.failed_dead_connection;
  r.failed_connections = top.driver.failed_connections();
  c["mac_frames_in"] = ms.frames_in;
  c["mac_bytes_in"] = ms.bytes_in;
  c["drop_mac_fifo_full"] = ms.drop_fifo_full;
  c["drop_mac_oversize"] = ms.drop_oversize;
  c["drop_mac_runt"] = ms.drop_runt;
  c["bypass_not_tcp"] = top.nic.header_parser.gate_stats().not_tcp;
  c["bypass_bad_checksum"] = top.nic.header_parser.gate_stats().bad_checksum;
  // Why: one counter per reason (the parse error of the frame, the header rule broken).
  for (size_t e = 1; e < net::kParseErrorCount; ++e)
    c["bypass_not_tcp_" + counter_key(net::to_string(net::ParseError(e)))] =
        top.nic.header_parser.gate_stats().not_tcp_by[e];
  const auto& by_ulp = top.nic.pdu_parser.parser_stats().header_errors_by;
  for (size_t e = 1; e < nvme::kPduErrorCount; ++e)
    c["parser_header_error_" + counter_key(nvme::to_string(nvme::PduError(e)))] =
        by_ulp[size_t(abi::Ulp::NvmeTcp)][e];
  for (size_t e = 1; e < iscsi::kPduErrorCount; ++e)
    c["parser_iscsi_header_error_" + counter_key(iscsi::to_string(iscsi::PduError(e)))] =
        by_ulp[size_t(abi::Ulp::Iscsi)][e];
  c["bypass_flow_miss"] = top.nic.flow_lookup.misses();
  c["bypass_out_of_seq"] = top.nic.pdu_parser.parser_stats().out_of_seq;
  c["bypass_searching"] = top.nic.pdu_parser.parser_stats().searching;
  // Per-flow tracker and digest-engine figures, summed over every flow offloaded during the
  // replay (also those the driver removed after their connection died).
  tracker_counters(top.nic.flows.figures(), put);
  r.flows = flow_reports(top.driver, top.nic.flows, top.nic.ctx_cache != nullptr,
                         top.nic.ddp_cache != nullptr);
  c["parser_headers"] = top.nic.pdu_parser.parser_stats().headers;
  c["parser_header_errors"] = top.nic.pdu_parser.parser_stats().header_errors;
  c["parser_extra_header_cycles"] = top.nic.pdu_parser.parser_stats().extra_header_cycles;
  c["parser_search_cycles"] = top.nic.pdu_parser.parser_stats().search_cycles;
  c["crc_frames_ok"] = top.nic.crc.frames_crc_ok();
  c["crc_extra_segment_cycles"] = top.nic.crc.extra_segment_cycles();
  c["crc_combine_cycles"] = top.nic.crc.combine_cycles();
  const hw::PlacementStats& ps = top.nic.placement.stats();
  c["placement_frames"] = ps.frames;
  c["placement_frames_offloaded"] = ps.frames_offloaded;
  c["placement_frames_placed"] = ps.frames_placed;
  c["placement_bytes_placed"] = ps.bytes_placed;
  c["placement_bytes_kept"] = ps.bytes_kept;
  c["placement_unregistered"] = ps.unregistered;
  c["placement_out_of_range"] = ps.ddp_out_of_range;
  c["placement_overlap"] = ps.ddp_overlap;
  c["placement_after_completion"] = ps.after_completion;
  c["placement_closed_by_completion"] = ps.closed_by_completion;
  c["placement_runs_over_limit"] = ps.runs_over_limit;
  c["drop_rx_ring_full"] = ps.drop_rx_ring_full;
  c["placement_stall_dma"] = ps.stall_dma;
  c["placement_stall_cq_full"] = ps.stall_cq_full;
  c["placement_segment_cycles"] = ps.segment_cycles;
  c["placement_entry_cycles"] = ps.entry_cycles;
  const PcieLink::Stats& ls = top.link.stats();
  c["pcie_up_payload_bytes"] = ls.up.payload_bytes;
  c["pcie_up_wire_bytes"] = ls.up.wire_bytes;
  c["pcie_up_tlps"] = ls.up.tlps;
  c["pcie_down_payload_bytes"] = ls.down.payload_bytes;
  c["pcie_up_busy_ps"] = ls.up.busy.value();
  c["pcie_down_busy_ps"] = ls.down.busy.value();
  c["mac_clk_active_cycles"] = top.nic.mac_clk.active_cycles();
  c["mac_bus_behind_cycles"] = ms.bus_behind_cycles;
  c["pcie_down_wire_bytes"] = ls.down.wire_bytes;
  c["pcie_down_tlps"] = ls.down.tlps;
  c["pcie_up_dllps"] = ls.up.dllps;
  c["pcie_down_dllps"] = ls.down.dllps;
  c["pcie_up_credit_wait_ps"] = ls.up.credit_wait.value();
  c["pcie_down_credit_wait_ps"] = ls.down.credit_wait.value();
  c["pcie_tag_stalls"] = ls.tag_stalls;
  c["pcie_tag_stall_ps"] = ls.tag_stall_time.value();
  c["pcie_max_tags_used"] = ls.max_tags_used;
  c["dma_write_jobs"] = ds.write_jobs;
  c["dma_read_jobs"] = ds.read_jobs;
  c["dma_stall_write_ops_cycles"] = ds.stall_write_ops;
  c["dma_stall_read_ops_cycles"] = ds.stall_read_ops;
  c["dma_stall_end_req_cycles"] = ds.stall_end_req;
  c["dma_max_write_ops"] = ds.max_write_ops;
  c["dma_max_read_ops"] = ds.max_read_ops;
  c["dma_max_queued"] = ds.max_queued;
  c["dma_max_rx_ram_bytes"] = ds.max_rx_ram_bytes;
  const HostMemory::Stats hs = top.mem.stats();
  c["host_mem_queued_ps"] = hs.queued.value();
  c["host_iotlb_lookups"] = hs.iotlb_lookups;
  c["host_iotlb_misses"] = hs.iotlb_misses;
  c["commands_executed"] = top.nic.commands.stats().commands;
  c["commands_failed"] = top.nic.commands.stats().failed;
  c["commands_busy_cycles"] = top.nic.commands.stats().busy_cycles;
  c["commands_stall_ddp_port"] = top.nic.commands.stats().stall_ddp_port;
  // What memory holds at most or at the end, per read or page: flat however long the trace.
  c["reference_open_reads_max"] = top.reference.open_commands_max();
  c["verdict_waiting_reads_max"] = top.judge.waiting_max();
  c["host_memory_pages_at_end"] = top.mem.stats().pages_allocated;
  c["cycles"] = r.cycles;
  c["active_cycles"] = r.active_cycles;
  return r;
}

ReplayResult run_replay(const ReplayOptions& opt) {
  validate(opt.cfg);
  pcap::Reader trace(opt.trace);  // a trace that cannot be opened stops us before elaboration
  sc_report_handler::set_actions(SC_INFO, SC_DO_NOTHING);  // e.g. "tracing timescale unit set"
  Platform top("top", opt);
  TraceFeeder feeder("feeder", trace, top.pool, feeder_params(opt),
                     [&top](const pcap::Packet& f) { top.driver.transmit(f.data); },
                     opt.verify ? TraceFeeder::PacketSink([&top](const pcap::Packet& f) {
                       top.reference.add(f.data, f.orig_len);
                     })
                                : TraceFeeder::PacketSink());
  top.source = &feeder;
  feeder.serve(top.nic.mac_clk);  // the MAC asks for frames from its own domain's ticks
  ReplayResult r = run_platform(top, opt, [&feeder] { return feeder.stats().records; });
  r.verdict.snaplen = trace.snaplen();
  r.input_error = feeder.error();
  r.input_truncated = trace.truncated();
  r.input_bytes_lost = trace.bytes_lost();
  const FeederStats& fs = feeder.stats();
  r.records = fs.records;
  r.cut_records = fs.cut_records;
  r.cut_not_tcp = fs.cut_not_tcp;
  r.checksums_fixed = fs.checksums_fixed;
  r.oversize_frames = fs.oversize_frames;
  r.oversize_longest = fs.oversize_longest;
  r.gso_frames_split = fs.gso_frames_split;
  r.gso_pieces = fs.gso_pieces;
  r.c2h_wire_bytes = fs.wire_bytes_to_nic;
  r.counters["feeder_records"] = fs.records;
  r.counters["feeder_to_driver"] = fs.to_driver;
  return r;
}

}  // namespace nic::tb
