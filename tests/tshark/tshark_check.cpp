// Independent check of the traffic generator with Wireshark's NVMe/TCP dissector: for a set of
// knob combinations, generate a trace, let tshark reassemble and dissect it with header and
// data digest checking on, and compare every PDU it reports with the ground truth.
//
// Exit status: 0 all traces pass, 1 some fail, 77 tshark is not installed (ctest: skipped).
//
// Two tshark 4.0 defects shape the cases:
// - Its data digest covers HPDA padding too: padded C2HData digests come out Bad (pad <= 4)
//   or throw and hide the PDU (pad > 4). Padded traces are dissected with data digest checking
//   off; their PDUs are counted and header digests judged.
// - It files C2HData by (CID, frame number) but drops the CID when it is 0, so CID-0 data in
//   frame N and later data for CID N crash it. Cases either use Linux-style generation
//   counters in the CID (CID 0 then needs 16 reuses of tag 0) or keep every CID below the
//   frame number of the first data PDU (queue depth <= kMaxPlainCidQueueDepth).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "proto/nvme_tcp.hpp"
#include "tb/gen/generator.hpp"

namespace {

namespace fs = std::filesystem;
using nic::gen::GenConfig;
using nic::nvme::PduType;

constexpr int kSkip = 77;
// Checksum status values of Wireshark's proto_tree_add_checksum.
constexpr int kBad = 0, kGood = 1;
// SYN, SYN-ACK, ACK, ICReq, ICResp and a command frame precede any C2HData.
constexpr uint32_t kMaxPlainCidQueueDepth = 6;

struct Case {
  std::string name;
  GenConfig cfg;
};

GenConfig base(uint64_t seed, uint32_t flows, const char* io_size, uint64_t ios) {
  GenConfig c;
  c.seed = seed;
  c.flows = flows;
  c.io_size = nic::gen::parse_io_size(io_size);
  c.ios = ios;
  c.queue_depth = 16;
  c.cid_genctr = true;
  return c;
}

std::vector<Case> cases() {
  std::vector<Case> v;
  auto add = [&v](const std::string& name, GenConfig c) { v.push_back({name, std::move(c)}); };

  GenConfig c = base(1, 1, "4K", 64);
  c.cid_genctr = false;
  c.queue_depth = kMaxPlainCidQueueDepth;
  add("v4_plain_cids", c);

  c = base(2, 4, "4K,64K,128K", 40);
  c.hdgst = c.ddgst = true;
  c.max_pdu_data = 16384;
  c.success_flag = 0.5;
  add("v4_digests_datao_success", c);

  c = base(3, 2, "1K:32K", 40);
  c.ipv6 = true;
  c.vlan = 100;
  c.ddgst = true;
  c.mss = 9000;
  c.tcp_timestamps = true;
  add("v6_vlan_jumbo_timestamps", c);

  c = base(4, 3, "8K:40K", 36);
  c.vlan = 10;
  c.qinq = true;
  c.hdgst = true;
  c.mss = 1000;
  add("v4_qinq_hdgst_mss1000", c);

  c = base(5, 2, "16K,32K", 40);
  c.hdgst = c.ddgst = true;
  c.max_pdu_data = 8192;
  c.imp.corrupt_ddgst = 0.3;
  c.imp.plant_lookalike = 0.5;
  add("v4_corrupt_ddgst_lookalikes", c);

  c = base(6, 2, "4K:64K", 40);
  c.hdgst = c.ddgst = true;
  c.tcp_timestamps = true;
  c.imp.loss = 0.03;
  c.imp.reseg_retransmit = true;
  c.imp.reorder = 0.03;
  c.imp.dup = 0.03;
  c.imp.corrupt_ddgst = 0.2;
  add("v4_loss_reorder_dup_reseg", c);

  c = base(7, 2, "8K,32K", 30);
  c.cid_genctr = false;
  c.queue_depth = 4;
  c.ipv6 = true;
  c.ddgst = true;
  c.mss = 1000;
  c.success_flag = 0.5;
  c.imp.bad_tcp_csum = 0.05;
  c.imp.loss = 0.02;
  c.imp.corrupt_ddgst = 0.2;
  add("v6_bad_tcp_csum_loss", c);

  c = base(8, 1, "512,1K,2K", 150);
  c.queue_depth = 64;
  c.mss = 9000;
  c.ddgst = true;
  c.max_pdu_data = 512;
  add("v4_jumbo_many_small_pdus", c);

  c = base(9, 1, "512K", 4);
  c.queue_depth = 4;
  c.hdgst = c.ddgst = true;
  c.max_pdu_data = 131072;
  c.imp.corrupt_ddgst = 0.5;
  add("v4_512k_reads", c);

  c = base(10, 2, "16K", 20);
  c.hdgst = c.ddgst = true;
  c.hpda = 1;
  add("v4_hpda1_padded", c);

  c = base(11, 2, "4K:16K", 20);
  c.vlan = 7;
  c.ddgst = true;
  c.hpda = 3;
  c.imp.reorder = 0.05;
  add("v4_hpda3_padded_reorder", c);
  return v;
}

bool tshark_on_path() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string d; std::getline(dirs, d, ':');)
    if (!d.empty() && ::access((fs::path(d) / "tshark").c_str(), X_OK) == 0) return true;
  return false;
}

