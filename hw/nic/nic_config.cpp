#include "hw/nic/nic_config.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "hw/placement/sgl.hpp"

namespace nic {

namespace {

template <class Cfg, class Fn>
void visit(Cfg& c, Fn&& p) {
  p("core.clock_mhz", c.core.clock_mhz, "MHz", "core clock of every block between MAC and PCIe");
  p("core.datapath_bytes", c.core.datapath_bytes, "B", "bytes per beat on every internal stream");
  p("mac.line_rate_gbps", c.mac.line_rate_gbps, "Gb/s", "Ethernet line rate");
  p("mac.wire_overhead_bytes", c.mac.wire_overhead_bytes, "B",
    "per-frame bytes on the wire not in the capture: preamble, FCS, inter-frame gap");
  p("mac.rx_fifo_bytes", c.mac.rx_fifo_bytes, "B",
    "MAC receive FIFO; a frame that does not fit is dropped and counted");
  p("mac.max_frame_bytes", c.mac.max_frame_bytes, "B", "largest frame accepted (without FCS)");
  p("fifo.mac_to_l3", c.fifo.mac_to_l3, "beats", "channel MAC -> L2-L4 parser");
  p("fifo.l3_to_flow", c.fifo.l3_to_flow, "beats", "channel L2-L4 parser -> flow table");
  p("fifo.flow_to_parser", c.fifo.flow_to_parser, "beats", "channel flow table -> PDU parser");
  p("fifo.parser_to_crc", c.fifo.parser_to_crc, "beats", "channel PDU parser -> CRC32C");
  p("fifo.crc_to_placement", c.fifo.crc_to_placement, "beats", "channel CRC32C -> placement");
  p("flow.entries", c.flow.entries, "flows", "offloaded-flow table capacity");
  p("flow.ways", c.flow.ways, "ways", "flow table associativity");
  p("flow.lookup_cycles", c.flow.lookup_cycles, "cycles", "5-tuple hash + lookup latency");
  p("parser.header_digest_check", c.parser.header_digest_check, "bool",
    "verify HDGST of every C2H header (ConnectX-7 does not)");
  p("parser.cycles_per_extra_header", c.parser.cycles_per_extra_header, "cycles",
    "extra cycles a beat costs for each PDU header beyond the first it holds");
  p("ooo.search", c.ooo.search, "bool",
    "after losing framing, search for headers and resync (off: offload ends for the flow)");
  p("ooo.search_delay_bytes", c.ooo.search_delay_bytes, "B",
    "stream bytes past a hole before the header search starts");
  p("ooo.max_candidates", c.ooo.max_candidates, "chains",
    "candidate header chains the search follows at once");
  p("ooo.recover_headers", c.ooo.recover_headers, "bool",
    "regain framing from the retransmission of a lost header, without a resync");
  p("crc.impl", c.crc.impl, "model|rtl", "CRC32C pipeline implementation");
  p("crc.latency_cycles", c.crc.latency_cycles, "cycles", "CRC32C pipeline depth");
  p("crc.max_open_pdus", c.crc.max_open_pdus, "PDUs",
    "PDUs per flow whose digest check waits for a retransmission to fill a hole");
  p("placement.max_sg_entries", c.placement.max_sg_entries, "entries",
    "largest SGL accepted by setup (ConnectX-7: 128)");
  p("placement.max_outstanding_dma", c.placement.max_outstanding_dma, "writes",
    "DMA writes the placement engine keeps in flight");
  p("placement.single_run_per_packet", c.placement.single_run_per_packet, "bool",
    "ConnectX-7 rule: place at most one contiguous run per packet");
  p("placement.rx_ring_bytes", c.placement.rx_ring_bytes, "B",
    "host receive ring for bytes the NIC does not place");
  p("placement.cq_entries", c.placement.cq_entries, "entries", "completion ring size");
  p("placement.cmd_fetch_entries", c.placement.cmd_fetch_entries, "entries",
    "command-ring entries read by one fetch: the NIC's command buffer, caps the command rate");
  p("placement.cmd_window", c.placement.cmd_window, "commands",
    "commands decoded ahead of execution; setups fetch their SGLs in parallel");
  p("pcie.gbps_per_direction", c.pcie.gbps_per_direction, "Gb/s", "PCIe payload bandwidth");
  p("pcie.latency_ns", c.pcie.latency_ns, "ns", "one-way PCIe latency");
  p("pcie.max_payload", c.pcie.max_payload, "B", "max payload size of one TLP");
  p("pcie.tlp_overhead", c.pcie.tlp_overhead, "B", "header/framing bytes per TLP");
  p("pcie.max_outstanding", c.pcie.max_outstanding, "transactions",
    "DMA transactions in flight on the link (tags)");
  p("host.mem_latency_ns", c.host.mem_latency_ns, "ns", "host memory access latency");
  p("driver.io_threshold", c.driver.io_threshold, "B", "smallest read the driver offloads");
  p("driver.queue_depth", c.driver.queue_depth, "commands",
    "I/O queue depth the host negotiated, given to the NIC at sk_add: sizes its DDP table");
  p("driver.allocator", c.driver.allocator, "contiguous|pages|fragments",
    "how the driver lays out read buffers in host memory");
  p("driver.irq_moderation_ns", c.driver.irq_moderation_ns, "ns",
    "completion interrupt coalescing delay");
  p("driver.seed", c.driver.seed, "", "seed of the driver's buffer allocator");
}

template <class Cfg, class Fn>
void each(Cfg& cfg, Fn&& fn) {
  visit(cfg, [&](const char* key, auto& field, const char* unit, const char* help) {
    using F = std::remove_const_t<std::remove_reference_t<decltype(field)>>;
    fn(ParamRef{key, unit, help, const_cast<F*>(&field)});
  });
}

nlohmann::json value_json(const ParamRef& p) {
  return std::visit([](auto* v) { return nlohmann::json(*v); }, p.value);
}

void set_from_json(const ParamRef& p, const nlohmann::json& j) {
  std::visit(
      [&](auto* v) {
        using T = std::remove_pointer_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          if (!j.is_boolean()) throw std::invalid_argument(p.key + ": expected true or false");
          *v = j.get<bool>();
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!j.is_string()) throw std::invalid_argument(p.key + ": expected a string");
          *v = j.get<std::string>();
        } else if constexpr (std::is_same_v<T, uint32_t>) {
          if (!j.is_number_unsigned() || j.get<uint64_t>() > UINT32_MAX)
            throw std::invalid_argument(p.key + ": expected an unsigned 32-bit integer");
          *v = j.get<uint32_t>();
        } else {
          if (!j.is_number()) throw std::invalid_argument(p.key + ": expected a number");
          *v = j.get<double>();
        }
      },
      p.value);
}

