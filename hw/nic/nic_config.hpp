// Every parameter an architect sizes, in one struct. Loadable from a JSON file (comments
// allowed), overridable by dotted keys (`--set mac.rx_fifo_bytes=65536`), printed in every
// report. Plain C++: the host driver, tools and tests include it without SystemC.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <variant>

#include "hw/pcie/pcie_params.hpp"

namespace nic {

struct NicConfig {
  struct Core {
    double clock_mhz = 250.0;
    uint32_t datapath_bytes = 64;
  } core;
  struct Mac {
    double line_rate_gbps = 100.0;
    uint32_t wire_overhead_bytes = 24;  // preamble 8 + FCS 4 + inter-frame gap 12
    uint32_t rx_fifo_bytes = 65536;
    uint32_t max_frame_bytes = 9216;
  } mac;
  struct Fifo {  // inter-block channel depths, in beats
    uint32_t mac_to_l3 = 8;
    uint32_t l3_to_flow = 8;
    uint32_t flow_to_parser = 8;
    uint32_t parser_to_crc = 8;
    uint32_t crc_to_placement = 16;
  } fifo;
  struct Flow {
    uint32_t entries = 4096;
    uint32_t ways = 4;
    uint32_t lookup_cycles = 4;
  } flow;
  struct Parser {
    bool header_digest_check = true;
    uint32_t cycles_per_extra_header = 1;  // a beat holding k headers costs k cycles
  } parser;
  struct Ooo {  // out-of-order recovery of the PDU parser
    bool search = true;               // off: losing framing ends offload for the flow
    uint32_t search_delay_bytes = 0;  // stream bytes past a hole before scanning starts
    uint32_t max_candidates = 4;      // candidate header chains followed at once
    bool recover_headers = true;      // read a header lost in a hole from its retransmission
  } ooo;
  struct Crc {
    std::string impl = "model";  // "model" or "rtl"
    uint32_t latency_cycles = 2;
    uint32_t max_open_pdus = 4;  // PDUs per flow waiting for a hole to be filled
  } crc;
  struct Placement {
    uint32_t max_sg_entries = 128;
    uint32_t max_outstanding_dma = 32;
    bool single_run_per_packet = false;  // ConnectX-7 rule: one placed run per packet
    uint32_t rx_ring_bytes = 1u << 22;
    uint32_t cq_entries = 4096;
    uint32_t cmd_window = 8;  // commands decoded ahead; their SGL reads overlap
    uint32_t cmd_fetch_entries = 64;  // command-ring entries one fetch reads (NIC buffer)
  } placement;
  PcieParams pcie;
  struct Host {
    double mem_latency_ns = 80.0;
  } host;
  struct Driver {
    uint32_t io_threshold = 32768;
    uint32_t queue_depth = 128;  // Linux nvme-tcp's default queue size
    std::string allocator = "contiguous";  // contiguous | pages | fragments
    double irq_moderation_ns = 0.0;
    uint32_t seed = 1;
  } driver;
};

// One named parameter, pointing into a NicConfig.
struct ParamRef {
  std::string key;  // dotted name, e.g. "mac.rx_fifo_bytes"
  const char* unit;
  const char* help;
  std::variant<uint32_t*, double*, bool*, std::string*> value;
};

void for_each_param(NicConfig& cfg, const std::function<void(const ParamRef&)>& fn);
void for_each_param(const NicConfig& cfg, const std::function<void(const ParamRef&)>& fn);

// Sets one parameter from text; throws std::invalid_argument naming the key on a bad key or
// value. `key=value` form is accepted by apply_assignment.
void set_param(NicConfig& cfg, const std::string& key, const std::string& value);
void apply_assignment(NicConfig& cfg, const std::string& key_eq_value);
// Loads a JSON file (nested objects or dotted keys, comments allowed) over `cfg`.
void load_config_file(NicConfig& cfg, const std::string& path);
// The whole config as JSON text, a valid input for load_config_file.
std::string config_to_json(const NicConfig& cfg, int indent = 2);
// Throws std::invalid_argument when parameters are inconsistent (zero sizes, odd widths...).
void validate(const NicConfig& cfg);

}  // namespace nic
