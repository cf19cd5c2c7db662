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

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
double share(uint64_t part, uint64_t whole) { return whole ? double(part) / double(whole) : 0.0; }
std::string pct(uint64_t part, uint64_t whole) {
  return whole ? fmt("%.1f%%", 100.0 * share(part, whole)) : "n/a";
}

// Text of a value dumped at nesting depth `depth` of a report indented by 2.
std::string nested(const nlohmann::ordered_json& v, int depth) {
  std::string out;
  for (char ch : v.dump(2)) {
    out += ch;
    if (ch == '\n') out.append(size_t(2 * depth), ' ');
  }
  return out;
}

// The reads as they complete: a count per status for the summary and, when a report is
// written, the report's "commands" array spooled to a temporary file, so a long trace's list
// never sits in memory.
class CommandList {
 public:
  explicit CommandList(bool spool) : tmp_(spool ? std::tmpfile() : nullptr) {
    if (spool && !tmp_) throw std::runtime_error("cannot create a temporary file for the report");
  }
  ~CommandList() {
    if (tmp_) std::fclose(tmp_);
  }
  // Written straight as text, the same as nested(json, 2) of the entry would give: a json
  // object per read cost 5 % of a replay of 4 KiB reads.
  void add(const nic::host::CommandRecord& c) {
    ++by_status_[c.status];
    if (!tmp_) return;
    text_.assign(written_++ ? ",\n    " : "    ");
    nic::JsonObjectText o(text_, 2);
    o.str("flow", c.flow);
    // NVMe/TCP entries keep the key they always had; iSCSI ones name the protocol and the ITT.
    if (std::strcmp(c.protocol, "iscsi") == 0)
      o.str("protocol", c.protocol).num("tag", c.tag);
    else
      o.num("cid", c.tag);
    o.num("order", c.order).num("length", c.length);
    if (!c.sha256.empty()) o.str("sha256", c.sha256);  // absent with --no-read-digests
    o.str("status", c.status).num("placed_bytes", c.placed_bytes)
        .num("copied_bytes", c.copied_bytes).str("crc", c.crc).boolean("ddp", c.ddp)
        .real("latency_ns", double(c.complete_ps - c.submit_ps) / 1000.0)
        .close();
    std::fwrite(text_.data(), 1, text_.size(), tmp_);
  }
  size_t count() const {
    size_t n = 0;
    for (const auto& [st, k] : by_status_) n += k;
    return n;
  }
  const std::map<std::string, size_t>& by_status() const { return by_status_; }
  // The array as the report's member at depth 1.
  void write_array(std::ostream& out) {
    if (!written_) {
      out << "[]";
      return;
    }
    out << "[\n";
    std::rewind(tmp_);
    char buf[1 << 16];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, tmp_)) > 0;) out.write(buf, std::streamsize(n));
    out << "\n  ]";
  }

 private:
  std::FILE* tmp_;
  std::map<std::string, size_t> by_status_;
  size_t written_ = 0;  // entries in the spool file
  std::string text_;    // one entry's text, reused
};

// The same text as rep.dump(2), with the commands array taken from the list.
void write_report(std::ostream& out, const nlohmann::ordered_json& rep, CommandList& cmds) {
  out << "{\n";
  size_t i = 0;
  for (auto it = rep.begin(); it != rep.end(); ++it) {
    out << "  " << nlohmann::json(it.key()).dump() << ": ";
    if (it.key() == "commands")
      cmds.write_array(out);
    else
      out << nested(it.value(), 1);
    out << (++i < rep.size() ? ",\n" : "\n");
  }
  out << "}\n";
}

// A cache's counts, then `more`, then its miss latency: the fields every cache reports.
nlohmann::ordered_json cache_json(const nic::tb::CacheReport& c, const nlohmann::ordered_json& more) {
  nlohmann::ordered_json j = {{"hits", c.cache.hits}, {"misses", c.cache.misses},
                              {"merged", c.cache.merged}, {"mshr_full", c.cache.mshr_full},
                              {"evictions_clean", c.cache.evictions_clean},
                              {"evictions_dirty", c.cache.evictions_dirty}};
  for (const auto& [k, v] : more.items()) j[k] = v;
  j["miss_cycles_p50"] = c.miss_cycles_p50;
  j["miss_cycles_p99"] = c.miss_cycles_p99;
  j["miss_cycles_max"] = c.miss_cycles_max;
  return j;
}

