// What `nicsim replay` and `nicsim run` print and write about the NIC: the readable summary,
// the JSON report (with the reads spooled as they complete), its CSV, the one-line warnings and
// errors of a verdict, and the small helpers they share.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tb/config/sim_config.hpp"
#include "tb/replay/Replay.hpp"
#include "util/json_text.hpp"

namespace nicsim {

// Whatever the summary and the report say about where the frames came from.
struct ReportContext {
  std::string title;  // the summary's first line
  std::string trace;  // the report's "trace"
  std::vector<uint16_t> ports, iscsi_ports;
  std::string split_gso;  // "" off, "auto" the default MSS, else the MSS
  bool split_implied = false, fix_checksums = false, allow_empty = false, per_flow = false;
  bool host_transmits = false;  // the host's frames left through the NIC (a closed loop)
};

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

std::string fmt(const char* f, double v);
std::string pct(uint64_t part, uint64_t whole);
// The same text as rep.dump(2), with the commands array taken from the list.
void write_report(std::ostream& out, const nlohmann::ordered_json& rep, CommandList& cmds);
nlohmann::ordered_json report_json(const ReportContext& ctx, const nic::SimConfig& cfg,
                                   const nic::tb::ReplayResult& r);
void print_summary(const ReportContext& ctx, const nic::SimConfig& cfg,
                   const nic::tb::ReplayResult& r, const CommandList& cmds);
void latency_table(std::ostream& o, const std::vector<nic::tb::LatencyFigures>& rows);
bool write_csv(const std::string& path, const nlohmann::ordered_json& rep);
std::string checksum_warning(const nic::check::NotFollowed& n);
std::string oversize_warning(const nic::SimConfig& cfg, const nic::tb::ReplayResult& r);
// The one-line error of a replay that passed nothing it could check.
std::string unfollowed_error(const ReportContext& ctx, const nic::tb::Verdict& v);
void dump_buffer(const std::string& dir, const nic::host::CommandRecord& c);
// "120us", "3.5ms", "800ns", "2000ps", "1s", or "5000c" (core clock cycles) -> picoseconds.
uint64_t parse_time_ps(const std::string& text, double clock_mhz);

}  // namespace nicsim