ParamRef find(NicConfig& cfg, const std::string& key) {
  ParamRef found{"", nullptr, nullptr, static_cast<uint32_t*>(nullptr)};
  each(cfg, [&](const ParamRef& p) {
    if (p.key == key) found = p;
  });
  if (found.key.empty()) throw std::invalid_argument("unknown config key '" + key + "'");
  return found;
}

void flatten(const nlohmann::json& j, const std::string& prefix, NicConfig& cfg) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object())
      flatten(*it, key, cfg);
    else
      set_from_json(find(cfg, key), *it);
  }
}

}  // namespace

void for_each_param(NicConfig& cfg, const std::function<void(const ParamRef&)>& fn) {
  each(cfg, fn);
}
void for_each_param(const NicConfig& cfg, const std::function<void(const ParamRef&)>& fn) {
  each(cfg, fn);
}

void set_param(NicConfig& cfg, const std::string& key, const std::string& value) {
  const ParamRef p = find(cfg, key);
  if (std::holds_alternative<std::string*>(p.value)) {
    *std::get<std::string*>(p.value) = value;
    return;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(value);
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument(key + ": cannot parse value '" + value + "'");
  }
  set_from_json(p, j);
}

void apply_assignment(NicConfig& cfg, const std::string& kv) {
  const auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument("expected key=value, got '" + kv + "'");
  set_param(cfg, kv.substr(0, eq), kv.substr(eq + 1));
}