// The summary's words for a cache's counts and miss latency.
std::string cache_line(const nic::tb::CacheReport& c) {
  std::ostringstream o;
  o << "hits " << c.cache.hits << ", misses " << c.cache.misses << " (merged " << c.cache.merged
    << ", MSHR full " << c.cache.mshr_full << "), evictions dirty " << c.cache.evictions_dirty
    << " clean " << c.cache.evictions_clean << "; miss cycles p50 " << c.miss_cycles_p50
    << " p99 " << c.miss_cycles_p99;
  return o.str();
}

nlohmann::ordered_json report_json(const nic::SimConfig& cfg, const nic::tb::ReplayResult& r) {
  const nic::tb::Verdict& v = r.verdict;
  nlohmann::ordered_json j;
  j["trace"] = g_args.trace;
  j["config"] = nlohmann::ordered_json::parse(nic::config_to_json(cfg));
  // All contexts on chip, the report is the one from before the cache existed.
  if (!r.ctx_cache) j["config"].erase("ctx_cache");
  if (!r.ddp_cache) j["config"].erase("ddp_cache");
  // Replay transmits nothing (the host's frames reach the driver only), so its report is the
  // one from before the transmit path existed.
  j["config"].erase("tx");
  j["counters"] = r.counters;
  // Offload coverage: the share of C2H data the NIC placed and of data PDUs it verified.
  const uint64_t data_bytes = r.sw.placed_bytes + r.sw.copied_bytes;
  j["counters"]["placed_fraction"] = data_bytes ? double(r.sw.placed_bytes) / double(data_bytes) : 0.0;
  j["counters"]["crc_verified_fraction"] =
      r.sw.data_pdus ? double(r.sw.hw_crc_pdus) / double(r.sw.data_pdus) : 0.0;
  auto& s = j["summary"];
  const double span_s = double(r.wire_last_ps - r.wire_first_ps) * 1e-12;
  // Achieved: bytes delivered to host memory over first bit in to last completion out.
  const double end_s = double(r.last_completion_ps - r.wire_first_ps) * 1e-12;
  const auto cnt = [&](const char* k) { auto it = r.counters.find(k); return it == r.counters.end() ? 0.0 : double(it->second); };
  s["offered_gbps"] = span_s > 0 ? double(r.c2h_wire_bytes) * 8 / span_s / 1e9 : 0.0;
  s["achieved_gbps"] = end_s > 0 ? (cnt("placement_bytes_placed") + cnt("placement_bytes_kept")) * 8 / end_s / 1e9 : 0.0;
  s["latency_frames"] = r.latency_count;
  s["latency_ns_p50"] = r.latency_p50;
  s["latency_ns_p99"] = r.latency_p99;
  s["latency_ns_p999"] = r.latency_p999;
  s["latency_ns_max"] = r.latency_max;
  s["pcie_up_busy_fraction"] = r.pcie_up_util;
  s["pcie_down_busy_fraction"] = r.pcie_down_util;
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  s["peak_rss_kb"] = ru.ru_maxrss;
  s["simulated_ps"] = r.sim_ps;
  s["cycles"] = r.cycles;
  s["active_cycles"] = r.active_cycles;
  s["wall_seconds"] = r.wall_seconds;
  s["active_cycles_per_wall_second"] = r.wall_seconds > 0 ? double(r.active_cycles) / r.wall_seconds : 0.0;
  const uint64_t data = r.sw.placed_bytes + r.sw.copied_bytes;
  s["c2h_data_bytes"] = data;
  s["placed_fraction"] = data ? double(r.sw.placed_bytes) / double(data) : 0.0;
  s["crc_verified_fraction"] =
      r.sw.data_pdus ? double(r.sw.hw_crc_pdus) / double(r.sw.data_pdus) : 0.0;
  nlohmann::ordered_json fifos = nlohmann::ordered_json::array();
  for (const auto& f : r.fifos)
    fifos.push_back({{"name", f.name}, {"unit", f.unit}, {"capacity", f.capacity},
                     {"high_watermark", f.high_watermark}, {"cycles_full", f.cycles_full},
                     {"p50", f.p50}, {"p99", f.p99}, {"blocked_cycles", f.blocked_cycles},
                     {"drops", f.drops}, {"histogram_bucket", f.bucket},
                     {"histogram", f.histogram}});
  j["fifos"] = fifos;
  nlohmann::ordered_json blocks = nlohmann::ordered_json::array();
  for (const auto& b : r.blocks)
    blocks.push_back({{"name", b.name}, {"busy_cycles", b.busy}, {"stalled_cycles", b.stalled},
                      {"busy_fraction", share(b.busy, r.cycles)},
                      {"busy_fraction_of_active", share(b.busy, r.active_cycles)}});
  j["blocks"] = blocks;
  const std::vector<nic::SramItem> sram = nic::sram_budget(cfg);
  nlohmann::ordered_json rams = nlohmann::ordered_json::array();
  for (const nic::SramItem& i : sram)
    rams.push_back({{"name", i.name}, {"entries", i.entries}, {"entry_bytes", i.entry_bytes},
                    {"bytes", i.bytes()}});
  j["sram"] = {{"total_bytes", nic::sram_total(sram)}, {"structures", rams}};
  // Per stage of a frame's way and part of a read's latency (docs/latency.md).
  const auto latency_rows = [](const std::vector<nic::tb::LatencyFigures>& rows) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& f : rows)
      a.push_back({{"name", f.name}, {"count", f.count}, {"p50_ns", f.p50}, {"p99_ns", f.p99},
                   {"p999_ns", f.p999}, {"max_ns", f.max}});
    return a;
  };
  j["latency"] = {{"frames", latency_rows(r.frame_latency)}, {"reads", latency_rows(r.read_latency)}};
  if (const auto& cc = r.ctx_cache)
    j["ctx_cache"] = cache_json(*cc, {{"wait_frames", cc->wait_frames},
                                      {"wait_cycles", cc->wait_cycles},
                                      {"bypassed_frames", cc->bypassed}});
  if (const auto& dc = r.ddp_cache) {
    j["ddp_cache"] = cache_json(*dc, {{"installs", dc->cache.installs},
                                      {"wait_frames", dc->wait_frames},
                                      {"wait_cycles", dc->wait_cycles},
                                      {"bypassed_segments", dc->bypassed_segments},
                                      {"lookup_cycles", dc->lookup_cycles}});
    if (dc->sgl) j["sgl_cache"] = cache_json(*dc->sgl, {{"installs", dc->sgl->cache.installs}});
  }
  j["commands"] = nlohmann::ordered_json::array();  // filled from the CommandList on writing
  j["failed_connections"] = r.failed_connections;
  nlohmann::ordered_json flows = nlohmann::ordered_json::array();
  for (const auto& f : r.flows) {
    nlohmann::ordered_json o = {{"flow", f.flow}, {"target", f.target}, {"protocol", f.protocol},
                                {"offloaded", f.offloaded}, {"offered_frames", f.offered_frames},
                                {"offered_payload_bytes", f.offered_payload_bytes}};
    for (const auto& [name, v] : f.counters) o[name] = v;
    flows.push_back(std::move(o));
  }
  j["flows"] = std::move(flows);
  j["capture"] = {{"records", r.records}, {"nvme_ports", g_args.ports},
                  {"iscsi_ports", g_args.iscsi_ports},
                  {"cut_records", r.cut_records}, {"cut_records_not_tcp", r.cut_not_tcp},
                  {"snaplen", v.snaplen},
                  {"checksums_fixed", r.checksums_fixed}, {"oversize_frames", r.oversize_frames}};
  if (!g_args.split_gso.empty()) {
    j["capture"]["gso_frames_split"] = r.gso_frames_split;
    j["capture"]["gso_pieces"] = r.gso_pieces;
  }
  if (r.input_truncated) j["capture"]["truncated_bytes_lost"] = r.input_bytes_lost;
  j["verdict"] = {{"checked", v.checked}, {"broken_in_trace", v.broken}, {"incomplete_in_trace", v.incomplete},
                  {"failed_safe", v.failed_safe}, {"mismatches", v.mismatches}, {"ok", v.mismatches.empty()}};
  if (v.skipped) {
    j["verdict"]["skipped"] = true;  // --no-verify: only isolation was checked
  } else {
    // What the trace holds that was not followed, and why: a pass must have checked something.
    const auto conns = [](const std::vector<nic::check::NotFollowed>& list) {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (const auto& n : list)
        a.push_back({{"flow", n.flow}, {"port", n.port}, {"why", nic::check::to_string(n.why)},
                     {"reads", n.reads_known ? nlohmann::ordered_json(n.reads) : nlohmann::ordered_json()},
                     {"frames", n.frames}, {"bad_checksum_frames", n.bad_checksum}, {"cut_records", n.cut},
                     {"oversize_frames", n.oversize}});
      return a;
    };
    j["verdict"]["followed_all"] = v.followed_all();
    j["verdict"]["reads_not_followed"] = v.reads_not_followed();
    j["verdict"]["not_followed"] = conns(v.not_followed);
    j["verdict"]["checksum_failures"] = conns(v.checksum_failures);
    j["verdict"]["allow_empty"] = g_args.allow_empty;
  }
  return j;
}

