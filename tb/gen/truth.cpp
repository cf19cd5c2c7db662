#include "tb/gen/truth.hpp"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace nic::gen {

namespace {

using nlohmann::ordered_json;

constexpr int kSchemaVersion = 1;

ordered_json config_json(const GenConfig& c) {
  const Impairments& i = c.imp;
  ordered_json j;
  j["schema_version"] = kSchemaVersion;
  // Only for iSCSI or a port of one's own, so that NVMe/TCP truth files keep their shape.
  if (c.ulp != Ulp::NvmeTcp) j["ulp"] = to_string(c.ulp);
  if (c.port) j["port"] = c.port;
  j["seed"] = c.seed;
  j["flows"] = c.flows;
  j["ipv6"] = c.ipv6;
  j["vlan"] = c.vlan;
  j["qinq"] = c.qinq;
  j["svlan"] = c.svlan;
  j["hdgst"] = c.hdgst;
  j["ddgst"] = c.ddgst;
  j["hpda"] = c.hpda;
  j["queue_depth"] = c.queue_depth;
  j["cid_genctr"] = c.cid_genctr;
  j["io_size"] = c.io_size.str();
  j["ios"] = c.total_bytes ? 0 : c.ios;
  j["total_bytes"] = c.total_bytes;
  j["max_pdu_data"] = c.max_pdu_data;
  j["success_flag"] = c.success_flag;
  j["mss"] = c.effective_mss();
  j["segment_payload"] = c.segment_payload();
  j["tcp_timestamps"] = c.tcp_timestamps;
  j["link_gbps"] = c.link_gbps;
  j["ctrl_latency_us"] = c.ctrl_latency_us;
  j["host_latency_us"] = c.host_latency_us;
  j["queue_start_us"] = c.queue_start_us;
  j["loss"] = i.loss;
  j["reseg_retransmit"] = i.reseg_retransmit;
  j["retransmit_delay"] = i.retransmit_delay;
  j["reorder"] = i.reorder;
  j["reorder_window"] = i.reorder_window;
  j["dup"] = i.dup;
  j["corrupt_ddgst"] = i.corrupt_ddgst;
  j["bad_tcp_csum"] = i.bad_tcp_csum;
  j["plant_lookalike"] = i.plant_lookalike;
  // Only when used, so that ordinary truth files keep their shape.
  if (c.adv.any()) {
    ordered_json a;
    for (const Adversary::Knob& k : Adversary::knobs()) a[k.name] = c.adv.*k.p;
    a["stale_delay"] = c.adv.stale_delay;
    a["faults"] = header_faults_str(c.adv.faults, c.ulp);
    j["adversary"] = a;
  }
  if (c.ulp == Ulp::Iscsi) {
    j["iscsi_max_recv"] = c.iscsi_max_recv;
    j["iscsi_status_pdu"] = c.iscsi_status_pdu;
    j["iscsi_interleave"] = c.iscsi_interleave;
  }
  return j;
}

ordered_json connection_json(const ConnectionTruth& c) {
  ordered_json j;
  j["host"] = c.host;
  j["controller"] = c.controller;
  j["sqid"] = c.sqid;
  j["hdgst"] = c.hdgst;
  j["ddgst"] = c.ddgst;
  j["hpda"] = c.hpda;
  j["vlan"] = c.vlan;
  j["reads"] = c.reads;
  j["host_isn"] = c.host_isn;
  j["controller_isn"] = c.controller_isn;
  return j;
}

ordered_json command_json(const CommandTruth& c) {
  ordered_json j;
  j["flow"] = c.flow;
  if (c.iscsi)
    j["tag"] = c.itt;
  else
    j["cid"] = c.cid;
  j["order"] = c.order;
  j["length"] = c.length;
  j["slba"] = c.slba;
  j["sha256"] = c.sha256;
  j["digest_corrupted"] = c.digest_corrupted;
  j["corrupt_pdu"] = c.corrupt_pdu;
  if (c.iscsi)
    j["status"] = c.report_status();
  else
    j["expected_status"] = c.expected_status();
  j["pdus"] = c.pdus;
  j["success_flag"] = c.success_flag;
  j["lookalike_offsets"] = c.lookalike_offsets;
  if (!c.adversity.empty()) j["adversity"] = c.adversity;
  return j;
}

ordered_json totals_json(const Totals& t) {
  ordered_json j;
  j["packets"] = t.packets;
  j["h2c_packets"] = t.h2c_packets;
  j["c2h_packets"] = t.c2h_packets;
  j["bytes"] = t.bytes;
  j["commands"] = t.commands;
  j["read_bytes"] = t.read_bytes;
  j["c2h_data_pdus"] = t.c2h_data_pdus;
  j["capsule_resps"] = t.capsule_resps;
  j["lost"] = t.imp.lost;
  j["retransmitted"] = t.imp.retransmitted;
  j["reordered"] = t.imp.reordered;
  j["duplicated"] = t.imp.duplicated;
  j["bad_tcp_csum"] = t.imp.bad_tcp_csum;
  j["ddgst_corrupted"] = t.ddgst_corrupted;
  j["lookalikes"] = t.lookalikes;
  j["first_ts_ns"] = t.first_ts_ns;
  j["last_ts_ns"] = t.last_ts_ns;
  j["duration_ns"] = t.duration_ns;
  j["c2h_busy_ns"] = t.c2h_busy_ns;
  j["offered_gbps"] = t.offered_gbps;
  j["read_gbps"] = t.read_gbps;
  const AdvCounts& a = t.adv;
  if (a.overrun + a.unknown_cid + a.early_resp + a.bad_header + a.term_req + a.stale_dup +
      a.truncated + a.noise + a.ip_options + a.stale_pdu + a.dup_pdu + a.resp_hole) {
    j["adversary"] = {{"overrun", a.overrun},       {"unknown_cid", a.unknown_cid},
                      {"early_resp", a.early_resp}, {"bad_header", a.bad_header},
                      {"term_req", a.term_req},     {"stale_dup", a.stale_dup},
                      {"truncated", a.truncated},   {"noise", a.noise},
                      {"ip_options", a.ip_options}, {"stale_pdu", a.stale_pdu},
                      {"dup_pdu", a.dup_pdu},       {"resp_hole", a.resp_hole}};
  }
  return j;
}

template <typename T>
void take(const ordered_json& j, const char* key, T& dst) {
  if (!j.contains(key)) throw std::invalid_argument(std::string("truth file: generator.") + key + " missing");
  dst = j.at(key).get<T>();
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

std::string truth_json(const Truth& t) {
  ordered_json j;
  j["generator"] = config_json(t.config);
  j["connections"] = ordered_json::array();
  for (const auto& c : t.connections) j["connections"].push_back(connection_json(c));
  j["commands"] = ordered_json::array();
  for (const auto& c : t.commands) j["commands"].push_back(command_json(c));
  j["totals"] = totals_json(t.totals);
  return j.dump(1) + "\n";
}

void write_truth(const Truth& t, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  out << truth_json(t);
  out.close();
  if (!out) throw std::runtime_error("cannot write truth file " + path);
}

GenConfig config_from_truth_json(const std::string& json_text) {
  GenConfig c;
  Impairments& i = c.imp;
  try {
    const ordered_json j = ordered_json::parse(json_text).at("generator");
    int version = 0;
    take(j, "schema_version", version);
    if (version != kSchemaVersion) throw std::invalid_argument("truth file: unknown schema_version");
    std::string io_size;
    take(j, "io_size", io_size);
    c.io_size = parse_io_size(io_size);
    if (j.contains("ulp")) c.ulp = parse_ulp(j.at("ulp").get<std::string>());
    if (j.contains("port")) take(j, "port", c.port);
    take(j, "seed", c.seed);
    take(j, "flows", c.flows);
    take(j, "ipv6", c.ipv6);
    take(j, "vlan", c.vlan);
    take(j, "qinq", c.qinq);
    take(j, "svlan", c.svlan);
    take(j, "hdgst", c.hdgst);
    take(j, "ddgst", c.ddgst);
    take(j, "hpda", c.hpda);
    take(j, "queue_depth", c.queue_depth);
    take(j, "cid_genctr", c.cid_genctr);
    take(j, "ios", c.ios);
    take(j, "total_bytes", c.total_bytes);
    take(j, "max_pdu_data", c.max_pdu_data);
    take(j, "success_flag", c.success_flag);
    take(j, "mss", c.mss);
    take(j, "tcp_timestamps", c.tcp_timestamps);
    take(j, "link_gbps", c.link_gbps);
    take(j, "ctrl_latency_us", c.ctrl_latency_us);
    take(j, "host_latency_us", c.host_latency_us);
    take(j, "queue_start_us", c.queue_start_us);
    take(j, "loss", i.loss);
    take(j, "reseg_retransmit", i.reseg_retransmit);
    take(j, "retransmit_delay", i.retransmit_delay);
    take(j, "reorder", i.reorder);
    take(j, "reorder_window", i.reorder_window);
    take(j, "dup", i.dup);
    take(j, "corrupt_ddgst", i.corrupt_ddgst);
    take(j, "bad_tcp_csum", i.bad_tcp_csum);
    take(j, "plant_lookalike", i.plant_lookalike);
    if (j.contains("adversary")) {
      const ordered_json& a = j.at("adversary");
      // A knob newer than the file is absent: it was off.
      for (const Adversary::Knob& k : Adversary::knobs())
        if (a.contains(k.name)) take(a, k.name, c.adv.*k.p);
      take(a, "stale_delay", c.adv.stale_delay);
      std::string faults;
      take(a, "faults", faults);
      c.adv.faults = parse_header_faults(faults, c.ulp);
    }
    if (c.ulp == Ulp::Iscsi) {
      take(j, "iscsi_max_recv", c.iscsi_max_recv);
      take(j, "iscsi_status_pdu", c.iscsi_status_pdu);
      take(j, "iscsi_interleave", c.iscsi_interleave);
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("truth file: ") + e.what());
  }
  return c;
}

std::string summary(const Truth& t) {
  const Totals& s = t.totals;
  std::ostringstream o;
  o << "flows " << t.connections.size() << ", commands " << s.commands << ", read bytes "
    << s.read_bytes << " (" << fmt("%.2f MiB", double(s.read_bytes) / (1 << 20))
    << (t.config.ulp == Ulp::Iscsi ? "), Data-In PDUs " : "), C2HData PDUs ") << s.c2h_data_pdus
    << (t.config.ulp == Ulp::Iscsi ? ", SCSI Responses " : ", CapsuleResps ") << s.capsule_resps << "\n";
  o << "packets " << s.packets << " (host->ctrl " << s.h2c_packets << ", ctrl->host "
    << s.c2h_packets << "), frame bytes " << s.bytes << "\n";
  o << "impairments: lost " << s.imp.lost << ", retransmitted " << s.imp.retransmitted
    << ", reordered " << s.imp.reordered << ", duplicated " << s.imp.duplicated
    << ", bad TCP checksum " << s.imp.bad_tcp_csum << ", corrupt DDGST " << s.ddgst_corrupted
    << ", lookalikes " << s.lookalikes << "\n";
  const AdvCounts& a = s.adv;
  if (t.config.adv.any())
    o << "adversary: overrun " << a.overrun << ", unknown CID " << a.unknown_cid << ", early response "
      << a.early_resp << ", bad header " << a.bad_header << ", TermReq " << a.term_req
      << ", stale duplicate " << a.stale_dup << ", truncated " << a.truncated << ", foreign frames "
      << a.noise << ", IP options " << a.ip_options << ", stale PDUs " << a.stale_pdu
      << ", duplicate PDUs " << a.dup_pdu << ", completions hit " << a.resp_hole << "\n";
  o << "simulated " << fmt("%.3f", double(s.duration_ns) / 1000.0) << " us, ctrl->host offered "
    << fmt("%.2f", s.offered_gbps) << " Gb/s on a " << fmt("%g", t.config.link_gbps)
    << " Gb/s link (read data " << fmt("%.2f", s.read_gbps) << " Gb/s)\n";
  return o.str();
}

}  // namespace nic::gen
