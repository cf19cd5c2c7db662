#include "apps/nicsim/replay_report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <sys/resource.h>

#include "hw/top/sram_budget.hpp"

namespace nicsim {

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

nlohmann::ordered_json report_json(const ReportContext& ctx, const nic::SimConfig& cfg, const nic::tb::ReplayResult& r) {
  const nic::tb::Verdict& v = r.verdict;
  nlohmann::ordered_json j;
  j["trace"] = ctx.trace;
  j["config"] = nlohmann::ordered_json::parse(nic::config_to_json(cfg));
  // All contexts on chip, the report is the one from before the cache existed.
  if (!r.ctx_cache) j["config"].erase("ctx_cache");
  if (!r.ddp_cache) j["config"].erase("ddp_cache");
  // A replay transmits nothing (the host's frames reach the driver only), so its report is
  // the one from before the transmit path existed.
  if (!ctx.host_transmits) j["config"].erase("tx");
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
  j["capture"] = {{"records", r.records}, {"nvme_ports", ctx.ports},
                  {"iscsi_ports", ctx.iscsi_ports},
                  {"cut_records", r.cut_records}, {"cut_records_not_tcp", r.cut_not_tcp},
                  {"snaplen", v.snaplen},
                  {"checksums_fixed", r.checksums_fixed}, {"oversize_frames", r.oversize_frames}};
  if (!ctx.split_gso.empty()) {
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
    j["verdict"]["allow_empty"] = ctx.allow_empty;
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
std::string unfollowed_error(const ReportContext& ctx, const nic::tb::Verdict& v) {
  std::string s;
  if (v.checked + v.broken + v.incomplete == 0) {
    s = "no read of the trace was followed on NVMe/TCP ports " +
        nic::net::PortList{ctx.ports}.str() + " or iSCSI ports " +
        nic::net::PortList{ctx.iscsi_ports}.str();
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

void print_summary(const ReportContext& ctx, const nic::SimConfig& cfg, const nic::tb::ReplayResult& r,
                   const CommandList& cmds) {
  auto& o = std::cout;
  const nic::tb::Verdict& v = r.verdict;
  const auto& c = r.counters;
  auto at = [&](const char* k) { auto it = c.find(k); return it == c.end() ? uint64_t(0) : it->second; };
  const double span_s = double(r.wire_last_ps - r.wire_first_ps) * 1e-12;
  // Achieved: bytes delivered to host memory over first bit in to last completion out.
  const double end_s = double(r.last_completion_ps - r.wire_first_ps) * 1e-12;
  const uint64_t to_host = at("placement_bytes_placed") + at("placement_bytes_kept");
  o << ctx.title << "\n";
  o << "  NIC        " << fmt("%.1f MHz", cfg.core.clock_mhz) << " x " << cfg.core.datapath_bytes
    << " B, line " << fmt("%.0f Gb/s", cfg.mac.line_rate_gbps) << ", PCIe "
    << fmt("%.0f Gb/s", cfg.pcie.gbps()) << ", crc " << cfg.crc.impl
    << (cfg.placement.single_run_per_packet ? ", one run/packet" : "") << "\n";
  o << "  packets    " << r.c2h_frames << " to the NIC (" << r.c2h_bytes << " B), "
    << r.driver.tx_frames << " sent by the host\n";
  o << "  capture    " << r.records << " records, ports followed: NVMe/TCP "
    << nic::net::PortList{ctx.ports}.str() << ", iSCSI " << nic::net::PortList{ctx.iscsi_ports}.str();
  if (r.cut_records)
    o << ", " << r.cut_records << " cut short by the snap length " << v.snaplen
      << " (they reach the NIC short, as not TCP; recapture with tcpdump -s 0)";
  if (ctx.fix_checksums) o << ", checksums rewritten in " << r.checksums_fixed;
  if (!ctx.split_gso.empty())
    o << ", " << r.gso_frames_split << " frames cut into " << r.gso_pieces << " by --split-gso"
      << (ctx.split_implied ? " (implied by --fix-checksums)" : "");
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
  if (r.oversize_frames && ctx.split_gso.empty()) o << "  WARNING    " << oversize_warning(cfg, r) << "\n";
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
  if (ctx.per_flow) print_flows(r.flows);
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

}  // namespace nicsim