std::string checksum_warning(const nic::check::NotFollowed& n) {
  return n.flow + " (port " + std::to_string(n.port) + "): " + std::to_string(n.bad_checksum) +
         " of " + std::to_string(n.frames) +
         " frames fail their checksums and are not offloaded or followed; a capture on a host "
         "with checksum offload or on loopback? replay with --fix-checksums";
}

// Frames the MAC drops for their length: said once, whichever connections they belong to.
std::string oversize_warning(const nic::SimConfig& cfg, const nic::tb::ReplayResult& r) {
  return std::to_string(r.oversize_frames) +
         " target frames (NVMe/TCP, iSCSI) are longer than mac.max_frame_bytes (" +
         std::to_string(cfg.mac.max_frame_bytes) + " B; the longest " +
         std::to_string(r.oversize_longest) +
         " B) and the MAC drops them; a capture on a host with TSO/GSO/GRO, or on loopback? "
         "replay with --split-gso";
}

// "12 reads", with the connections whose reads could not be counted (joined mid-stream).
std::string unfollowed_reads(const nic::tb::Verdict& v) {
  size_t uncounted = 0;
  for (const auto& n : v.not_followed) uncounted += !n.reads_known;
  const std::string n = std::to_string(v.reads_not_followed()) + " reads";
  if (!uncounted) return n;
  const std::string of = "the uncounted reads of " + std::to_string(uncounted) +
                         (uncounted == 1 ? " connection" : " connections");
  return v.reads_not_followed() ? n + " and " + of : of;
}

