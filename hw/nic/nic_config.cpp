#include "hw/nic/nic_config.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "hw/nic/nic_abi.hpp"
#include "hw/placement/sgl.hpp"

namespace nic {

namespace {

// Ranges of the declarations below.
constexpr ParamRange in(double lo, double hi) { return {lo, hi, nullptr}; }
constexpr ParamRange one_of(const char* choices) { return {0, 0, choices}; }
constexpr ParamRange any{};
constexpr double K = 1024, M = K * K, G = K * M;
// Times become whole picoseconds, SystemC's default resolution (nothing here changes it):
// 1e6 MHz is a 1 ps period. A latency beyond a millisecond is a typo (a second of host-memory
// latency makes a small replay run for minutes).
constexpr double kMaxMhz = 1e6, kMaxLatencyNs = 1e6;

template <class Cfg, class Fn>
void visit(Cfg& c, Fn&& p) {
  p("core.clock_mhz", c.core.clock_mhz, "MHz",
    "core clock of every block between MAC and PCIe (period rounded to whole ps)", in(1, kMaxMhz));
  p("core.datapath_bytes", c.core.datapath_bytes, "B",
    "bytes per beat on every internal stream (a power of two)", in(8, 1 * K));
  p("mac.line_rate_gbps", c.mac.line_rate_gbps, "Gb/s", "Ethernet line rate", in(0.1, 10000));
  p("mac.wire_overhead_bytes", c.mac.wire_overhead_bytes, "B",
    "per-frame bytes on the wire not in the capture: preamble, FCS, inter-frame gap", in(0, 1 * K));
  p("mac.rx_fifo_bytes", c.mac.rx_fifo_bytes, "B",
    "MAC receive FIFO, at least mac.max_frame_bytes; a frame that does not fit is dropped and counted",
    in(64, 16 * M));  // its occupancy histogram has a bucket per byte
  // 256K: the largest frame a pcap capture holds.
  p("mac.max_frame_bytes", c.mac.max_frame_bytes, "B", "largest frame accepted (without FCS)",
    in(64, 256 * K));
  p("fifo.mac_to_l3", c.fifo.mac_to_l3, "beats", "channel MAC -> L2-L4 parser", in(1, 64 * K));
  p("fifo.l3_to_flow", c.fifo.l3_to_flow, "beats", "channel L2-L4 parser -> flow table", in(1, 64 * K));
  p("fifo.flow_to_parser", c.fifo.flow_to_parser, "beats", "channel flow table -> PDU parser",
    in(1, 64 * K));
  p("fifo.parser_to_crc", c.fifo.parser_to_crc, "beats", "channel PDU parser -> CRC32C", in(1, 64 * K));
  p("fifo.crc_to_placement", c.fifo.crc_to_placement, "beats", "channel CRC32C -> placement",
    in(1, 64 * K));
  p("flow.entries", c.flow.entries, "flows", "offloaded-flow table capacity (a multiple of flow.ways)",
    in(1, 1 * M));
  p("flow.ways", c.flow.ways, "ways", "flow table associativity", in(1, 256));
  // Pipeline depths start at 1: a stage holds a beat for at least one cycle.
  p("flow.lookup_cycles", c.flow.lookup_cycles, "cycles", "5-tuple hash + lookup latency", in(1, 1 * K));
  p("parser.header_digest_check", c.parser.header_digest_check, "bool",
    "verify HDGST of every C2H header (ConnectX-7 does not)", any);
  p("parser.cycles_per_extra_header", c.parser.cycles_per_extra_header, "cycles",
    "extra cycles a beat costs for each PDU header beyond the first it holds", in(0, 1 * K));
  p("ooo.search", c.ooo.search, "bool",
    "after losing framing, search for headers and resync (off: offload ends for the flow)", any);
  p("ooo.search_delay_bytes", c.ooo.search_delay_bytes, "B",
    "stream bytes past a hole before the header search starts", any);
  p("ooo.max_candidates", c.ooo.max_candidates, "chains",
    "candidate header chains the search follows at once", in(1, 64));
  p("ooo.recover_headers", c.ooo.recover_headers, "bool",
    "regain framing from the retransmission of a lost header, without a resync", any);
  p("crc.impl", c.crc.impl, "", "CRC32C pipeline implementation", one_of("model|rtl"));
  p("crc.latency_cycles", c.crc.latency_cycles, "cycles", "CRC32C pipeline depth", in(1, 1 * K));
  p("crc.max_open_pdus", c.crc.max_open_pdus, "PDUs",
    "PDUs per flow whose digest check waits for a retransmission to fill a hole", in(1, 64));
  p("placement.max_sg_entries", c.placement.max_sg_entries, "entries",
    "largest SGL accepted by setup (ConnectX-7: 128)", in(1, hw::SglPool::kMaxEntries));
  p("placement.max_outstanding_dma", c.placement.max_outstanding_dma, "writes",
    "DMA writes the placement engine keeps in flight", in(1, 64 * K));
  p("placement.single_run_per_packet", c.placement.single_run_per_packet, "bool",
    "ConnectX-7 rule: place at most one contiguous run per packet", any);
  // The host memory map (host_driver/NvmeTcpDriver.hpp) gives the receive ring 1 GiB and the
  // completion ring 512 MiB.
  p("placement.rx_ring_bytes", c.placement.rx_ring_bytes, "B",
    "host receive ring for bytes the NIC does not place", in(64, 1 * G));
  p("placement.cq_entries", c.placement.cq_entries, "entries", "completion ring size",
    in(2, 512 * M / abi::kCqeSize));
  // SkAdd takes two command-ring entries; the driver's command ring has 1024.
  p("placement.cmd_fetch_entries", c.placement.cmd_fetch_entries, "entries",
    "command-ring entries read by one fetch: the NIC's command buffer, caps the command rate",
    in(2, 1 * K));
  p("placement.cmd_window", c.placement.cmd_window, "commands",
    "commands decoded ahead of execution; setups fetch their SGLs in parallel", in(1, 1 * K));
  p("pcie.gbps_per_direction", c.pcie.gbps_per_direction, "Gb/s", "PCIe payload bandwidth",
    in(0.1, 10000));
  p("pcie.latency_ns", c.pcie.latency_ns, "ns", "one-way PCIe latency", in(0, kMaxLatencyNs));
  p("pcie.max_payload", c.pcie.max_payload, "B", "max payload size of one TLP", in(64, 4 * K));
  p("pcie.tlp_overhead", c.pcie.tlp_overhead, "B", "header/framing bytes per TLP", in(0, 1 * K));
  p("pcie.max_outstanding", c.pcie.max_outstanding, "transactions",
    "DMA transactions in flight on the link (tags)", in(1, 64 * K));
  p("host.mem_latency_ns", c.host.mem_latency_ns, "ns", "host memory access latency", in(0, kMaxLatencyNs));
  p("driver.io_threshold", c.driver.io_threshold, "B", "smallest read the driver offloads", any);
  // NVMe CIDs are 16 bits.
  p("driver.queue_depth", c.driver.queue_depth, "commands",
    "I/O queue depth the host negotiated, given to the NIC at sk_add: sizes its DDP table",
    in(1, 64 * K));
  p("driver.allocator", c.driver.allocator, "",
    "how the driver lays out read buffers in host memory", one_of("contiguous|pages|fragments"));
  p("driver.irq_moderation_ns", c.driver.irq_moderation_ns, "ns",
    "completion interrupt coalescing delay", in(0, 1e9));
  p("driver.seed", c.driver.seed, "", "seed of the driver's buffer allocator", any);
}

template <class Cfg, class Fn>
void each(Cfg& cfg, Fn&& fn) {
  visit(cfg, [&](const char* key, auto& field, const char* unit, const char* help, ParamRange range) {
    using F = std::remove_const_t<std::remove_reference_t<decltype(field)>>;
    fn(ParamRef{key, unit, help, const_cast<F*>(&field), range});
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
  std::optional<ParamRef> found;
  visit(cfg, [&](const char* name, auto& field, const char* unit, const char* help, ParamRange range) {
    if (key == name) found = ParamRef{name, unit, help, &field, range};
  });
  if (!found) throw std::invalid_argument("unknown config key '" + key + "'");
  return *found;
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

param::Kind kind_of(const ParamRef& p) {
  return std::visit(
      [](auto* v) {
        using T = std::remove_pointer_t<decltype(v)>;
        if constexpr (std::is_same_v<T, uint32_t>) return param::Kind::integer;
        else if constexpr (std::is_same_v<T, double>) return param::Kind::real;
        else if constexpr (std::is_same_v<T, bool>) return param::Kind::boolean;
        else return param::Kind::text;
      },
      p.value);
}

param::Kind kind_of(const std::string& key) {
  NicConfig cfg;
  return kind_of(find(cfg, key));
}

std::string range_text(const ParamRef& p) {
  const ParamRange& r = p.range;
  if (r.choices) return r.choices;
  const param::Kind kind = kind_of(p);
  if (!std::isfinite(r.max)) return kind == param::Kind::boolean ? "" : "any";
  const auto num = [&](double v) {
    // Whole sizes as --set takes them: 64K, 1G.
    if (kind == param::Kind::integer && v >= 1024)
      for (const auto& [shift, suffix] : {std::pair{30, "G"}, {20, "M"}, {10, "K"}})
        if (std::fmod(v, double(1ull << shift)) == 0) return param::format_real(v / double(1ull << shift)) + suffix;
    return param::format_real(v);
  };
  return num(r.min) + " .. " + num(r.max);
}

void set_param(NicConfig& cfg, const std::string& key, const std::string& value) {
  const ParamRef p = find(cfg, key);
  const std::string text = param::canonical(key, kind_of(p), value);
  if (std::holds_alternative<std::string*>(p.value))
    *std::get<std::string*>(p.value) = text;
  else
    set_from_json(p, nlohmann::json::parse(text));
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
  // Every key by its dotted path, so that a parameter given twice is found whether both are
  // the same key of one object (which nlohmann would resolve silently, last wins) or one is
  // nested and the other dotted.
  std::vector<std::string> objects;  // dotted path of each open object
  std::set<std::string> seen;
  std::string last_key;
  const auto on_event = [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) {
      objects.push_back(objects.empty() ? "" : last_key);
    } else if (ev == E::object_end) {
      objects.pop_back();
    } else if (ev == E::key) {
      const std::string& k = parsed.get_ref<const std::string&>();
      last_key = objects.back().empty() ? k : objects.back() + "." + k;
      if (!seen.insert(last_key).second) throw std::invalid_argument("'" + last_key + "' is given twice");
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in, on_event, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(path + ": " + e.what());
  } catch (const std::invalid_argument& e) {
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
  // Straight on the declarations, without a ParamRef per parameter: a find-min sweep checks
  // every value it may probe, possibly a million of them.
  visit(c, [](const char* key, const auto& field, const char* unit, const char* help, ParamRange r) {
    using F = std::remove_const_t<std::remove_reference_t<decltype(field)>>;
    bool ok = true;
    if constexpr (std::is_same_v<F, std::string>)
      ok = !r.choices || (std::string("|") + r.choices + "|").find("|" + field + "|") != std::string::npos;
    else if constexpr (!std::is_same_v<F, bool>)
      ok = double(field) >= r.min && double(field) <= r.max;  // false for NaN
    if (ok) return;
    const ParamRef p{key, unit, help, const_cast<F*>(&field), r};
    std::string value;
    if constexpr (std::is_same_v<F, std::string>) value = field;
    else if constexpr (!std::is_same_v<F, bool>) value = param::format_real(double(field));
    throw std::invalid_argument("config: " + p.key + " = " + value +
                                (r.choices ? " is not one of " : " is outside its range ") +
                                range_text(p) + (*unit ? std::string(" ") + unit : ""));
  });
  // What one parameter's range cannot say.
  auto need = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("config: ") + what);
  };
  need((c.core.datapath_bytes & (c.core.datapath_bytes - 1)) == 0,
       "core.datapath_bytes must be a power of two");
  need(c.mac.rx_fifo_bytes >= c.mac.max_frame_bytes,
       "mac.rx_fifo_bytes must hold at least one maximum frame (mac.max_frame_bytes)");
  need(c.flow.entries % c.flow.ways == 0, "flow.entries must be a multiple of flow.ways");
  if (c.crc.impl == "rtl" && (c.core.datapath_bytes != NICRTL_CRC_BYTES ||
                              c.crc.latency_cycles != NICRTL_CRC_LATENCY))
    throw std::invalid_argument(
        "config: crc.impl=rtl: the RTL is built for " + std::to_string(NICRTL_CRC_BYTES) + " B / " +
        std::to_string(NICRTL_CRC_LATENCY) + " cycles (core.datapath_bytes, crc.latency_cycles); " +
        "set CRC_RTL_BYTES/CRC_RTL_LATENCY in hw/crc/rtl/crc32c_pipe.cmake to rebuild it");
}

}  // namespace nic
