// Ground truth of a generated trace: the knobs, each connection, each read command and what
// the host must end up with, and totals. Serialised as the `--truth` JSON (schema in
// traces/README.md; keep the two in step).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tb/gen/config.hpp"
#include "tb/gen/impair.hpp"

namespace nic::gen {

struct ConnectionTruth {
  std::string host;        // "IP:port" / "[IPv6]:port"
  std::string controller;
  uint16_t host_port = 0;
  uint16_t sqid = 0;       // I/O queue this connection carries
  bool hdgst = false, ddgst = false;
  uint8_t hpda = 0;
  std::vector<uint16_t> vlan;  // VLAN IDs, outermost first
  uint32_t reads = 0;
  uint32_t host_isn = 0, controller_isn = 0;
};

struct CommandTruth {
  std::string flow;            // host endpoint of the connection
  uint32_t connection = 0;     // index into Truth::connections
  uint16_t cid = 0;
  bool iscsi = false;          // an iSCSI task: `itt` names it, not `cid`
  uint32_t itt = 0;
  uint32_t order = 0;          // index among the connection's reads, in submission order
  uint32_t length = 0;
  uint64_t slba = 0;
  std::string sha256;          // of the data the host must end up with
  bool digest_corrupted = false;
  int32_t corrupt_pdu = -1;    // which of its C2HData PDUs has the bad DDGST, -1 if none
  uint32_t pdus = 0;           // C2HData PDUs
  bool success_flag = false;   // completed by SUCCESS on the last C2HData, no CapsuleResp
  std::vector<uint32_t> lookalike_offsets;  // planted header lookalikes, offsets in the data
  std::string adversity;       // what the Adversary did to it ("overrun,bad_header:hlen"), if anything
  // Status the host must report: "success", or "data_digest_error" when digest_corrupted.
  const char* expected_status() const { return digest_corrupted ? "data_digest_error" : "success"; }
  // The same in the words of the replay report ("status"), for iSCSI truth.
  const char* report_status() const { return digest_corrupted ? "digest_error" : "ok"; }
};

struct Totals {
  uint64_t packets = 0, h2c_packets = 0, c2h_packets = 0;
  uint64_t bytes = 0;              // captured frame bytes (no FCS)
  uint64_t c2h_wire_bytes = 0;     // controller->host bytes including FCS, preamble, IFG
  uint64_t commands = 0, read_bytes = 0, c2h_data_pdus = 0, capsule_resps = 0;
  ImpairCounts imp;
  AdvCounts adv;
  uint64_t ddgst_corrupted = 0, lookalikes = 0;
  uint64_t first_ts_ns = 0, last_ts_ns = 0;
  uint64_t duration_ns = 0;        // first frame start to last frame end
  uint64_t c2h_busy_ns = 0;        // first to last controller->host frame (start to end)
  double offered_gbps = 0;         // controller->host wire bits over c2h_busy_ns
  double read_gbps = 0;            // read data bits over c2h_busy_ns
};

struct Truth {
  GenConfig config;
  std::vector<ConnectionTruth> connections;
  std::vector<CommandTruth> commands;  // by connection, then order
  Totals totals;
};

std::string truth_json(const Truth& t);  // pretty-printed, trailing newline
void write_truth(const Truth& t, const std::string& path);
std::string summary(const Truth& t);     // a few human-readable lines
// The knobs recorded in a truth file's "generator" object: generating with them reproduces the
// trace. Throws std::invalid_argument for a file that is not a truth file.
GenConfig config_from_truth_json(const std::string& json_text);

}  // namespace nic::gen