// The one-line error of a replay that passed nothing it could check.
std::string unfollowed_error(const nic::tb::Verdict& v) {
  std::string s;
  if (v.checked + v.broken + v.incomplete == 0) {
    s = "no read of the trace was followed on NVMe/TCP ports " +
        nic::net::PortList{g_args.ports}.str() + " or iSCSI ports " +
        nic::net::PortList{g_args.iscsi_ports}.str();
    if (v.not_followed.empty() && v.cut_records)
      s += "; " + std::to_string(v.cut_records) + " records cut short by the snap length " +
           std::to_string(v.snaplen) + " (recapture with tcpdump -s 0)";
  } else {
    s = unfollowed_reads(v) + " of the trace were not followed";
  }
  if (!v.not_followed.empty()) s += "; " + nic::tb::describe(v.not_followed.front());
  if (v.not_followed.size() > 1) s += " (and " + std::to_string(v.not_followed.size() - 1) + " more connections)";
  return s + " [--allow-empty accepts this]";
}

// --per-flow: one row per connection, the first kFlowRows of them (the report has all).
constexpr size_t kFlowRows = 50;
void print_flows(const std::vector<nic::tb::FlowReport>& flows) {
  auto& o = std::cout;
  o << "  flow                  proto    frames  payload-B   placed-B   copied-B holes lost resync  "
       "PDUs-hw dig-err  miss stale search  csum drops ctx-miss\n";
  for (size_t i = 0; i < std::min(flows.size(), kFlowRows); ++i) {
    const nic::tb::FlowReport& f = flows[i];
    const auto find = [&](const char* k) -> const uint64_t* {
      for (const auto& [name, v] : f.counters)
        if (std::strcmp(name, k) == 0) return &v;
      return nullptr;
    };
    const auto at = [&](const char* k) { const uint64_t* v = find(k); return v ? (unsigned long long)*v : 0ULL; };
    // No context cache, no misses to count: a dash, not a 0.
    const uint64_t* ctx_misses = find("ctx_cache_misses");
    char line[360];
    std::snprintf(line, sizeof line,
                  "  %-21s %-8s %6llu %10llu %10llu %10llu %5llu %4llu %3llu/%-3llu %7llu %7llu %5llu "
                  "%5llu %6llu %5llu %5llu %8s\n",
                  f.flow.c_str(), f.protocol, (unsigned long long)f.offered_frames,
                  (unsigned long long)f.offered_payload_bytes, at("placement_bytes_placed"),
                  at("c2h_data_bytes_copied"), at("tracker_holes"), at("tracker_framing_lost"),
                  at("tracker_resync_requests"), at("tracker_resyncs_confirmed"),
                  at("crc_pdus_verified_ok"), at("crc_pdus_digest_error"), at("bypass_flow_miss"),
                  at("bypass_out_of_seq"), at("bypass_searching"), at("bypass_bad_checksum"),
                  at("drop_rx_ring_full"), ctx_misses ? std::to_string(*ctx_misses).c_str() : "-");
    o << line;
  }
  if (flows.size() > kFlowRows)
    o << "  ... " << flows.size() - kFlowRows << " more flows left out (all in the report's flows)\n";
}