void load_config_file(NicConfig& cfg, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open config file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument(path + ": top level must be an object");
  try {
    flatten(j, "", cfg);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::string config_to_json(const NicConfig& cfg, int indent) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for_each_param(cfg, [&](const ParamRef& p) {
    const auto dot = p.key.find('.');
    out[p.key.substr(0, dot)][p.key.substr(dot + 1)] = value_json(p);
  });
  return out.dump(indent);
}

void validate(const NicConfig& c) {
  auto need = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("config: ") + what);
  };
  need(c.core.clock_mhz > 0 && std::isfinite(c.core.clock_mhz), "core.clock_mhz must be > 0");
  need(c.core.datapath_bytes >= 8 && c.core.datapath_bytes <= 1024 &&
           (c.core.datapath_bytes & (c.core.datapath_bytes - 1)) == 0,
       "core.datapath_bytes must be a power of two in [8, 1024]");
  need(c.mac.line_rate_gbps > 0, "mac.line_rate_gbps must be > 0");
  need(c.mac.max_frame_bytes >= 64, "mac.max_frame_bytes must be >= 64");
  need(c.mac.rx_fifo_bytes >= c.mac.max_frame_bytes,
       "mac.rx_fifo_bytes must hold at least one maximum frame");
  need(c.fifo.mac_to_l3 && c.fifo.l3_to_flow && c.fifo.flow_to_parser && c.fifo.parser_to_crc &&
           c.fifo.crc_to_placement,
       "fifo depths must be >= 1");
  need(c.flow.entries && c.flow.ways && c.flow.entries % c.flow.ways == 0,
       "flow.entries must be a non-zero multiple of flow.ways");
  need(c.crc.impl == "model" || c.crc.impl == "rtl", "crc.impl must be model or rtl");
  if (c.crc.impl == "rtl" && (c.core.datapath_bytes != NICRTL_CRC_BYTES ||
                              c.crc.latency_cycles != NICRTL_CRC_LATENCY))
    throw std::invalid_argument(
        "config: crc.impl=rtl: the RTL is built for " + std::to_string(NICRTL_CRC_BYTES) + " B / " +
        std::to_string(NICRTL_CRC_LATENCY) + " cycles (core.datapath_bytes, crc.latency_cycles); " +
        "set CRC_RTL_BYTES/CRC_RTL_LATENCY in hw/crc/rtl/crc32c_pipe.cmake to rebuild it");
  need(c.ooo.max_candidates >= 1, "ooo.max_candidates must be >= 1");
  need(c.placement.max_sg_entries >= 1 && c.placement.max_sg_entries <= hw::SglPool::kMaxEntries,
       "placement.max_sg_entries must be 1..65535");
  need(c.placement.max_outstanding_dma >= 1, "placement.max_outstanding_dma must be >= 1");
  need(c.placement.cq_entries >= 2, "placement.cq_entries must be >= 2");
  need(c.placement.cmd_window >= 1, "placement.cmd_window must be >= 1");
  need(c.placement.cmd_fetch_entries >= 2, "placement.cmd_fetch_entries must be >= 2 (SkAdd takes two)");
  need(c.pcie.gbps_per_direction > 0 && c.pcie.max_payload >= 64 && c.pcie.max_outstanding >= 1,
       "pcie bandwidth, max_payload (>= 64) and max_outstanding must be positive");
  need(c.driver.queue_depth >= 1 && c.driver.queue_depth <= 65536,
       "driver.queue_depth must be 1..65536");
  need(c.driver.allocator == "contiguous" || c.driver.allocator == "pages" ||
           c.driver.allocator == "fragments",
       "driver.allocator must be contiguous, pages or fragments");
}

}  // namespace nic
