// `nicsim gen`: NVMe/TCP or iSCSI read traffic as a pcap plus its ground truth.
//
// Values are taken as text and converted here rather than by CLI11 so that every bad argument
// (unknown option included) ends the same way: a one-line message and exit status 2.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/nicsim/commands.hpp"
#include "tb/gen/generator.hpp"

namespace nicsim {

namespace {

using nic::gen::GenConfig;

struct GenArgs {
  std::string out, truth;
  std::string flows, vlan, svlan, hpda, queue_depth, io_size, ios, total_bytes, max_pdu_data;
  std::string success_flag, mss, link_gbps, seed, ctrl_latency, host_latency, queue_start;
  std::string loss, retransmit_delay, reorder, reorder_window, dup, corrupt_ddgst, bad_tcp_csum,
      plant_lookalike;
  std::vector<std::string> adv;  // by Adversary::knobs() index
  std::string adv_stale_delay, adv_faults;
  std::string ulp, port, iscsi_max_recv, iscsi_status_pdu;
  bool iscsi_interleave = false;
  bool ipv6 = false, qinq = false, hdgst = false, ddgst = false, tcp_timestamps = false,
       reseg_retransmit = false, cid_genctr = false;
  CLI::App* app = nullptr;
};

// Each converter leaves `dst` alone when the option was not given.
template <typename T>
void set_uint(const std::string& name, const std::string& text, T& dst, uint64_t max) {
  if (text.empty()) return;
  uint64_t v = 0;
  try {
    v = nic::gen::parse_size(text);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(name + ": '" + text + "' is not a non-negative integer");
  }
  if (v > max) throw std::invalid_argument(name + ": " + text + " is too large (max " + std::to_string(max) + ")");
  dst = T(v);
}

void set_double(const std::string& name, const std::string& text, double& dst) {
  if (text.empty()) return;
  size_t used = 0;
  try {
    dst = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size()) throw std::invalid_argument(name + ": '" + text + "' is not a number");
}

GenConfig to_config(const GenArgs& a) {
  GenConfig c;
  c.ipv6 = a.ipv6;
  c.qinq = a.qinq;
  c.hdgst = a.hdgst;
  c.ddgst = a.ddgst;
  c.tcp_timestamps = a.tcp_timestamps;
  c.imp.reseg_retransmit = a.reseg_retransmit;
  c.cid_genctr = a.cid_genctr;
  c.iscsi_interleave = a.iscsi_interleave;
  if (!a.ulp.empty()) {
    try {
      c.ulp = nic::gen::parse_ulp(a.ulp);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--ulp: ") + e.what());
    }
  }
  set_uint("--port", a.port, c.port, 65535);
  set_uint("--iscsi-max-recv", a.iscsi_max_recv, c.iscsi_max_recv, UINT32_MAX);
  set_double("--iscsi-status-pdu", a.iscsi_status_pdu, c.iscsi_status_pdu);
  set_uint("--seed", a.seed, c.seed, UINT64_MAX);
  set_uint("--flows", a.flows, c.flows, UINT32_MAX);
  set_uint("--vlan", a.vlan, c.vlan, 4095);
  set_uint("--svlan", a.svlan, c.svlan, 4095);
  set_uint("--hpda", a.hpda, c.hpda, 255);
  set_uint("--queue-depth", a.queue_depth, c.queue_depth, UINT32_MAX);
  if (!a.io_size.empty()) {
    try {
      c.io_size = nic::gen::parse_io_size(a.io_size);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--io-size: ") + e.what());
    }
  }
  set_uint("--ios", a.ios, c.ios, UINT64_MAX);
  set_uint("--total-bytes", a.total_bytes, c.total_bytes, UINT64_MAX);
  set_uint("--max-pdu-data", a.max_pdu_data, c.max_pdu_data, UINT32_MAX);
  set_uint("--mss", a.mss, c.mss, UINT32_MAX);
  set_uint("--retransmit-delay", a.retransmit_delay, c.imp.retransmit_delay, UINT32_MAX);
  set_uint("--reorder-window", a.reorder_window, c.imp.reorder_window, UINT32_MAX);
  set_double("--success-flag", a.success_flag, c.success_flag);
  set_double("--link-gbps", a.link_gbps, c.link_gbps);
  set_double("--ctrl-latency", a.ctrl_latency, c.ctrl_latency_us);
  set_double("--host-latency", a.host_latency, c.host_latency_us);
  set_double("--queue-start", a.queue_start, c.queue_start_us);
  set_double("--loss", a.loss, c.imp.loss);
  set_double("--reorder", a.reorder, c.imp.reorder);
  set_double("--dup", a.dup, c.imp.dup);
  set_double("--corrupt-ddgst", a.corrupt_ddgst, c.imp.corrupt_ddgst);
  set_double("--bad-tcp-csum", a.bad_tcp_csum, c.imp.bad_tcp_csum);
  set_double("--plant-lookalike", a.plant_lookalike, c.imp.plant_lookalike);
  const auto& knobs = nic::gen::Adversary::knobs();
  for (size_t k = 0; k < knobs.size(); ++k)
    set_double(std::string("--adv-") + knobs[k].name, a.adv[k], c.adv.*knobs[k].p);
  set_uint("--adv-stale-delay", a.adv_stale_delay, c.adv.stale_delay, UINT32_MAX);
  if (!a.adv_faults.empty()) c.adv.faults = nic::gen::parse_header_faults(a.adv_faults, c.ulp);
  if (const std::string err = c.validate(); !err.empty()) throw std::invalid_argument(err);
  return c;
}

int run_gen(const GenArgs& a) {
  GenConfig cfg;
  try {
    if (!a.app->remaining().empty())
      throw std::invalid_argument("unexpected argument '" + a.app->remaining().front() + "'");
    if (a.out.empty()) throw std::invalid_argument("-o/--output is required");
    if (!a.ios.empty() && !a.total_bytes.empty())
      throw std::invalid_argument("--ios and --total-bytes exclude each other");
    cfg = to_config(a);
  } catch (const std::invalid_argument& e) {
    std::cerr << "nicsim gen: " << e.what() << " (see --help)\n";
    return 2;
  }
  try {
    const nic::gen::Truth truth = nic::gen::generate_pcap(cfg, a.out);
    if (!a.truth.empty()) nic::gen::write_truth(truth, a.truth);
    // With the trace on standard output, the summary goes beside it.
    std::ostream& out = a.out == "-" ? std::cerr : std::cout;
    out << "wrote " << a.out << (a.truth.empty() ? "" : " and " + a.truth) << "\n"
        << nic::gen::summary(truth);
  } catch (const std::exception& e) {
    std::cerr << "nicsim gen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_gen_command(CLI::App& app) {
  auto args = std::make_shared<GenArgs>();
  CLI::App* sub = app.add_subcommand(
      "gen", "Generate NVMe/TCP or iSCSI read traffic (both directions) as a pcap, with ground truth");
  args->app = sub;
  sub->allow_extras();  // reported by run_gen with exit status 2
  GenArgs& a = *args;
  auto value = [sub](const std::string& names, std::string& dst, const std::string& help,
                     const std::string& type) { sub->add_option(names, dst, help)->type_name(type); };

  value("-o,--output", a.out, "Output pcap (nanosecond timestamps), - for standard output; required", "FILE");
  value("--truth", a.truth, "Write the ground-truth JSON here", "FILE");
  value("--ulp", a.ulp, "Storage protocol: nvme-tcp (default) or iscsi", "NAME");
  value("--port", a.port, "Target TCP port (default 4420 NVMe/TCP, 3260 iSCSI)", "N");
  value("--seed", a.seed, "Random seed; same seed, same bytes (default 1)", "N");
  value("--flows", a.flows, "Connections (I/O queues) (default 1)", "N");
  sub->add_flag("--ipv6", a.ipv6, "IPv6 instead of IPv4");
  value("--vlan", a.vlan, "802.1Q C-tag VLAN ID", "ID");
  sub->add_flag("--qinq", a.qinq, "Add an outer 802.1ad S-tag (ID from --svlan) around --vlan");
  value("--svlan", a.svlan, "S-tag VLAN ID with --qinq (default 1000)", "ID");
  sub->add_flag("--hdgst", a.hdgst, "Negotiate header digests");
  sub->add_flag("--ddgst", a.ddgst, "Negotiate data digests");
  value("--hpda", a.hpda, "Host PDU data alignment, 0..31: C2HData PDO is a multiple of (HPDA+1)*4 (default 0)", "N");
  value("--queue-depth", a.queue_depth, "Reads in flight per connection; CIDs 0..N-1 (default 32)", "N");
  sub->add_flag("--cid-genctr", a.cid_genctr, "CIDs carry a 4-bit generation counter in bits 15..12 (Linux >= 5.14)");
  value("--io-size", a.io_size, "Read size: 128K (fixed), 4K:64K (uniform), 4K,64K,512K (list) (default 128K)", "SPEC");
  value("--ios", a.ios, "Reads in all, spread over the flows (default 64)", "N");
  value("--total-bytes", a.total_bytes, "Issue reads until this many bytes instead of --ios", "SIZE");
  value("--max-pdu-data", a.max_pdu_data, "Split each read's data into C2HData PDUs of at most SIZE bytes (default: one PDU)", "SIZE");
  value("--success-flag", a.success_flag, "Probability a read completes with the SUCCESS flag instead of a CapsuleResp (default 0)", "P");
  value("--mss", a.mss, "TCP MSS (default 1460 IPv4, 1440 IPv6; 9000 for jumbo)", "N");
  sub->add_flag("--tcp-timestamps", a.tcp_timestamps, "Use the TCP timestamps option (12 bytes of every segment)");
  value("--link-gbps", a.link_gbps, "Link rate that spaces the timestamps (default 100)", "G");
  value("--ctrl-latency", a.ctrl_latency, "Controller: read command arrival to first data byte, us (default 10)", "US");
  value("--host-latency", a.host_latency, "Host: completion to next submission, us (default 1)", "US");
  value("--queue-start", a.queue_start, "Host: ICResp to first read (Fabrics Connect, offload setup), us (default 20)", "US");
  value("--loss", a.loss, "Ctrl->host: probability a segment is lost and retransmitted later", "P");
  sub->add_flag("--reseg-retransmit", a.reseg_retransmit, "Retransmissions are split at a different boundary");
  value("--retransmit-delay", a.retransmit_delay, "Later segments of the flow before a retransmission (default 4)", "N");
  value("--reorder", a.reorder, "Ctrl->host: probability a segment is delayed behind later ones", "P");
  value("--reorder-window", a.reorder_window, "Reordered segments go after 1..N later ones (default 3)", "N");
  value("--dup", a.dup, "Ctrl->host: probability a segment is sent twice", "P");
  value("--corrupt-ddgst", a.corrupt_ddgst, "Probability a read has one C2HData with a wrong data digest (needs --ddgst)", "P");
  value("--bad-tcp-csum", a.bad_tcp_csum, "Ctrl->host: probability a segment has a bad TCP checksum (then retransmitted)", "P");
  value("--plant-lookalike", a.plant_lookalike, "Probability a read's data contains a C2HData-header lookalike", "P");
  value("--iscsi-max-recv", a.iscsi_max_recv, "iSCSI: the initiator's MaxRecvDataSegmentLength, the largest Data-In (default 8192)", "SIZE");
  value("--iscsi-status-pdu", a.iscsi_status_pdu, "iSCSI: probability a READ ends with a SCSI Response instead of status on its last Data-In (default 0)", "P");
  sub->add_flag("--iscsi-interleave", a.iscsi_interleave, "iSCSI: Data-In PDUs of the tasks in flight interleave (default: one task's back to back)");
  // The Adversary: a misbehaving controller and hostile frames (docs/robustness.md).
  const auto& knobs = nic::gen::Adversary::knobs();
  a.adv.resize(knobs.size());
  for (size_t k = 0; k < knobs.size(); ++k)
    value(std::string("--adv-") + knobs[k].name, a.adv[k], knobs[k].help, "P");
  value("--adv-stale-delay", a.adv_stale_delay, "Fresh segments before a --adv-stale-dup copy goes (default 64)", "N");
  value("--adv-faults", a.adv_faults, "Header faults --adv-bad-header picks from: all (default) or a list of plen_small, "
        "plen_zero, plen_huge, hlen, pdo_inside, pdo_misaligned, unknown_type, digest_flags, success_no_last; "
        "with --ulp iscsi of dsl_huge, unknown_opcode, reserved_bit, status_no_final, offset_wrap", "LIST");
  sub->callback([args] { set_exit_status(run_gen(*args)); });
}

}  // namespace nicsim