// The budget's total and its three largest structures (`nicsim config --sram` lists them all).
void print_sram_line(std::vector<nic::SramItem> items) {
  const uint64_t total = nic::sram_total(items);
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.bytes() > b.bytes(); });
  std::cout << "  SRAM       " << nic::kib_text(total) << " on chip:";
  for (size_t i = 0; i < std::min<size_t>(3, items.size()); ++i)
    std::cout << (i ? ", " : " ") << items[i].name << " " << nic::kib_text(items[i].bytes());
  std::cout << " (nicsim config --sram)\n";
}

// A breakdown's stages, one row each, their total last (docs/latency.md).
void latency_table(std::ostream& o, const std::vector<nic::tb::LatencyFigures>& rows) {
  if (rows.empty() || !rows.back().count) return;
  const auto row = [&](const std::string& name, auto p50, auto p99, auto p999, auto max) {
    o << "             " << std::left << std::setw(14) << name << std::right << std::setw(9)
      << p50 << std::setw(9) << p99 << std::setw(9) << p999 << std::setw(9) << max << "\n";
  };
  row("(ns)", "p50", "p99", "p99.9", "max");
  for (const auto& f : rows) row(f.name, f.p50, f.p99, f.p999, f.max);
}

void print_summary(const nic::SimConfig& cfg, const nic::tb::ReplayResult& r, const CommandList& cmds) {
  auto& o = std::cout;
  const nic::tb::Verdict& v = r.verdict;
  const auto& c = r.counters;
  auto at = [&](const char* k) { auto it = c.find(k); return it == c.end() ? uint64_t(0) : it->second; };
  const double span_s = double(r.wire_last_ps - r.wire_first_ps) * 1e-12;
  // Achieved: bytes delivered to host memory over first bit in to last completion out.
  const double end_s = double(r.last_completion_ps - r.wire_first_ps) * 1e-12;
  const uint64_t to_host = at("placement_bytes_placed") + at("placement_bytes_kept");
  o << "nicsim replay " << g_args.trace << "\n";
  o << "  NIC        " << fmt("%.1f MHz", cfg.core.clock_mhz) << " x " << cfg.core.datapath_bytes
    << " B, line " << fmt("%.0f Gb/s", cfg.mac.line_rate_gbps) << ", PCIe "
    << fmt("%.0f Gb/s", cfg.pcie.gbps()) << ", crc " << cfg.crc.impl
    << (cfg.placement.single_run_per_packet ? ", one run/packet" : "") << "\n";
  o << "  packets    " << r.c2h_frames << " to the NIC (" << r.c2h_bytes << " B), "
    << r.driver.tx_frames << " sent by the host\n";
  o << "  capture    " << r.records << " records, ports followed: NVMe/TCP "
    << nic::net::PortList{g_args.ports}.str() << ", iSCSI " << nic::net::PortList{g_args.iscsi_ports}.str();
  if (r.cut_records)
    o << ", " << r.cut_records << " cut short by the snap length " << v.snaplen
      << " (they reach the NIC short, as not TCP; recapture with tcpdump -s 0)";
  if (g_args.fix_checksums) o << ", checksums rewritten in " << r.checksums_fixed;
  if (!g_args.split_gso.empty())
    o << ", " << r.gso_frames_split << " frames cut into " << r.gso_pieces << " by --split-gso"
      << (g_args.split_implied ? " (implied by --fix-checksums)" : "");
  o << "\n";
  if (r.input_truncated)
    o << "  truncated  " << r.input_error << "; "
      << (r.input_bytes_lost >= 0 ? std::to_string(r.input_bytes_lost) : std::string("an unknown number of"))
      << " bytes after the last complete record lost (--allow-truncated)\n";
  // Offered: the frames as they were on the wire, also where the capture cut them.
  o << "  throughput offered " << fmt("%.2f Gb/s", span_s > 0 ? double(r.c2h_wire_bytes) * 8 / span_s / 1e9 : 0)
    << ", achieved " << fmt("%.2f Gb/s", end_s > 0 ? double(to_host) * 8 / end_s / 1e9 : 0) << "\n";
  const uint64_t data = r.sw.placed_bytes + r.sw.copied_bytes;
  o << "  C2H data   " << data << " B: placed by NIC " << r.sw.placed_bytes << " ("
    << pct(r.sw.placed_bytes, data) << "), copied by software " << r.sw.copied_bytes << "\n";
  o << "  data PDUs  " << r.sw.data_pdus << ": CRC by NIC " << r.sw.hw_crc_pdus << " ("
    << pct(r.sw.hw_crc_pdus, r.sw.data_pdus) << "), by software " << r.sw.sw_crc_pdus << "\n";
  o << "  commands   " << cmds.count();
  for (const auto& [st, n] : cmds.by_status()) o << ", " << st << " " << n;
  o << "\n  offload    sk_add " << at("rx_nvmeotcp_sk_add") << ", ddp_setup "
    << at("rx_nvmeotcp_ddp_setup") << " (fail " << at("rx_nvmeotcp_ddp_setup_fail")
    << "), teardown " << at("rx_nvmeotcp_ddp_teardown") << ", resync " << at("rx_nvmeotcp_resync")
    << "\n";
  o << "  recovery   holes " << at("tracker_holes") << " (framing kept " << at("tracker_holes_in_data")
    << "), framing lost " << at("tracker_framing_lost") << ", headers recovered "
    << at("tracker_headers_recovered") << ", resync asked " << at("tracker_resync_requests")
    << " / confirmed " << at("tracker_resyncs_confirmed") << ", PDUs verified after a hole "
    << at("crc_pdus_hole_filled") << "\n";
  o << "  drops      mac_fifo_full " << at("drop_mac_fifo_full") << ", oversize "
    << at("drop_mac_oversize") << ", runt " << at("drop_mac_runt") << ", rx_ring_full "
    << at("drop_rx_ring_full") << "\n";
  o << "  bypass     not_tcp " << at("bypass_not_tcp");
  if (r.cut_not_tcp) o << " (" << r.cut_not_tcp << " of them records cut by the snap length)";
  o << ", bad_checksum "
    << at("bypass_bad_checksum") << ", flow_miss " << at("bypass_flow_miss")
    << ", stale " << at("bypass_out_of_seq") << ", searching " << at("bypass_searching") << "\n";
  // The reasons behind those totals, non-zero ones only.
  for (const auto& [prefix, title] : {std::pair{"bypass_not_tcp_", "not_tcp   "}, {"parser_header_error_", "bad header"}}) {
    std::string why;
    for (const auto& [k, n] : c)
      if (n && k.rfind(prefix, 0) == 0) why += (why.empty() ? "" : ", ") + k.substr(std::strlen(prefix)) + " " + std::to_string(n);
    if (!why.empty()) o << "  " << title << " " << why << "\n";
  }
  // Passed to the host, not dropped: the report's rx_nvmeotcp_drop (docs/replay-summary.md).
  o << "  host stack " << at("rx_nvmeotcp_drop")
    << " frames not for the storage driver (other protocols and flows, bad checksums)\n";
  if (at("sw_unknown_cid_pdus") + at("sw_overrun_pdus") + at("sw_rejected_pdus") + at("driver_failed_dead_connection"))
    o << "  software   PDUs for no read in flight (other commands, unknown tags) " << at("sw_unknown_cid_pdus") << ", past their read "
      << at("sw_overrun_pdus") << ", with a broken header " << at("sw_rejected_pdus")
      << ", reads on dead connections " << at("driver_failed_dead_connection") << "\n";
  if (at("sw_overlap_pdus") + at("sw_misplaced_reads") + at("sw_late_reads") + at("placement_overlap") +
      at("placement_after_completion"))
    o << "  integrity  reads failed: repeated data " << at("sw_overlap_pdus") << ", misplaced "
      << at("sw_misplaced_reads") << ", placed after completion " << at("sw_late_reads")
      << "; NIC refused: below the placed mark " << at("placement_overlap")
      << ", behind a completion " << at("placement_after_completion") << "\n";
  for (const std::string& f : r.failed_connections) o << "  failed     " << f << "\n";
  for (const auto& n : v.not_followed) o << "  not followed " << nic::tb::describe(n) << "\n";
  for (const auto& n : v.checksum_failures) o << "  WARNING    " << checksum_warning(n) << "\n";
  if (r.oversize_frames && g_args.split_gso.empty()) o << "  WARNING    " << oversize_warning(cfg, r) << "\n";
  o << "  latency    " << r.latency_count << " frames, wire to completion in host memory: p50 "
    << r.latency_p50 << " ns, p99 " << r.latency_p99 << " ns, p99.9 " << r.latency_p999
    << " ns, max " << r.latency_max << " ns\n";
  latency_table(o, r.frame_latency);
  if (const auto& t = r.read_latency.back(); t.count)
    o << "  reads      " << t.count << " reads, command sent to read completed: p50 " << t.p50
      << " ns, p99 " << t.p99 << " ns, p99.9 " << t.p999 << " ns, max " << t.max << " ns\n";
  latency_table(o, r.read_latency);
  if (const auto& cc = r.ctx_cache)
    o << "  ctx cache  " << cache_line(*cc) << "; frames waited " << cc->wait_frames << " ("
      << cc->wait_cycles << " cycles), bypassed " << cc->bypassed << "\n";
  if (const auto& dc = r.ddp_cache) {
    o << "  ddp cache  registrations: " << cache_line(*dc) << "; frames waited "
      << dc->wait_frames << " (" << dc->wait_cycles << " cycles), segments bypassed "
      << dc->bypassed_segments << "\n";
    if (dc->sgl) o << "  sgl cache  " << cache_line(*dc->sgl) << "\n";
  }
  print_sram_line(nic::sram_budget(cfg));
  o << "  PCIe       up " << fmt("%.2f Gb/s", end_s > 0 ? double(at("pcie_up_payload_bytes")) * 8 / end_s / 1e9 : 0)
    << " payload (busy " << fmt("%.1f%%", 100 * r.pcie_up_util) << "), down "
    << fmt("%.2f Gb/s", end_s > 0 ? double(at("pcie_down_payload_bytes")) * 8 / end_s / 1e9 : 0)
    << " (busy " << fmt("%.1f%%", 100 * r.pcie_down_util) << ")\n";
  // The completion interrupt: what the NIC's moderation sent, what the driver took.
  o << "  interrupts " << at("msix_messages") << " MSI-X messages (moderation "
    << (cfg.irq.moderation_ns || cfg.irq.moderation_count
            ? std::to_string(cfg.irq.moderation_ns) + " ns / " +
                  std::to_string(cfg.irq.moderation_count) + " completions"
            : std::string("off"))
    << ": " << at("msix_by_count") << " by count, " << at("msix_by_time") << " by time), "
    << at("driver_irqs") << " taken by the driver, "
    << fmt("%.1f", at("driver_irqs") ? double(at("driver_cqes")) / double(at("driver_irqs")) : 0.0)
    << " completions each\n";
  // Busy share of the elapsed cycles (wall-clock time at the core clock), and of the cycles
  // the gated clock ticked.
  o << "  block              busy-cycles  busy%-elapsed  busy%-active   stalled\n";
  for (const auto& b : r.blocks) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-18s %11llu %13.1f%% %11.1f%% %9llu\n", b.name.c_str(),
                  (unsigned long long)b.busy, 100.0 * share(b.busy, r.cycles),
                  100.0 * share(b.busy, r.active_cycles), (unsigned long long)b.stalled);
    o << line;
  }
  o << "  FIFO               capacity  high-water  p99   cycles-full  blocked  drops\n";
  for (const auto& f : r.fifos) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-18s %8u %-5s %6u %6u %11llu %8llu %6llu\n", f.name.c_str(),
                  f.capacity, f.unit == "bytes" ? "B" : "beats", f.high_watermark, f.p99,
                  (unsigned long long)f.cycles_full, (unsigned long long)f.blocked_cycles,
                  (unsigned long long)f.drops);
    o << line;
  }
  if (g_args.per_flow) print_flows(r.flows);
  o << "  simulated  " << fmt("%.3f us", double(r.sim_ps) * 1e-6) << ", " << r.cycles
    << " elapsed cycles (" << r.active_cycles << " active), wall " << fmt("%.2f s", r.wall_seconds)
    << ", " << fmt("%.3g", r.wall_seconds > 0 ? double(r.active_cycles) / r.wall_seconds : 0)
    << " active cycles/s\n";
  if (v.skipped)
    o << "  verdict    skipped (--no-verify); DMA isolation "
      << (v.mismatches.empty() ? "clean" : "VIOLATED: " + v.mismatches.front()) << "\n";
  else if (v.mismatches.empty() && v.checked + v.broken + v.incomplete == 0)
    o << "  verdict    NOTHING CHECKED: no read of the trace was followed\n";
  else if (v.mismatches.empty() && !v.followed_all())
    o << "  verdict    " << v.checked << " completed reads match the trace byte-exact, but "
      << unfollowed_reads(v) << " of the trace were not followed"
      << (v.not_followed.empty() ? "" : " (see \"not followed\" above)") << "\n";
  else if (v.mismatches.empty())
    o << "  verdict    all " << v.checked << " completed reads match the trace byte-exact"
      << (v.failed_safe ? " or failed safe (" + std::to_string(v.failed_safe) +
                              " late_placement after stray data for their CID)"
                        : std::string())
      << (v.broken ? ", all " + std::to_string(v.broken) + " reads the trace breaks failed" : std::string())
      << "\n";
  else
    o << "  verdict    MISMATCH in " << v.mismatches.size() << " of " << v.checked
      << " reads; first: " << v.mismatches.front() << "\n";
}

