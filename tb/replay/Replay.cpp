#include "tb/replay/Replay.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <deque>
#include <fstream>

#include "hw/top/Nic.hpp"
#include "hw/pcie/HostMemory.hpp"
#include "hw/pcie/InterruptController.hpp"
#include "hw/pcie/PcieLink.hpp"
#include "proto/iscsi.hpp"
#include "tb/replay/GtkwSave.hpp"
#include "tb/replay/IsolationChecker.hpp"
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

std::string strip_suffix(std::string s, const std::string& suffix) {
  if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0)
    s.resize(s.size() - suffix.size());
  return s;
}

// Hands a FIFO's level changes (at clock cycles) to the timeline (in ps).
struct FifoProbe final : hw::OccupancyObserver {
  FifoProbe(Timeline& t, size_t f, uint64_t period) : timeline(t), fifo(f), period_ps(period) {}
  void level_changed(uint64_t cycle, uint32_t level) override {
    timeline.level(fifo, cycle * period_ps, level);
  }
  Timeline& timeline;
  size_t fifo;
  uint64_t period_ps;
};

// The NIC's drops by reason, as its drop hook names them.
const std::vector<std::string> kDropReasons = {"mac_fifo_full", "oversize", "runt", "rx_ring_full"};

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

struct ReplayTop : sc_module {
  hw::PacketPool pool;
  HostMemory mem;
  InterruptController intc;  // the host's APIC: MSI-X messages end here, not in memory
  HostBridge bridge;         // the root complex: routes the MSI window to intc
  PcieLink link;
  host::HostDriver driver;
  // The verdict: the reference decode reads every record as the feeder does and the judge
  // matches its reads with the driver's as both finish them.
  Judge judge;
  check::ReferenceDecoder reference;
  TraceFeeder feeder;
  hw::Nic nic;
  IsolationChecker isolation;

