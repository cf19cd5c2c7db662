// One replay of a trace through the modelled NIC and host: builds host memory, the PCIe link,
// the NIC, the driver and the trace feeder, runs the simulation to the end, gathers what the
// report needs, and judges the result against an independent decode of the same records
// (tb/check), fed from the same single pass over the trace. Nothing is kept per packet or per
// read beyond what is still in flight, so memory does not grow with the trace. SystemC
// elaborates once per process, so this runs once per process.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "host_driver/HostDriver.hpp"
#include "proto/iscsi.hpp"
#include "proto/nvme_tcp.hpp"
#include "hw/common/latency_breakdown.hpp"
#include "hw/common/set_assoc_cache.hpp"
#include "tb/common/timeline.hpp"
#include "tb/config/sim_config.hpp"
#include "tb/replay/Judge.hpp"

namespace nic::tb {

struct ReplayProgress {
  uint64_t records = 0;  // trace records read so far
  double simulated_us = 0, wall_seconds = 0;
};

struct ReplayOptions {
  std::string trace;       // pcap or pcapng file, "-" for standard input
  SimConfig cfg;
  bool honour_timestamps = true;
  net::PortList nvme_ports{{nvme::kDefaultPort}};  // controller ports of the NVMe/TCP connections to follow
  net::PortList iscsi_ports{{iscsi::kDefaultPort}};  // target ports of the iSCSI connections to follow
  bool fix_checksums = false;  // rewrite every record's checksums first (TraceFeeder)
  // Cut TCP frames too long for the MAC (or with more payload than gso_mss, when set) as GSO
  // would, before the MAC sees them; the reference decode keeps the records whole (TraceFeeder).
  bool split_gso = false;
  uint32_t gso_mss = 0;
  bool keep_data = false;  // every read's record carries its final buffer (--dump-buffers)
  // The host's frames leave through the NIC's transmit ring (a closed loop), not only to the
  // driver: the driver gets a transmit ring.
  bool host_transmits = false;
  // The clock domain evaluates consecutive busy cycles in one activation when nothing else is
  // due (hw/common/ClockDomain.hpp); off, every cycle is a kernel time step. Same results.
  bool run_ahead = true;
  // Off: the core clock ticks every cycle instead of only when some block has work
  // (ClockDomain::set_gating); slower, and the same results but for active_cycles.
  bool clock_gating = true;
  // Off: no independent decode of the trace and no verdict (the verdict says it was skipped);
  // the DMA isolation check stays. For runs that want only the figures (sweeps, speed).
  bool verify = true;
  // Off: finished reads are not hashed (CommandRecord::sha256 stays empty).
  bool read_digests = true;
  // Every read as the driver completes it (completion order). When set, the result's
  // `commands` stays empty; otherwise the records are collected there.
  std::function<void(const host::CommandRecord&)> on_command;
  std::string vcd;         // waveform file, empty for none
  std::string fst;         // waveform as FST (through GTKWave's vcd2fst), empty for none
  // Waveform only for simulated time [trace_from_ps, trace_to_ps): nothing is recorded, and
  // nothing costs, outside it. With trace_on ("drop", "resync", "framing_lost"), recording
  // starts at the first such event instead and lasts trace_for_ps.
  uint64_t trace_from_ps = 0, trace_to_ps = UINT64_MAX;
  std::string trace_on;
  uint64_t trace_for_ps = 100'000'000;
  // Windows of the timeline (tb/common/timeline.hpp) in ps; 0: no timeline. It only watches.
  uint64_t timeline_window_ps = 0;
  Timeline::Extra timeline_extra;  // columns a source other than the NIC fills (the closed loop)
  // Every frame's stamps as its completion entry lands (the latency breakdown); may be empty.
  std::function<void(const hw::FrameStamps&)> on_frame;
  // Called about twice a second of wall time while the simulation runs; may be empty.
  std::function<void(const ReplayProgress&)> progress;
};

// A FIFO's statistics for the report.
struct FifoReport {
  std::string name;
  uint32_t capacity = 0;  // items (beats) or bytes for the MAC FIFO
  std::string unit;
  uint32_t high_watermark = 0;
  uint64_t cycles_full = 0;
  uint32_t p50 = 0, p99 = 0;
  uint64_t blocked_cycles = 0;  // producer had an item and found it full
  uint64_t drops = 0;
  // Occupancy histogram: (lowest level of the bucket, cycles spent in it), non-empty buckets
  // only; buckets of `bucket` levels.
  uint32_t bucket = 1;
  std::vector<std::pair<uint32_t, uint64_t>> histogram;
};

// A block's activity for the report: busy = cycles it did work, stalled = cycles it had work
// but could not proceed (output full, DMA or completion ring back-pressure).
struct BlockReport {
  std::string name;
  uint64_t busy = 0, stalled = 0;
};

// An on-chip cache of state that lives in host memory: its counts and its misses' latency.
struct CacheReport {
  hw::CacheStats cache;
  uint64_t miss_cycles_p50 = 0, miss_cycles_p99 = 0, miss_cycles_max = 0;  // fetch to fill
};

// The flow-context cache, when contexts live in host memory (ctx_cache.entries > 0).
struct CtxCacheReport : CacheReport {
  uint64_t wait_frames = 0, wait_cycles = 0;  // miss=stall: frames the parser held, and how long
  uint64_t bypassed = 0;                      // miss=bypass: frames passed to software
};

// The DDP registration cache and, if on, the SGL cache (ddp_cache.entries > 0).
struct DdpCacheReport : CacheReport {
  std::optional<CacheReport> sgl;
  // Of placement, for a line of either cache: frames held (miss=stall) and how long, data
  // segments left unplaced (miss=bypass); and the cycles its lookups cost.
  uint64_t wait_frames = 0, wait_cycles = 0, bypassed_segments = 0, lookup_cycles = 0;
};

// One connection the host followed (NVMe/TCP or iSCSI): what the NIC's flow context counted
// while the flow was offloaded and what the driver counted for the connection, each under the
// name of the aggregate counter it is a share of.
struct FlowReport {
  std::string flow;    // host "IP:port", as CommandRecord::flow
  std::string target;  // target "IP:port"
  const char* protocol = "";
  bool offloaded = false;  // the NIC held a flow context for it
  // Frames of the connection the host received plus those the NIC dropped for it, and their
  // TCP payload bytes.
  uint64_t offered_frames = 0, offered_payload_bytes = 0;
  std::vector<std::pair<const char*, uint64_t>> counters;
};

// Percentiles of one latency, in ns: a stage of a breakdown, or the whole journey.
struct LatencyFigures {
  std::string name;
  uint64_t count = 0, p50 = 0, p99 = 0, p999 = 0, max = 0;
};

struct ReplayResult {
  std::vector<host::CommandRecord> commands;  // unless ReplayOptions::on_command took them
  Verdict verdict;
  std::vector<std::string> failed_connections;  // "host: why" per NVMe/TCP stream that failed
  std::string input_error;  // the trace broke off here (truncated record...); empty if it ended cleanly
  bool input_truncated = false;  // ... because the file ends inside a record
  int64_t input_bytes_lost = -1;  // bytes after the last complete record, -1 if not known
  uint64_t records = 0, cut_records = 0, checksums_fixed = 0;
  // Storage targets' frames longer than mac.max_frame_bytes (the longest), those cut by split_gso
  // and the pieces made
  uint64_t oversize_frames = 0, oversize_longest = 0, gso_frames_split = 0, gso_pieces = 0;
  uint64_t cut_not_tcp = 0;  // cut records the NIC could not parse (counted there as not TCP)
  uint64_t c2h_wire_bytes = 0;  // frames offered to the MAC, by their wire lengths
  host::DriverCounters driver;
  host::RxStats sw;
  std::map<std::string, uint64_t> counters;  // flat counters for the JSON report
  std::vector<FlowReport> flows;  // in the order of the host -> target tuple
  std::vector<FifoReport> fifos;
  std::vector<BlockReport> blocks;
  std::optional<CtxCacheReport> ctx_cache;
  std::optional<DdpCacheReport> ddp_cache;
  // Frame latency, first bit on the wire to its completion entry in host memory (ns).
  uint64_t latency_count = 0, latency_p50 = 0, latency_p99 = 0, latency_p999 = 0, latency_max = 0;
  // The breakdowns (docs/latency.md): per frame stage, then "total" (the figures above); per
  // part of a read's latency, then "total" (command to completion, every read: also those
  // without the parts, which ended without a frame completing them).
  std::vector<LatencyFigures> frame_latency, read_latency;
  double pcie_up_util = 0, pcie_down_util = 0;  // busy time / simulated time
  uint64_t sim_ps = 0;          // simulated time at the end
  // Elapsed core clock cycles: the edges from time zero to sim_ps inclusive, as many as a
  // free-running clock ticks (floor(sim_ps / period) + 1).
  uint64_t cycles = 0;
  uint64_t active_cycles = 0;   // cycles the clock actually ticked
  double clock_mhz = 0;
  uint64_t c2h_frames = 0, c2h_bytes = 0;  // frames offered to the MAC
  uint64_t wire_first_ps = 0, wire_last_ps = 0;
  uint64_t last_completion_ps = 0;  // the last frame's completion entry landed
  uint64_t rx_frames_delivered = 0;
  double wall_seconds = 0;
  std::optional<Timeline> timeline;  // when ReplayOptions::timeline_window_ps asked for one
};

// Throws pcap::PcapError when the trace cannot be opened; a trace that breaks off later is
// played up to the break and reported in `input_error`.
ReplayResult run_replay(const ReplayOptions& opt);

}  // namespace nic::tb
