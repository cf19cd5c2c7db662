// `nicsim replay`: a pcap through the modelled NIC and host driver, a readable summary, a JSON
// report, and a verdict against an independent software decode of the same trace.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <systemc>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <unistd.h>

#include "apps/nicsim/commands.hpp"
#include "apps/nicsim/replay_report.hpp"
#include "hw/top/sram_budget.hpp"
#include "tb/config/sim_config.hpp"
#include "util/json_text.hpp"
#include "tb/common/output_path.hpp"
#include "tb/pcap/pcap_io.hpp"
#include "tb/replay/Replay.hpp"

namespace nicsim {

namespace {

struct ReplayArgs {
  std::string trace, config, report, dump_dir, vcd, csv, fst, window, trace_on, trace_for, timeline;
  double timeline_us = 10;
  std::string split_gso;  // "" off, "auto" the default MSS, else the MSS
  bool split_implied = false;  // --split-gso came with --fix-checksums
  std::vector<std::string> sets;
  bool line_rate = false, progress = false, no_run_ahead = false, no_clock_gating = false,
       no_verify = false, no_read_digests = false, fix_checksums = false, allow_truncated = false,
       allow_empty = false, per_flow = false;
  std::vector<uint16_t> ports = std::vector<uint16_t>{nic::nvme::kDefaultPort};
  std::vector<uint16_t> iscsi_ports{3260};
};

ReplayArgs g_args;
int g_status = 0;

ReportContext report_context() {
  ReportContext c;
  c.title = "nicsim replay " + g_args.trace;
  c.trace = g_args.trace;
  c.ports = g_args.ports;
  c.iscsi_ports = g_args.iscsi_ports;
  c.split_gso = g_args.split_gso;
  c.split_implied = g_args.split_implied;
  c.fix_checksums = g_args.fix_checksums;
  c.allow_empty = g_args.allow_empty;
  c.per_flow = g_args.per_flow;
  return c;
}

// Every output path, before anything runs; the dump folder is made here.
void check_outputs() {
  for (const auto& [option, path] : {std::pair<const char*, const std::string*>{"--report", &g_args.report},
                                     {"--csv", &g_args.csv}, {"--vcd", &g_args.vcd}, {"--fst", &g_args.fst},
                                     {"--timeline", &g_args.timeline}})
    if (!path->empty()) nic::tb::check_output_file(option, *path);
  if (!g_args.dump_dir.empty()) nic::tb::make_output_dir("--dump-buffers", g_args.dump_dir);
}

void run() {
  nic::SimConfig cfg;
  try {
    if (!g_args.config.empty()) nic::load_config_file(cfg, g_args.config);
    for (const auto& s : g_args.sets) nic::apply_assignment(cfg, s);
    nic::validate(cfg);
  } catch (const std::invalid_argument& e) {
    std::cerr << "nicsim replay: " << e.what() << "\n";
    g_status = 2;
    return;
  }
  nic::tb::ReplayOptions opt;
  opt.trace = g_args.trace;
  opt.cfg = cfg;
  opt.honour_timestamps = !g_args.line_rate;
  opt.run_ahead = !g_args.no_run_ahead;
  opt.clock_gating = !g_args.no_clock_gating;
  opt.verify = !g_args.no_verify;
  opt.read_digests = !g_args.no_read_digests;
  opt.nvme_ports.ports = g_args.ports;
  opt.iscsi_ports.ports = g_args.iscsi_ports;
  opt.fix_checksums = g_args.fix_checksums;
  // Checksums left to offload mean a capture above the NIC, where segmentation is not done yet
  // either: a frame longer than the MAC takes is one the NIC would have seen cut.
  if (g_args.fix_checksums && g_args.split_gso.empty()) {
    g_args.split_gso = "auto";
    g_args.split_implied = true;
  }
  opt.split_gso = !g_args.split_gso.empty();
  if (opt.split_gso && g_args.split_gso != "auto") opt.gso_mss = uint32_t(std::stoul(g_args.split_gso));
  opt.keep_data = !g_args.dump_dir.empty();
  opt.vcd = g_args.vcd;
  opt.fst = g_args.fst;
  opt.trace_on = g_args.trace_on;
  try {
    if (!g_args.window.empty()) {
      const auto colon = g_args.window.find(':');
      if (colon == std::string::npos) throw std::invalid_argument("--trace-window wants START:END");
      opt.trace_from_ps = parse_time_ps(g_args.window.substr(0, colon), cfg.core.clock_mhz);
      opt.trace_to_ps = parse_time_ps(g_args.window.substr(colon + 1), cfg.core.clock_mhz);
      if (opt.trace_to_ps <= opt.trace_from_ps) throw std::invalid_argument("--trace-window: END must be after START");
    }
    if (!g_args.trace_for.empty()) opt.trace_for_ps = parse_time_ps(g_args.trace_for, cfg.core.clock_mhz);
    if (!g_args.timeline.empty()) {
      opt.timeline_window_ps = uint64_t(std::llround(g_args.timeline_us * 1e6));
      if (!opt.timeline_window_ps) throw std::invalid_argument("--timeline-us: a window of at least 1 ps (0.000001)");
    }
    check_outputs();
  } catch (const std::invalid_argument& e) {
    std::cerr << "nicsim replay: " << e.what() << "\n";
    g_status = 2;
    return;
  }
  const bool tty = isatty(2);
  if (tty || g_args.progress)  // quiet when stderr is not a terminal, unless asked
    opt.progress = [tty](const nic::tb::ReplayProgress& p) {
      struct rusage ru {};
      getrusage(RUSAGE_SELF, &ru);
      std::fprintf(stderr, "%s  %llu packets, %.1f us simulated, %.2f s wall, %.0f packets/s, peak RSS %ld KB%s",
                   tty ? "\r" : "", (unsigned long long)p.records, p.simulated_us, p.wall_seconds,
                   p.wall_seconds > 0 ? double(p.records) / p.wall_seconds : 0.0, ru.ru_maxrss,
                   tty ? "   " : "\n");
    };
  CommandList cmds(!g_args.report.empty());
  opt.on_command = [&cmds](const nic::host::CommandRecord& c) {
    cmds.add(c);
    if (!g_args.dump_dir.empty()) dump_buffer(g_args.dump_dir, c);
  };
  nic::tb::ReplayResult r;
  try {
    r = nic::tb::run_replay(opt);
  } catch (const nic::pcap::PcapError& e) {
    std::cerr << "nicsim replay: " << e.what() << "\n";
    g_status = 2;
    return;
  }
  if (tty) std::fprintf(stderr, "\r%*s\r", 100, "");
  if (!r.input_error.empty() && !(g_args.allow_truncated && r.input_truncated)) {
    // A broken trace gets no summary or report.
    std::cerr << "nicsim replay: " << r.input_error << "\n";
    g_status = 2;
    return;
  }
  const ReportContext ctx = report_context();
  print_summary(ctx, cfg, r, cmds);
  if (!g_args.report.empty() || !g_args.csv.empty()) {
    const nlohmann::ordered_json rep = report_json(ctx, cfg, r);
    if (!g_args.report.empty()) {
      std::ofstream out(g_args.report);
      write_report(out, rep, cmds);
      if (!out) {
        std::cerr << "nicsim replay: cannot write " << g_args.report << "\n";
        g_status = 1;
        return;
      }
    }
    if (!g_args.csv.empty() && !write_csv(g_args.csv, rep)) {
      std::cerr << "nicsim replay: cannot write " << g_args.csv << "\n";
      g_status = 1;
      return;
    }
  }
  if (r.timeline) {
    std::ofstream out(g_args.timeline);
    r.timeline->write_csv(out);
    if (!out) {
      std::cerr << "nicsim replay: cannot write " << g_args.timeline << "\n";
      g_status = 1;
      return;
    }
  }
  for (const auto& n : r.verdict.checksum_failures)
    std::cerr << "nicsim replay: warning: " << checksum_warning(n) << "\n";
  if (r.oversize_frames && g_args.split_gso.empty())
    std::cerr << "nicsim replay: warning: " << oversize_warning(cfg, r) << "\n";
  if (!r.verdict.ok()) {
    std::cerr << "nicsim replay: " << r.verdict.mismatches.front() << "\n";
    g_status = 1;
  } else if (!r.verdict.skipped && !r.verdict.followed_all() && !g_args.allow_empty) {
    std::cerr << "nicsim replay: " << unfollowed_error(ctx, r.verdict) << "\n";
    g_status = 1;
  }
}

}  // namespace

void add_replay_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("replay", "Replay a pcap through the modelled NIC and host driver");
  sub->add_option("trace", g_args.trace, "pcap or pcapng trace, - for standard input")
      ->required()
      ->check(CLI::ExistingFile | CLI::IsMember({"-"}));
  sub->add_option("--config", g_args.config, "JSON config file (see `nicsim config --dump`)")
      ->check(CLI::ExistingFile);
  sub->add_option("--set", g_args.sets, "override a config key: --set mac.rx_fifo_bytes=32768");
  sub->add_option("--report", g_args.report, "write the JSON report here");
  sub->add_option("--dump-buffers", g_args.dump_dir, "write each read's final buffer into DIR");
  sub->add_option("--csv", g_args.csv, "write the summary, counters, FIFO, block and per-flow tables as CSV");
  sub->add_flag("--per-flow", g_args.per_flow,
                "print a table of every flow's counters (the first 50; the report's flows has all)");
  sub->add_option("--timeline", g_args.timeline,
                  "write a time series as CSV: one row per window of simulated time (docs/timeline.md)");
  sub->add_option("--timeline-us", g_args.timeline_us, "the timeline's window in microseconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--vcd", g_args.vcd, "write a VCD waveform (and a .gtkw save file beside it)");
  sub->add_option("--fst", g_args.fst, "write the waveform as FST (needs GTKWave's vcd2fst)");
  sub->add_option("--trace-window", g_args.window,
                  "record waves only in START:END (e.g. 100us:150us, 20000c:30000c)");
  sub->add_option("--trace-on", g_args.trace_on, "start recording at the first EVENT")
      ->check(CLI::IsMember({"drop", "resync", "framing_lost"}));
  sub->add_option("--trace-for", g_args.trace_for, "with --trace-on: how long to record (default 100us)");
  sub->add_flag("--line-rate", g_args.line_rate, "ignore timestamps: frames back to back at line rate");
  sub->add_flag("--no-verify", g_args.no_verify,
                "skip the independent decode of the trace and its verdict (faster; the DMA "
                "isolation check stays)");
  sub->add_flag("--no-read-digests", g_args.no_read_digests,
                "no SHA-256 of each read's buffer in the report (faster)");
  sub->add_flag("--no-run-ahead", g_args.no_run_ahead,
                "one kernel time step per clock cycle (slower; for checking that results match)");
  sub->add_flag("--no-clock-gating", g_args.no_clock_gating,
                "the core clock ticks every cycle, also idle ones (slower; for checking that "
                "results match)");
  sub->add_flag("--progress", g_args.progress,
                "a progress line (with peak RSS) on stderr twice a second, also when it is not a terminal");
  sub->add_option("--nvme-port", g_args.ports,
                  "controller TCP ports of NVMe/TCP connections, comma-separated (like tshark's "
                  "nvme-tcp.subsystem_ports)")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--iscsi-port", g_args.iscsi_ports,
                  "target TCP ports of iSCSI connections, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_flag("--fix-checksums", g_args.fix_checksums,
                "rewrite every frame's IPv4, TCP and UDP checksums before the NIC sees it (a "
                "capture taken with checksum offload, or on loopback; as tcprewrite --fixcsum); "
                "implies --split-gso, as such a capture is also above segmentation offload");
  sub->add_flag("--split-gso{auto}", g_args.split_gso,
                "cut TCP frames longer than mac.max_frame_bytes (with =MSS, 1..65535, also those "
                "with more payload) into frames of at most MSS payload bytes, as GSO would, before "
                "the NIC sees them (a capture above TSO/GRO, or on loopback); default MSS: what "
                "fills a 1500-byte IP packet")
      ->type_name("[=MSS]")
      ->check((CLI::Range(1, 65535) | CLI::IsMember({"auto"})).description(""));
  sub->add_flag("--allow-truncated", g_args.allow_truncated,
                "replay the complete records of a file that ends inside a record");
  sub->add_flag("--allow-empty", g_args.allow_empty,
                "exit 0 even when no read, or not every read, of the trace was followed");
  sub->callback([] {
    set_exit_status(run_systemc("replay", [] {
      run();
      return g_status;
    }));
  });
}

}  // namespace nicsim