  ReplayTop(sc_module_name n, const ReplayOptions& o, pcap::Reader& trace)
      : sc_module(n),
        mem("host_memory", o.cfg.host),
        intc("intc"),
        bridge("host_bridge"),
        link("pcie", o.cfg.pcie),
        driver("driver", o.cfg.driver, o.cfg.placement.cq_entries, o.cfg.placement.rx_ring_bytes,
               mem, intc, o.nvme_ports, o.iscsi_ports, o.keep_data),
        reference([this](check::ReferenceCommand& e) { judge.reference(std::move(e)); }, o.nvme_ports),
        feeder("feeder", trace, pool, feeder_params(o),
               [this](const pcap::Packet& f) { driver.transmit(f.data); },
               o.verify ? TraceFeeder::PacketSink([this](const pcap::Packet& f) { reference.add(f.data, f.orig_len); })
                        : TraceFeeder::PacketSink()),
        nic("nic", o.cfg, pool, [this](uint64_t& ts) { return feeder.next_rx(ts); },
            o.honour_timestamps),
        // The rings where the driver allocated them.
        isolation({driver.rings().cq_base, uint64_t(driver.rings().cq_entries) * abi::kCqeSize},
                  {driver.rings().rx_base, driver.rings().rx_bytes}),
        opt(o) {
    driver.set_registration_hook(
        [this](uint32_t flow, uint32_t tag, const std::vector<hw::SgEntry>* sgl) {
          if (sgl)
            isolation.registered(flow, tag, *sgl);
          else
            isolation.released(flow, tag);
        });
    if (!o.vcd.empty() || !o.fst.empty()) {
      wave_base = o.vcd.empty() ? o.fst + ".tmp" : strip_suffix(o.vcd, ".vcd");
      SC_HAS_PROCESS(ReplayTop);
      SC_METHOD(open_waves);
      sensitive << open_ev;
      dont_initialize();
      SC_METHOD(close_waves);
      sensitive << close_ev;
      dont_initialize();
    }
    // Split, every TCP frame fits the MAC; whole, the reference loses what the MAC drops.
    reference.set_max_frame(o.split_gso ? 0 : o.cfg.mac.max_frame_bytes);
    reference.set_iscsi_ports(o.iscsi_ports);
    reference.set_late_data_hook(
        [this](const std::string& flow, uint32_t order) { judge.late_data(flow, order); });
    if (o.on_frame || !wave_base.empty())
      nic.placement.set_landed_hook(
          [this](const hw::FrameStamps& s, const abi::Cqe& c) { frame_landed(s, c); });
    feeder.serve(nic.mac_clk);  // the MAC asks for frames from its own domain's ticks
    nic.clk.set_run_ahead(o.run_ahead);
    nic.mac_clk.set_run_ahead(o.run_ahead);
    // The oracle ungates the core clock only. The MAC domain's one block works at the first
    // edge after each frame's last bit, which the gate always fires; two ungated domains would
    // each keep the other's kernel busy forever.
    nic.clk.set_gating(o.clock_gating);
    if (o.timeline_window_ps) start_timeline(o.timeline_window_ps);
    if (o.verify || timeline)
      nic.set_drop_hook([this](const hw::PacketCtx& p, const char* reason) {
        if (opt.verify) judge.nic_dropped(p.frame, opt.nvme_ports, opt.iscsi_ports);
        if (timeline) timeline->drop(reason, nic.clk.now_ps());
      });
    nic.dma.socket.bind(link.dma_target);
    link.mem_init.bind(bridge.target);
    bridge.mem.bind(mem.socket);
    bridge.irq.bind(intc.socket);
    driver.mmio_port().bind(link.mmio_target);
    link.mmio_init.bind(nic.commands.regs);
    link.deliver_into(nic.clk);
    const host::NicRings& rings = driver.rings();
    const uint64_t cq_lo = rings.cq_base;
    const uint64_t cq_hi = cq_lo + uint64_t(rings.cq_entries) * abi::kCqeSize;
    const uint64_t rx_lo = rings.rx_base, rx_hi = rx_lo + rings.rx_bytes;
    // Measurement only (the driver learns of completions from its interrupt): when each entry
    // landed, for the reads' latency breakdown.
    cqe_landed_ps.resize(rings.cq_entries);
    driver.set_rx_clock([this](uint32_t slot) {
      const hw::WireTimes& w = nic.cq.wire_times(slot);
      return host::RxTimes{w.start_ps, w.end_ps, cqe_landed_ps[slot]};
    });
    intc.set_observer([this](uint8_t, const tlm::tlm_generic_payload& gp) { msi_arrived(gp); });
    mem.set_write_observer([this, cq_lo, cq_hi, rx_lo, rx_hi](uint64_t addr, size_t len,
                                                              const tlm::tlm_generic_payload& gp) {
      isolation.on_write(addr, len, gp);
      const bool cqe = addr >= cq_lo && addr < cq_hi;
      if (cqe) cqe_landed_ps[(addr - cq_lo) / abi::kCqeSize] = sc_time_stamp().value();
      // Besides context write-backs, the NIC writes nothing else: what is neither ring is
      // payload placed into a read buffer.
      const hw::DmaTag* tag = gp.get_extension<hw::DmaTag>();
      if (timeline && !(tag && tag->kind == hw::DmaTag::Kind::Context))
        timeline->add(cqe ? Timeline::kCqeBytes
                          : addr >= rx_lo && addr < rx_hi ? Timeline::kRingBytes : Timeline::kPlacedBytes,
                      sc_time_stamp().value(), len);
    });
  }

  // An interrupt never arrives before the entries it announces: at each MSI-X message, every
  // entry the NIC posted before issuing it that the driver has not consumed yet is in host
  // memory with its pass's owner bit (consumed ones the driver has seen). Checked in the host,
  // counted: msix_before_entries must stay 0.
  uint64_t msix_early = 0;
  void msi_arrived(const tlm::tlm_generic_payload& gp) {
    const hw::DmaTag* tag = gp.get_extension<hw::DmaTag>();
    if (!tag || tag->kind != hw::DmaTag::Kind::Msix) return;
    const host::NicRings& r = driver.rings();
    const uint32_t covered = uint32_t(tag->packet);
    for (uint32_t i = driver.cq_consumed(); int32_t(covered - i) > 0; ++i) {
      uint8_t owner = 0;
      mem.read(r.cq_base + uint64_t(i % r.cq_entries) * abi::kCqeSize + 1, &owner, 1);
      if (owner != ((i / r.cq_entries) % 2 == 0 ? 1 : 0)) {
        ++msix_early;
        return;
      }
    }
  }

  // When the entry in each completion-ring slot last landed in host memory: with the frame's
  // wire times beside the NIC's ring, what the driver's reads' breakdown takes per frame.
  std::vector<uint64_t> cqe_landed_ps;