// One row per figure (section, name, metric, value): the same numbers as the JSON report, for
// spreadsheets and plotting tools.
bool write_csv(const std::string& path, const nlohmann::ordered_json& rep) {
  std::ofstream out(path);
  out << "section,name,metric,value\n";
  for (const char* sec : {"summary", "counters"})
    for (auto it = rep[sec].begin(); it != rep[sec].end(); ++it)
      out << sec << ",," << it.key() << "," << it.value().dump() << "\n";
  const auto rows = [&](const std::string& sec, const nlohmann::ordered_json& table, const char* key) {
    for (const auto& row : table)
      for (auto it = row.begin(); it != row.end(); ++it)
        if (it.value().is_number() || it.value().is_boolean())
          out << sec << "," << row[key].get<std::string>() << "," << it.key() << ","
              << it.value().dump() << "\n";
  };
  for (const auto& [sec, key] : {std::pair{"fifos", "name"}, {"blocks", "name"}, {"flows", "flow"}})
    rows(sec, rep[sec], key);
  for (const char* kind : {"frames", "reads"}) rows(std::string("latency_") + kind, rep["latency"][kind], "name");
  return bool(out);
}

void dump_buffer(const std::string& dir, const nic::host::CommandRecord& c) {
  const char* tag = std::strcmp(c.protocol, "iscsi") == 0 ? "_itt" : "_cid";
  std::string name = c.flow + "_" + std::to_string(c.order) + tag + std::to_string(c.tag) + ".bin";
  for (char& ch : name)
    if (ch == ':' || ch == '[' || ch == ']' || ch == '/') ch = '_';
  std::ofstream(std::filesystem::path(dir) / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(c.data.data()), std::streamsize(c.data.size()));
}

