// The platform every run of the model is built on: host memory, the root complex and interrupt
// controller, the PCIe link, the NIC, the host driver, the DMA isolation check, and the
// verdict's reference decode and judge, with the waveform and timeline probes. What feeds it
// frames is someone else's: a pcap (TraceFeeder, run_replay) or the closed loop's network
// (tb/closed_loop). SystemC elaborates once per process, so there is one per process.
#pragma once
#include <systemc>

#include <array>
#include <deque>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hw/top/Nic.hpp"
#include "hw/pcie/HostMemory.hpp"
#include "hw/pcie/InterruptController.hpp"
#include "hw/pcie/PcieLink.hpp"
#include "tb/replay/GtkwSave.hpp"
#include "tb/replay/frame_source.hpp"
#include "tb/replay/IsolationChecker.hpp"
#include "tb/replay/Replay.hpp"

namespace nic::tb {

namespace detail {
inline std::string strip_suffix(std::string s, const std::string& suffix) {
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
}  // namespace detail

struct Platform : sc_core::sc_module {
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
  // Where the MAC's frames come from (a trace, or the closed loop's network); set before the
  // simulation starts.
  FrameSource* source = nullptr;
  hw::Nic nic;
  IsolationChecker isolation;

  Platform(sc_core::sc_module_name n, const ReplayOptions& o)
      : sc_core::sc_module(n),
        mem("host_memory", o.cfg.host),
        intc("intc"),
        bridge("host_bridge"),
        link("pcie", o.cfg.pcie),
        driver("driver", o.cfg.driver, o.cfg.placement.cq_entries, o.cfg.placement.rx_ring_bytes,
               mem, intc, o.nvme_ports, o.iscsi_ports, o.keep_data,
               o.host_transmits ? o.cfg.tx.max_frame_bytes : 0),
        reference([this](check::ReferenceCommand& e) { judge.reference(std::move(e)); }, o.nvme_ports),
        nic("nic", o.cfg, pool, [this](uint64_t& ts) { return source->next_rx(ts); },
            o.honour_timestamps),
        // The rings where the driver allocated them.
        isolation({driver.rings().cq_base, uint64_t(driver.rings().cq_entries) * abi::kCqeSize},
                  {driver.rings().rx_base, driver.rings().rx_bytes},
                  {driver.rings().tx_head, driver.rings().tx_entries ? 4u : 0u}),
        opt(o) {
    driver.set_registration_hook(
        [this](uint32_t flow, uint32_t tag, const std::vector<hw::SgEntry>* sgl) {
          if (sgl)
            isolation.registered(flow, tag, *sgl);
          else
            isolation.released(flow, tag);
        });
    if (!o.vcd.empty() || !o.fst.empty()) {
      wave_base = o.vcd.empty() ? o.fst + ".tmp" : detail::strip_suffix(o.vcd, ".vcd");
      SC_HAS_PROCESS(Platform);
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
      if (cqe) cqe_landed_ps[(addr - cq_lo) / abi::kCqeSize] = sc_core::sc_time_stamp().value();
      // Besides context write-backs, the NIC writes nothing else: what is neither ring is
      // payload placed into a read buffer.
      const hw::DmaTag* tag = gp.get_extension<hw::DmaTag>();
      if (timeline && !(tag && tag->kind == hw::DmaTag::Kind::Context))
        timeline->add(cqe ? Timeline::kCqeBytes
                          : addr >= rx_lo && addr < rx_hi ? Timeline::kRingBytes : Timeline::kPlacedBytes,
                      sc_core::sc_time_stamp().value(), len);
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

  // The NIC's drops by reason, as its drop hook names them.
  static const std::vector<std::string>& kDropReasons() {
    static const std::vector<std::string> r = {"mac_fifo_full", "oversize", "runt", "rx_ring_full"};
    return r;
  }

  // The timeline only watches: FIFO level changes, frames reaching the MAC, PCIe busy time,
  // drops, host-memory writes (above) and completed reads (run_replay).
  std::optional<Timeline> timeline;
  std::deque<detail::FifoProbe> probes;  // the FIFOs hold pointers to them
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
    timeline.emplace(window_ps, fifos, kDropReasons(), caches, opt.timeline_extra);
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
  sc_core::sc_trace_file* tf = nullptr;
  bool waves_done = false;
  sc_core::sc_event open_ev, close_ev;
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
    open_ev.notify(sc_core::sc_time(double(opt.trace_from_ps), sc_core::SC_PS));
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
    tf = sc_core::sc_create_vcd_trace_file(wave_base.c_str());
    // The file samples at kernel time steps: one per cycle.
    nic.clk.set_run_ahead(false);
    nic.mac_clk.set_run_ahead(false);
    tf->set_time_unit(1, sc_core::SC_PS);
    nic.trace(tf);
    const uint64_t now = sc_core::sc_time_stamp().value();
    waves_from_ps = now;
    const uint64_t end = opt.trace_on.empty() ? opt.trace_to_ps : now + opt.trace_for_ps;
    if (end != UINT64_MAX) close_ev.notify(sc_core::sc_time(double(end > now ? end - now : 0), sc_core::SC_PS));
  }
  void close_waves() {
    if (!tf) return;
    sc_core::sc_close_vcd_trace_file(tf);
    tf = nullptr;
    nic.end_trace();
    if (!view.to_ps) view = {waves_from_ps, sc_core::sc_time_stamp().value()};  // no frame landed
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
    write_gtkw(detail::strip_suffix(opt.fst, ".fst"), opt.fst, opt.cfg.crc.impl == "rtl", view);
    if (opt.vcd.empty()) std::remove(vcd.c_str());
    else write_gtkw(wave_base, vcd, opt.cfg.crc.impl == "rtl", view);
  }
};

// Runs the simulation to its end (with progress, when asked, counting `records` as the
// frames taken in so far), then gathers the report and the verdict.
// `at_end` runs once the simulation has stopped, before the verdict (a source's last frames
// to the reference decode).
ReplayResult run_platform(Platform& top, const ReplayOptions& opt,
                          const std::function<uint64_t()>& records,
                          const std::function<void()>& at_end = {});

}  // namespace nic::tb