  // The beat channels in pipeline order, named as the report and the timeline name them.
  std::array<std::pair<const char*, const hw::StreamChannel<hw::Beat>*>, 5> channels() const {
    return {{{"mac_to_l3", &nic.mac_to_l3},
             {"l3_to_flow", &nic.l3_to_flow},
             {"flow_to_parser", &nic.flow_to_parser},
             {"parser_to_crc", &nic.parser_to_crc},
             {"crc_to_placement", &nic.crc_to_placement}}};
  }

  // The timeline only watches: FIFO level changes, frames reaching the MAC, PCIe busy time,
  // drops, host-memory writes (above) and completed reads (run_replay).
  std::optional<Timeline> timeline;
  std::deque<FifoProbe> probes;  // the FIFOs hold pointers to them
  void start_timeline(uint64_t window_ps) {
    std::vector<std::string> fifos{"mac_rx_fifo"};
    for (const auto& [name, ch] : channels()) fifos.push_back(name);
    // Each cache the NIC has, with the column name the report gives it.
    std::vector<std::pair<std::string, std::function<void(hw::SetAssocCache::Observer)>>> on;
    if (auto* c = nic.ctx_cache.get())
      on.emplace_back("ctx_cache", [c](hw::SetAssocCache::Observer o) { c->set_observer(std::move(o)); });
    if (auto* d = nic.ddp_cache.get()) {
      on.emplace_back("ddp_cache", [d](hw::SetAssocCache::Observer o) { d->registrations().set_observer(std::move(o)); });
      if (auto* s = d->sgl_lines())
        on.emplace_back("sgl_cache", [s](hw::SetAssocCache::Observer o) { s->set_observer(std::move(o)); });
    }
    std::vector<std::string> caches;
    for (const auto& c : on) caches.push_back(c.first);
    timeline.emplace(window_ps, fifos, kDropReasons, caches);
    for (size_t i = 0; i < on.size(); ++i) on[i].second(observer_for(i));
    const uint64_t period = nic.clk.period().value();
    nic.mac.fifo_occupancy().set_observer(&probes.emplace_back(*timeline, 0, period));
    size_t fifo = 1;
    for (const auto& [name, ch] : channels())
      ch->stats().set_observer(&probes.emplace_back(*timeline, fifo++, period));
    nic.mac.set_arrival_hook([this](const hw::PacketCtx& p) {
      timeline->add(Timeline::kFrames, p.wire_end_ps, 1);
      timeline->spread(Timeline::kOfferedBytes, p.wire_start_ps, p.wire_end_ps,
                       std::max<uint64_t>(p.wire_len, p.frame.size()));
    });
    link.set_busy_hook([this](bool up, uint64_t from_ps, uint64_t to_ps) {
      timeline->spread(up ? Timeline::kPcieUpPs : Timeline::kPcieDownPs, from_ps, to_ps, to_ps - from_ps);
    });
  }

  // A refused access (every MSHR busy) is retried: only the retry is a lookup.
  hw::SetAssocCache::Observer observer_for(size_t index) {
    return [this, index](hw::SetAssocCache::Lookup l) {
      using L = hw::SetAssocCache::Lookup;
      if (l == L::MshrFull) return;
      timeline->cache_access(index, nic.clk.now_ps(),
                             l == L::Hit    ? Timeline::Access::Hit
                             : l == L::Miss ? Timeline::Access::Miss
                                            : Timeline::Access::Merged);
    };
  }

  // Waveforms: the trace file exists only inside the window (or after the trigger), so
  // simulated time outside it records and costs nothing.
  const ReplayOptions& opt;
  std::string wave_base;  // VCD path without ".vcd"
  sc_trace_file* tf = nullptr;
  bool waves_done = false;
  sc_event open_ev, close_ev;
  uint64_t waves_from_ps = 0;  // when recording started
  // What the .gtkw opens on: the first frame to land while recording whose data the NIC
  // placed (the offload at work), else the first frame to land at all; from its first bit on
  // the wire (or the start of recording) to its completion entry in host memory.
  GtkwView view;
  bool view_placed = false;

