// `nicsim run`: a closed loop (docs/closed-loop.md). NVMe/TCP controllers or iSCSI targets
// (--ulp) with TCP senders that react to what the NIC does answer a fio-like workload of the
// host model through the modelled NIC; the summary gives fio's figures beside the NIC's, and the verdict is the
// replay's, over what crossed the NIC's port (--pcap-out writes it).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <unistd.h>

#include "apps/nicsim/commands.hpp"
#include "apps/nicsim/replay_report.hpp"
#include "tb/closed_loop/ClosedLoop.hpp"
#include "tb/common/output_path.hpp"
#include "tb/pcap/pcap_io.hpp"

namespace nicsim {

namespace {

struct RunArgs {
  std::string config, report, csv, pcap_out, timeline;
  double timeline_us = 10;
  std::vector<std::string> sets;
  bool progress = false, no_verify = false, per_flow = false, no_sack = false;
  std::string io_size = "128K", switch_buffer = "4M", max_pdu_data = "0", iscsi_max_recv = "256K";
  std::string service_dist = "fixed";
  nic::loop::LoopConfig loop;
  double rto_min_us = 200000;
};

RunArgs g_run;
int g_run_status = 0;

double gbps(uint64_t bytes, double seconds) { return seconds > 0 ? double(bytes) * 8e-9 / seconds : 0; }

nlohmann::ordered_json io_json(const nic::loop::IoFigures& f) {
  const double s = f.seconds();
  return {{"reads", f.reads},
          {"errors", f.errors},
          {"bytes", f.bytes},
          {"seconds", s},
          {"iops", s > 0 ? double(f.reads) / s : 0.0},
          {"throughput_gbps", gbps(f.bytes, s)},
          {"clat_ns", {{"p50", f.clat_ns.percentile(0.5)},
                       {"p99", f.clat_ns.percentile(0.99)},
                       {"p99.9", f.clat_ns.percentile(0.999)},
                       {"max", f.clat_ns.max()}}}};
}

nlohmann::ordered_json tcp_json(const nic::tcp::TcpSenderStats& t, uint64_t pure_acks) {
  return {{"segments", t.segments},           {"bytes", t.bytes_sent},
          {"retransmitted_segments", t.retransmitted_segments},
          {"retransmitted_bytes", t.retransmitted_bytes},
          {"fast_retransmits", t.fast_retransmits}, {"sack_recoveries", t.sack_recoveries},
          {"rtos", t.rtos},                   {"tlp_probes", t.tlp_probes},
          {"rack_losses", t.rack_losses},     {"max_cwnd_bytes", t.max_cwnd},
          {"pure_acks", pure_acks}};
}

nlohmann::ordered_json loop_json(const nic::loop::LoopConfig& l, const nic::loop::LoopResult& r) {
  nlohmann::ordered_json conns = nlohmann::ordered_json::array();
  for (const auto& k : r.conns) {
    nlohmann::ordered_json c = {{"flow", k.flow}, {"target", k.target}};
    c.update(io_json(k.io));
    c["unfinished"] = k.unfinished;
    c["tcp_target"] = tcp_json(k.target_tcp, k.target_pure_acks);
    c["tcp_host"] = tcp_json(k.host_tcp, k.host_pure_acks);
    if (!k.failure.empty()) c["failure"] = k.failure;
    conns.push_back(std::move(c));
  }
  return {{"workload",
           {{"ulp", l.ulp}, {"connections", l.connections}, {"targets", l.targets},
            {"queue_depth", l.queue_depth}, {"ios", l.ios},
            {"io_size", l.io_size.str()}, {"service_us", l.service_us},
            {"service_dist", l.service_exponential ? "exp" : "fixed"}, {"hdgst", l.hdgst},
            {"ddgst", l.ddgst}, {"hpda", l.hpda}, {"max_pdu_data", l.max_pdu_data},
            {"success_flag", l.success_flag}, {"iscsi_max_recv", l.iscsi_max_recv},
            {"iscsi_status_pdu", l.iscsi_status_pdu}}},
          {"network",
           {{"rtt_us", l.rtt_us}, {"sender_gbps", l.sender_gbps},
            {"switch_buffer_bytes", l.switch_buffer_bytes}, {"c2h_loss", l.c2h.loss},
            {"c2h_dup", l.c2h.dup}, {"c2h_reorder", l.c2h.reorder}, {"h2c_loss", l.h2c.loss},
            {"h2c_dup", l.h2c.dup}, {"h2c_reorder", l.h2c.reorder}, {"seed", l.seed}}},
          {"tcp",
           {{"mss", l.tcp.mss}, {"initial_cwnd", l.tcp.initial_cwnd},
            {"rto_min_us", double(l.tcp.rto_min_ps) / 1e6}, {"sack", l.tcp.sack},
            {"delack_us", l.delack_us}}},
          {"total", io_json(r.total)},
          {"all_done", r.all_done},
          {"switch_drops", r.switch_drops},
          {"switch_max_queue_bytes", r.switch_max_queue_bytes},
          {"connections", std::move(conns)}};
}

void print_loop(const nic::loop::LoopConfig& l, const nic::loop::LoopResult& r) {
  auto& o = std::cout;
  const nic::loop::IoFigures& t = r.total;
  const double s = t.seconds();
  o << "  fio        " << t.reads << " reads (" << t.errors << " errors), "
    << fmt("%.2f Gb/s", gbps(t.bytes, s)) << ", " << fmt("%.1f kIOPS", s > 0 ? double(t.reads) / s / 1e3 : 0)
    << " over " << fmt("%.1f us", s * 1e6) << "\n";
  o << "  clat       p50 " << fmt("%.2f", double(t.clat_ns.percentile(0.5)) / 1e3) << "  p99 "
    << fmt("%.2f", double(t.clat_ns.percentile(0.99)) / 1e3) << "  p99.9 "
    << fmt("%.2f", double(t.clat_ns.percentile(0.999)) / 1e3) << "  max "
    << fmt("%.2f", double(t.clat_ns.max()) / 1e3) << " us\n";
  nic::tcp::TcpSenderStats tt, hh;
  for (const auto& k : r.conns) {
    nic::loop::add_sender_stats(tt, k.target_tcp);
    nic::loop::add_sender_stats(hh, k.host_tcp);
  }
  o << "  TCP        controllers: " << tt.segments << " segments, " << tt.retransmitted_segments
    << " retransmitted, " << tt.fast_retransmits << " fast recoveries, " << tt.rtos << " RTOs; host: "
    << hh.segments << " segments, " << hh.retransmitted_segments << " retransmitted, " << hh.rtos << " RTOs\n";
  o << "  network    RTT " << fmt("%.1f us", l.rtt_us) << "; switch drops " << r.switch_drops
    << " (queue max " << r.switch_max_queue_bytes << " of " << l.switch_buffer_bytes << " B); c2h lost "
    << r.c2h.lost << ", duplicated " << r.c2h.duplicated << ", reordered " << r.c2h.reordered
    << "; h2c lost " << r.h2c.lost << "\n";
  if (r.conns.size() > 1 && g_run.per_flow) {
    o << "  per connection (reads, Gb/s, clat p50/p99 us, retransmitted, RTOs)\n";
    for (const auto& k : r.conns) {
      const double ks = k.io.seconds();
      o << "    " << k.flow << "  " << k.io.reads << "  " << fmt("%.2f", gbps(k.io.bytes, ks)) << "  "
        << fmt("%.2f", double(k.io.clat_ns.percentile(0.5)) / 1e3) << "/"
        << fmt("%.2f", double(k.io.clat_ns.percentile(0.99)) / 1e3) << "  "
        << k.target_tcp.retransmitted_segments << "  " << k.target_tcp.rtos << "\n";
    }
  }
}

// Completes a's loop config from the options given as text and checks it against the NIC's
// config; throws std::invalid_argument.
void finish_loop(RunArgs& a, const nic::SimConfig& cfg) {
  nic::loop::LoopConfig& l = a.loop;
  l.io_size = nic::gen::parse_io_size(a.io_size);
  l.switch_buffer_bytes = nic::gen::parse_size(a.switch_buffer);
  l.max_pdu_data = uint32_t(nic::gen::parse_size(a.max_pdu_data));
  const uint64_t max_recv = nic::gen::parse_size(a.iscsi_max_recv);
  l.iscsi_max_recv = uint32_t(std::min<uint64_t>(max_recv, UINT32_MAX));  // validate() bounds it
  l.service_exponential = a.service_dist == "exp";
  l.tcp.sack = !a.no_sack;
  l.tcp.rto_min_ps = uint64_t(std::llround(a.rto_min_us * 1e6));
  l.h2c.reorder_us = l.c2h.reorder_us;
  l.validate();
  if (l.queue_depth > cfg.driver.queue_depth)
    throw std::invalid_argument("--queue-depth " + std::to_string(l.queue_depth) +
                                " is more than the driver's queue (driver.queue_depth " +
                                std::to_string(cfg.driver.queue_depth) + ")");
}

void run() {
  nic::SimConfig cfg;
  nic::loop::ClosedLoopOptions opt;
  try {
    if (!g_run.config.empty()) nic::load_config_file(cfg, g_run.config);
    for (const auto& s : g_run.sets) nic::apply_assignment(cfg, s);
    nic::validate(cfg);
    finish_loop(g_run, cfg);
    for (const auto& [option, path] : {std::pair<const char*, const std::string*>{"--report", &g_run.report},
                                       {"--csv", &g_run.csv}, {"--pcap-out", &g_run.pcap_out},
                                       {"--timeline", &g_run.timeline}})
      if (!path->empty()) nic::tb::check_output_file(option, *path);
  } catch (const std::invalid_argument& e) {
    std::cerr << "nicsim run: " << e.what() << "\n";
    g_run_status = 2;
    return;
  }
  opt.loop = g_run.loop;
  opt.pcap_out = g_run.pcap_out;
  opt.platform.cfg = cfg;
  opt.platform.verify = !g_run.no_verify;
  if (!g_run.timeline.empty()) opt.platform.timeline_window_ps = uint64_t(std::llround(g_run.timeline_us * 1e6));
  const bool tty = isatty(2);
  if (tty || g_run.progress)
    opt.platform.progress = [tty](const nic::tb::ReplayProgress& p) {
      std::fprintf(stderr, "%s  %llu frames to the NIC, %.1f us simulated, %.2f s wall%s", tty ? "\r" : "",
                   (unsigned long long)p.records, p.simulated_us, p.wall_seconds, tty ? "   " : "\n");
    };
  CommandList cmds(!g_run.report.empty());
  opt.platform.on_command = [&cmds](const nic::host::CommandRecord& c) { cmds.add(c); };
  const nic::loop::ClosedLoopResult r = nic::loop::run_closed_loop(opt);
  if (tty) std::fprintf(stderr, "\r%*s\r", 100, "");
  const nic::loop::LoopConfig& l = opt.loop;
  ReportContext ctx;
  ctx.title = "nicsim run: " + std::string(l.iscsi() ? "iSCSI, " : "") +
              std::to_string(l.connections) + " connections x QD " +
              std::to_string(l.queue_depth) + ", " + std::to_string(l.ios) + " reads of " +
              l.io_size.str() + " each, seed " + std::to_string(l.seed);
  ctx.trace = g_run.pcap_out;
  // The summary's ports line names the protocol the run spoke.
  (l.iscsi() ? ctx.iscsi_ports : ctx.ports) = {l.target_port()};
  ctx.per_flow = g_run.per_flow;
  ctx.host_transmits = true;
  print_summary(ctx, cfg, r.nic, cmds);
  print_loop(l, r.loop);
  if (!g_run.report.empty() || !g_run.csv.empty()) {
    nlohmann::ordered_json rep = report_json(ctx, cfg, r.nic);
    rep["closed_loop"] = loop_json(l, r.loop);
    if (!g_run.report.empty()) {
      std::ofstream out(g_run.report);
      write_report(out, rep, cmds);
      if (!out) {
        std::cerr << "nicsim run: cannot write " << g_run.report << "\n";
        g_run_status = 1;
        return;
      }
    }
    if (!g_run.csv.empty() && !write_csv(g_run.csv, rep)) {
      std::cerr << "nicsim run: cannot write " << g_run.csv << "\n";
      g_run_status = 1;
      return;
    }
  }
  if (r.nic.timeline) {
    std::ofstream out(g_run.timeline);
    r.nic.timeline->write_csv(out);
    if (!out) {
      std::cerr << "nicsim run: cannot write " << g_run.timeline << "\n";
      g_run_status = 1;
      return;
    }
  }
  const nic::tb::Verdict& v = r.nic.verdict;
  if (!v.ok()) {
    std::cerr << "nicsim run: " << v.mismatches.front() << "\n";
    g_run_status = 1;
  } else if (r.loop.total.errors) {
    std::cerr << "nicsim run: " << r.loop.total.errors << " reads failed\n";
    g_run_status = 1;
  } else if (!v.skipped && !v.followed_all()) {
    std::cerr << "nicsim run: " << unfollowed_error(ctx, v) << "\n";
    g_run_status = 1;
  }
}

// Every option but the NIC's config and the outputs: what a sweep's --run may give.
void add_run_options(CLI::App* sub, RunArgs& a) {
  nic::loop::LoopConfig& l = a.loop;
  sub->add_flag("--per-flow", a.per_flow, "print every connection's figures");
  sub->add_option("--timeline", a.timeline,
                  "write a time series as CSV (docs/timeline.md), with the controllers' cwnd, "
                  "retransmissions and RTOs per window");
  sub->add_option("--timeline-us", a.timeline_us, "the timeline's window in microseconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_flag("--progress", a.progress, "a progress line on stderr, also when it is not a terminal");
  sub->add_flag("--no-verify", a.no_verify, "skip the independent decode of the wire and its verdict");
  // The workload.
  sub->add_option("--ulp", l.ulp, "the storage protocol: nvme-tcp (port 4420) or iscsi (port 3260)")
      ->check(CLI::IsMember({"nvme-tcp", "iscsi"}))
      ->capture_default_str();
  sub->add_option("--flows", l.connections, "connections (I/O queues)")->capture_default_str();
  sub->add_option("--targets", l.targets, "controllers, each behind its own port (connection i to i % N)")
      ->capture_default_str();
  sub->add_option("--queue-depth", l.queue_depth, "reads in flight per connection (at most driver.queue_depth)")
      ->capture_default_str();
  sub->add_option("--ios", l.ios, "reads per connection")->capture_default_str();
  sub->add_option("--io-size", a.io_size, "read size: 128K (fixed), 4K:64K (uniform), 4K,64K (list)")
      ->capture_default_str();
  sub->add_option("--service-us", l.service_us, "controller: command arrival to data ready, us")
      ->capture_default_str();
  sub->add_option("--service-dist", a.service_dist, "service time: fixed, or exp (exponential, that mean)")
      ->check(CLI::IsMember({"fixed", "exp"}))
      ->capture_default_str();
  sub->add_flag("--hdgst", l.hdgst, "negotiate header digests (iSCSI: HeaderDigest=CRC32C)");
  sub->add_flag("--ddgst", l.ddgst, "negotiate data digests (iSCSI: DataDigest=CRC32C)");
  sub->add_option("--hpda", l.hpda, "host PDU data alignment, 0..31")->capture_default_str();
  sub->add_option("--max-pdu-data", a.max_pdu_data, "C2HData bytes per PDU (0: a read in one PDU)")
      ->capture_default_str();
  sub->add_option("--success-flag", l.success_flag, "share of reads ended by the SUCCESS flag")
      ->capture_default_str();
  sub->add_option("--iscsi-max-recv", a.iscsi_max_recv,
                  "iSCSI: the initiator's MaxRecvDataSegmentLength, the largest Data-In")
      ->capture_default_str();
  sub->add_option("--iscsi-status-pdu", l.iscsi_status_pdu,
                  "iSCSI: share of reads ended by a SCSI Response instead of status on the last Data-In")
      ->capture_default_str();
  sub->add_option("--seed", l.seed, "random seed: same seed, same run")->capture_default_str();
  // TCP.
  sub->add_option("--mss", l.tcp.mss, "TCP MSS, payload bytes per segment")->capture_default_str();
  sub->add_option("--init-cwnd", l.tcp.initial_cwnd, "initial congestion window, segments")->capture_default_str();
  sub->add_option("--rto-min-us", a.rto_min_us, "minimum retransmission timeout, us (Linux: 200 ms)")
      ->capture_default_str();
  sub->add_option("--delack-us", l.delack_us, "delayed-ACK timeout, us (Linux: 40 ms)")->capture_default_str();
  sub->add_flag("--no-sack", a.no_sack, "no SACK: NewReno recovery");
  // The network.
  sub->add_option("--rtt-us", l.rtt_us, "base round trip of the network, us")->capture_default_str();
  sub->add_option("--sender-gbps", l.sender_gbps, "controllers' port rate (0: the NIC's line rate)")
      ->capture_default_str();
  sub->add_option("--switch-buffer", a.switch_buffer, "the switch port's buffer in front of the NIC")
      ->capture_default_str();
  sub->add_option("--loss", l.c2h.loss, "controller->host: probability a frame is lost");
  sub->add_option("--dup", l.c2h.dup, "controller->host: probability a frame arrives twice");
  sub->add_option("--reorder", l.c2h.reorder, "controller->host: probability a frame is held back");
  sub->add_option("--h2c-loss", l.h2c.loss, "host->controller: probability a frame is lost");
  sub->add_option("--h2c-dup", l.h2c.dup, "host->controller: probability a frame arrives twice");
  sub->add_option("--h2c-reorder", l.h2c.reorder, "host->controller: probability a frame is held back");
  sub->add_option("--reorder-us", l.c2h.reorder_us, "how long a held-back frame waits, us")->capture_default_str();
}

}  // namespace

void check_run_options(const std::vector<std::string>& words, const nic::SimConfig& cfg) {
  CLI::App app;
  app.set_help_flag();  // --help is then an argument not expected, not a call for help
  RunArgs a;
  add_run_options(&app, a);
  std::vector<std::string> args(words.rbegin(), words.rend());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw std::invalid_argument(e.what());
  }
  finish_loop(a, cfg);
}

void add_run_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "run", "Closed loop: TCP senders that react to the modelled NIC answer a fio-like read workload");
  RunArgs& a = g_run;
  sub->add_option("--config", a.config, "JSON config file of the NIC (see `nicsim config --dump`)")
      ->check(CLI::ExistingFile);
  sub->add_option("--set", a.sets, "override a NIC config key: --set mac.rx_fifo_bytes=32768");
  sub->add_option("--report", a.report, "write the JSON report here (the replay's, plus closed_loop)");
  sub->add_option("--csv", a.csv, "write the report's tables as CSV");
  sub->add_option("--pcap-out", a.pcap_out, "write both directions at the NIC's port as a pcap");
  add_run_options(sub, a);
  sub->callback([] {
    set_exit_status(run_systemc("run", [] {
      run();
      return g_run_status;
    }));
  });
}

}  // namespace nicsim