// One PDU as tshark dissected it.
struct Pdu {
  uint64_t frame = 0;
  uint16_t host_port = 0;
  int type = -1, flags = 0;
  int hdgst = -1, ddgst = -1;  // status, -1 when not present
  long cid = -1, datao = -1;   // C2HData only
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) out.push_back(part);
  return out;
}

long num(const std::string& s) { return std::strtol(s.c_str(), nullptr, 0); }

std::string hex(long v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%04lx", v);
  return buf;
}

const char* const kFields[] = {"frame.number",          "tcp.srcport",           "tcp.dstport",
                               "nvme-tcp.type",         "nvme-tcp.flags",        "nvme-tcp.hdgst.status",
                               "nvme-tcp.ddgst.status", "nvme-tcp.cmd.cid",      "nvme-tcp.data.offset"};

// Values of one frame's fields are lists, one entry per occurrence. Digest statuses exist only
// for PDUs whose flags carry the digest, and CCCID/DATAO only for data PDUs, so they are
// handed out to the PDUs in order by those rules.
bool parse_line(const std::string& line, std::vector<Pdu>& out, std::string& err) {
  const auto f = split(line, '\t');
  if (f.size() < 4 || f[3].empty()) return true;  // no NVMe/TCP PDU ends in this frame
  auto col = [&f](size_t i) { return i < f.size() ? split(f[i], ',') : std::vector<std::string>{}; };
  const auto types = col(3), flags = col(4), hst = col(5), dst = col(6), cids = col(7), offs = col(8);
  size_t h = 0, d = 0, c = 0;
  for (size_t i = 0; i < types.size(); ++i) {
    Pdu p;
    p.frame = uint64_t(num(f[0]));
    p.host_port = uint16_t(num(f[1]) == 4420 ? num(f[2]) : num(f[1]));
    p.type = int(num(types[i]));
    p.flags = i < flags.size() ? int(num(flags[i])) : 0;
    if (p.flags & nic::nvme::pduflag::HDGSTF) p.hdgst = h < hst.size() ? int(num(hst[h++])) : -2;
    if (p.flags & nic::nvme::pduflag::DDGSTF) p.ddgst = d < dst.size() ? int(num(dst[d++])) : -2;
    if (p.type == int(PduType::C2HData)) {
      if (c >= cids.size() || c >= offs.size()) break;
      p.cid = num(cids[c]);
      p.datao = num(offs[c++]);
    }
    out.push_back(p);
  }
  if (h != hst.size() || d != dst.size() || c != cids.size()) {
    err = "frame " + f[0] + ": cannot align tshark fields: " + line;
    return false;
  }
  return true;
}

bool run_tshark(const fs::path& pcap, bool check_ddgst, const fs::path& err_file,
                std::vector<Pdu>& pdus, std::string& err) {
  std::string cmd = "tshark -n -r '" + pcap.string() +
                    "' -d tcp.port==4420,nvme-tcp -o nvme-tcp.check_hdgst:TRUE"
                    " -o nvme-tcp.check_ddgst:" + (check_ddgst ? "TRUE" : "FALSE") +
                    " -o tcp.reassemble_out_of_order:TRUE"
                    " -T fields -E occurrence=a -E aggregator=, -E separator=/t";
  for (const char* f : kFields) cmd += std::string(" -e ") + f;
  cmd += " 2>'" + err_file.string() + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    err = "cannot run tshark";
    return false;
  }
  std::string line;
  char buf[4096];
  bool ok = true;
  while (std::fgets(buf, sizeof buf, p)) {
    line += buf;
    if (line.back() != '\n') continue;
    line.pop_back();
    if (ok) ok = parse_line(line, pdus, err);
    line.clear();
  }
  const int status = ::pclose(p);
  if (ok && status != 0) {
    err = "tshark exited with status " + std::to_string(status) + " (stderr in " + err_file.string() + ")";
    ok = false;
  }
  return ok;
}

