// One replay of a trace through the modelled NIC and host: builds host memory, the PCIe link,
// the NIC, the driver and the trace feeder, runs the simulation to the end, and gathers what
// the report needs. SystemC elaborates once per process, so this runs once per process.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host_driver/NvmeTcpDriver.hpp"
#include "tb/check/trace_reference.hpp"
#include "hw/nic/nic_config.hpp"

namespace nic::tb {

struct ReplayOptions {
  std::string trace;
  NicConfig cfg;
  bool honour_timestamps = true;
  uint16_t nvme_port = 4420;
  bool keep_data = false;  // keep every buffer's bytes in the result (--dump-buffers)
  std::string vcd;         // waveform file, empty for none
  std::string fst;         // waveform as FST (through GTKWave's vcd2fst), empty for none
  // Waveform only for simulated time [trace_from_ps, trace_to_ps): nothing is recorded, and
  // nothing costs, outside it. With trace_on ("drop", "resync", "framing_lost"), recording
  // starts at the first such event instead and lasts trace_for_ps.
  uint64_t trace_from_ps = 0, trace_to_ps = UINT64_MAX;
  std::string trace_on;
  uint64_t trace_for_ps = 100'000'000;
  bool progress = false;   // a progress line on stderr (for terminals)
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

struct ReplayResult {
  std::vector<host::CommandRecord> commands;
  host::DriverCounters driver;
  host::NvmeRxStats sw;
  std::map<std::string, uint64_t> counters;  // flat counters for the JSON report
  std::vector<FifoReport> fifos;
  std::vector<BlockReport> blocks;
  // Frame latency, first bit on the wire to its completion entry in host memory (ns).
  uint64_t latency_count = 0, latency_p50 = 0, latency_p99 = 0, latency_p999 = 0, latency_max = 0;
  double pcie_up_util = 0, pcie_down_util = 0;  // busy time / simulated time
  uint64_t sim_ps = 0;          // simulated time at the end
  uint64_t cycles = 0;          // clock cycles spanned
  uint64_t active_cycles = 0;   // cycles the clock actually ticked
  double clock_mhz = 0;
  uint64_t c2h_frames = 0, c2h_bytes = 0;  // frames offered to the MAC
  uint64_t wire_first_ps = 0, wire_last_ps = 0;
  uint64_t last_completion_ps = 0;  // the last frame's completion entry landed
  uint64_t rx_frames_delivered = 0;
  double wall_seconds = 0;
  std::vector<std::string> isolation_reports;  // the first few violations, if any
  std::vector<std::string> failed_connections;  // "host: why" per NVMe/TCP stream that failed
};

ReplayResult run_replay(const ReplayOptions& opt);

// The replay judged against an independent decode of the trace: every read the trace
// completes must end byte-exact, with the status the trace implies (digest_error for a
// corrupted digest); every read the trace breaks must have failed.
struct Verdict {
  size_t checked = 0;     // reads the trace completes
  // Reads the trace breaks (framing lost, TermReq, data past the read): the driver must have
  // failed each of them; its buffer is not judged.
  size_t broken = 0;
  size_t incomplete = 0;  // reads the trace leaves unfinished: not judged
  std::vector<std::string> mismatches;
  bool ok() const { return mismatches.empty(); }
};
Verdict verify(const check::TraceReference& ref, const ReplayResult& r);

}  // namespace nic::tb