  void start_of_simulation() override {
    if (wave_base.empty()) return;
    if (!opt.trace_on.empty()) {
      nic.set_event_hook([this](const char* ev) {
        if (!tf && !waves_done && opt.trace_on == ev) open_ev.notify(nic.clk.lead());
      });
      return;
    }
    open_ev.notify(sc_time(double(opt.trace_from_ps), SC_PS));
  }
  void frame_landed(const hw::FrameStamps& s, const abi::Cqe& c) {
    if (opt.on_frame) opt.on_frame(s);
    const bool placed = c.flags & abi::cqeflag::PLACED;
    if (!tf || view_placed || (view.to_ps && !placed)) return;
    view = {std::max(s.start_ps, waves_from_ps), nic.clk.now_ps()};
    view_placed = placed;
  }
  void open_waves() {
    if (tf || waves_done) return;
    tf = sc_create_vcd_trace_file(wave_base.c_str());
    // The file samples at kernel time steps: one per cycle.
    nic.clk.set_run_ahead(false);
    nic.mac_clk.set_run_ahead(false);
    tf->set_time_unit(1, SC_PS);
    nic.trace(tf);
    const uint64_t now = sc_time_stamp().value();
    waves_from_ps = now;
    const uint64_t end = opt.trace_on.empty() ? opt.trace_to_ps : now + opt.trace_for_ps;
    if (end != UINT64_MAX) close_ev.notify(sc_time(double(end > now ? end - now : 0), SC_PS));
  }
  void close_waves() {
    if (!tf) return;
    sc_close_vcd_trace_file(tf);
    tf = nullptr;
    nic.end_trace();
    if (!view.to_ps) view = {waves_from_ps, sc_time_stamp().value()};  // no frame landed
    nic.clk.set_run_ahead(opt.run_ahead);
    nic.mac_clk.set_run_ahead(opt.run_ahead);
    waves_done = true;
  }
  // After the run: close the file, write the GTKWave save file, convert to FST if asked.
  void finish_waves() {
    if (wave_base.empty()) return;
    close_waves();
    const std::string vcd = wave_base + ".vcd";
    if (!waves_done) {  // the window or trigger never came: an empty but valid waveform
      std::ofstream(vcd) << "$timescale 1 ps $end\n$enddefinitions $end\n";
    }
    if (opt.fst.empty()) {
      write_gtkw(wave_base, vcd, opt.cfg.crc.impl == "rtl", view);
      return;
    }
    const std::string cmd = "vcd2fst '" + vcd + "' '" + opt.fst + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
      throw std::runtime_error("cannot write " + opt.fst + ": vcd2fst (package gtkwave) failed");
    write_gtkw(strip_suffix(opt.fst, ".fst"), opt.fst, opt.cfg.crc.impl == "rtl", view);
    if (opt.vcd.empty()) std::remove(vcd.c_str());
    else write_gtkw(wave_base, vcd, opt.cfg.crc.impl == "rtl", view);
  }

  static FeederParams feeder_params(const ReplayOptions& o) {
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
};

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

}  // namespace

ReplayResult run_replay(const ReplayOptions& opt) {
  validate(opt.cfg);
  pcap::Reader trace(opt.trace);  // a trace that cannot be opened stops us before elaboration
  sc_report_handler::set_actions(SC_INFO, SC_DO_NOTHING);  // e.g. "tracing timescale unit set"
  ReplayResult r;
  ReplayTop top("top", opt, trace);
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
      opt.progress({top.feeder.stats().records, sc_time_stamp().to_seconds() * 1e6,
                    std::chrono::duration<double>(now - t0).count()});
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
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
  r.verdict.snaplen = trace.snaplen();
  r.input_error = top.feeder.error();
  r.input_truncated = trace.truncated();
  r.input_bytes_lost = trace.bytes_lost();
  const FeederStats& fs = top.feeder.stats();
  r.records = fs.records;
  r.cut_records = fs.cut_records;
  r.cut_not_tcp = fs.cut_not_tcp;
  r.checksums_fixed = fs.checksums_fixed;
  r.oversize_frames = fs.oversize_frames;
  r.oversize_longest = fs.oversize_longest;
  r.gso_frames_split = fs.gso_frames_split;
  r.gso_pieces = fs.gso_pieces;
  r.c2h_wire_bytes = fs.wire_bytes_to_nic;

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
  c["feeder_records"] = top.feeder.stats().records;
  c["feeder_to_driver"] = top.feeder.stats().to_driver;
  // What memory holds at most or at the end, per read or page: flat however long the trace.
  c["reference_open_reads_max"] = top.reference.open_commands_max();
  c["verdict_waiting_reads_max"] = top.judge.waiting_max();
  c["host_memory_pages_at_end"] = top.mem.stats().pages_allocated;
  c["cycles"] = r.cycles;
  c["active_cycles"] = r.active_cycles;
  return r;
}

}  // namespace nic::tb