// "120us", "3.5ms", "800ns", "2000ps", "1s", or "5000c" (core clock cycles) -> picoseconds.
uint64_t parse_time_ps(const std::string& text, double clock_mhz) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  static const std::map<std::string, double> ps = {
      {"ps", 1}, {"ns", 1e3}, {"us", 1e6}, {"ms", 1e9}, {"s", 1e12}};
  if (used == 0 || v < 0) throw std::invalid_argument("bad time '" + text + "'");
  if (unit == "c") return uint64_t(v * 1e6 / clock_mhz);
  auto it = ps.find(unit);
  if (it == ps.end())
    throw std::invalid_argument("bad time '" + text + "': use ps, ns, us, ms, s or c (cycles)");
  return uint64_t(v * it->second);
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
  print_summary(cfg, r, cmds);
  if (!g_args.report.empty() || !g_args.csv.empty()) {
    const nlohmann::ordered_json rep = report_json(cfg, r);
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
    std::cerr << "nicsim replay: " << unfollowed_error(r.verdict) << "\n";
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
    // SystemC wants to be entered through sc_main.
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    char name[] = "nicsim";
    char* argv[] = {name, nullptr};
    sc_core::sc_elab_and_sim(1, argv);
    set_exit_status(g_status);
  });
}

}  // namespace nicsim

// Whatever still goes wrong inside the simulation ends it with one line and a failure, not
// with SystemC's report on stdout and status 0.
int sc_main(int, char**) {
  try {
    nicsim::run();
  } catch (const sc_core::sc_report& e) {
    std::cerr << "nicsim replay: " << e.get_msg() << "\n";
    nicsim::g_status = 1;
  } catch (const std::exception& e) {
    std::cerr << "nicsim replay: " << e.what() << "\n";
    nicsim::g_status = 1;
  }
  return 0;
}