// The dissection must match the truth PDU for PDU; returns the mismatches.
std::vector<std::string> compare(const nic::gen::Truth& t, const std::vector<Pdu>& pdus,
                                 bool judge_ddgst, uint64_t& bad_seen) {
  std::vector<std::string> errs;
  auto fail = [&errs](const std::string& e) {
    if (errs.size() < 12) errs.push_back(e);
  };
  // Commands by (host port, CID) in submission order: C2HData PDUs for a CID belong to the
  // oldest command using it until all of its PDUs are seen (CIDs are reused only after).
  std::map<std::pair<uint16_t, long>, std::vector<const nic::gen::CommandTruth*>> by_cid;
  std::map<const nic::gen::CommandTruth*, uint32_t> seen_pdus;
  std::map<std::pair<uint16_t, int>, long> want, got;  // (port, type) -> count
  for (const auto& conn : t.connections) {
    want[{conn.host_port, int(PduType::ICReq)}] = 1;
    want[{conn.host_port, int(PduType::ICResp)}] = 1;
  }
  for (const auto& cmd : t.commands) {
    const uint16_t port = t.connections[cmd.connection].host_port;
    by_cid[{port, cmd.cid}].push_back(&cmd);
    ++want[{port, int(PduType::CapsuleCmd)}];
    want[{port, int(PduType::C2HData)}] += cmd.pdus;
    if (!cmd.success_flag) ++want[{port, int(PduType::CapsuleResp)}];
  }
  const uint32_t split = t.config.max_pdu_data;
  for (const Pdu& p : pdus) {
    ++got[{p.host_port, p.type}];
    const std::string where = "frame " + std::to_string(p.frame) + " port " + std::to_string(p.host_port);
    if (p.hdgst != -1 && p.hdgst != kGood) fail(where + ": header digest status " + std::to_string(p.hdgst));
    if (p.type != int(PduType::C2HData)) continue;
    auto& queue = by_cid[{p.host_port, p.cid}];
    if (queue.empty()) {
      fail(where + ": C2HData for CID " + hex(p.cid) + " the truth does not expect");
      continue;
    }
    const auto* cmd = queue.front();
    const uint32_t index = seen_pdus[cmd]++;
    if (seen_pdus[cmd] == cmd->pdus) queue.erase(queue.begin());
    if (p.datao != long(index) * long(split)) fail(where + ": DATAO " + std::to_string(p.datao));
    if (!t.config.ddgst) continue;
    if (!judge_ddgst) continue;
    if (p.ddgst == kBad) ++bad_seen;
    const int expect = int32_t(index) == cmd->corrupt_pdu ? kBad : kGood;
    if (p.ddgst != expect)
      fail(where + ": CID " + hex(p.cid) + " PDU " + std::to_string(index) +
           " data digest status " + std::to_string(p.ddgst) + ", truth says " +
           (expect == kBad ? "Bad" : "Good"));
  }
  for (const auto& [key, n] : want)
    if (got[key] != n)
      fail("port " + std::to_string(key.first) + ": " + std::to_string(got[key]) + " " +
           nic::nvme::type_name(PduType(key.second)) + " PDUs recognised, truth has " + std::to_string(n));
  for (const auto& [key, n] : got)
    if (!want.count(key)) fail("unexpected PDU type " + std::to_string(key.second));
  return errs;
}

// True when C2HData PDUs have padding between header(+digest) and data.
bool padded(const GenConfig& c) {
  const uint32_t align = (uint32_t(c.hpda) + 1) * 4;
  const uint32_t hdr = 24 + (c.hdgst ? 4 : 0);
  return hdr % align != 0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path work = fs::temp_directory_path() / "tshark_check";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--work-dir" && i + 1 < argc) {
      work = argv[++i];
    } else {
      std::cerr << "usage: tshark_check [--work-dir DIR]\n";
      return 2;
    }
  }
  if (!tshark_on_path()) {
    std::cout << "SKIP: tshark not found on PATH (install the Debian package tshark)\n";
    return kSkip;
  }
  fs::create_directories(work);
  int passed = 0, failed = 0;
  for (const Case& c : cases()) {
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path pcap = work / (c.name + ".pcap");
    const nic::gen::Truth truth = nic::gen::generate_pcap(c.cfg, pcap.string());
    nic::gen::write_truth(truth, (work / (c.name + ".truth.json")).string());
    std::vector<Pdu> pdus;
    std::string err;
    std::vector<std::string> errs;
    uint64_t bad = 0;
    const bool judge = !padded(c.cfg);
    if (!c.cfg.cid_genctr && c.cfg.queue_depth > kMaxPlainCidQueueDepth)
      errs.push_back("case would crash tshark 4.0: plain CIDs need queue depth <= " +
                     std::to_string(kMaxPlainCidQueueDepth));
    else if (run_tshark(pcap, judge, work / (c.name + ".tshark.err"), pdus, err))
      errs = compare(truth, pdus, judge, bad);
    else
      errs.push_back(err);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s %-30s %6llu frames %5zu PDUs, DDGST Bad %llu/%llu%s  %.2fs\n",
                errs.empty() ? "PASS" : "FAIL", c.name.c_str(),
                (unsigned long long)truth.totals.packets, pdus.size(), (unsigned long long)bad,
                (unsigned long long)truth.totals.ddgst_corrupted,
                judge ? "" : " (padded: DDGST not checked)", secs);
    for (const auto& e : errs) std::printf("    %s\n", e.c_str());
    (errs.empty() ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
