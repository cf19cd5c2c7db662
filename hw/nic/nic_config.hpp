// Every parameter an architect sizes, in one struct. Loadable from a JSON file (comments
// allowed), overridable by dotted keys (`--set mac.rx_fifo_bytes=65536`), printed in every
// report. Plain C++: the host driver, tools and tests include it without SystemC.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <variant>

#include "hw/pcie/pcie_params.hpp"
#include "util/param_text.hpp"

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

// The values a parameter accepts, declared beside it in nic_config.cpp and checked by
// validate(): numbers in [min, max] (unbounded by default), text one of `choices`
// ("model|rtl"); booleans any.
struct ParamRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  const char* choices = nullptr;
};

// One named parameter, pointing into a NicConfig.
struct ParamRef {
  std::string key;  // dotted name, e.g. "mac.rx_fifo_bytes"
  const char* unit;
  const char* help;
  std::variant<uint32_t*, double*, bool*, std::string*> value;
  ParamRange range;
};
// The value syntax of a parameter (util/param_text.hpp); the second form throws
// std::invalid_argument for an unknown key.
param::Kind kind_of(const ParamRef& p);
param::Kind kind_of(const std::string& key);
// The range as the parameter table shows it: "1 .. 64K", "model|rtl", "any".
std::string range_text(const ParamRef& p);

void for_each_param(NicConfig& cfg, const std::function<void(const ParamRef&)>& fn);
void for_each_param(const NicConfig& cfg, const std::function<void(const ParamRef&)>& fn);

// Sets one parameter from text as `--set` and `--grid` write it (integers with K/M/G);
// throws std::invalid_argument naming the key on a bad key or value. apply_assignment takes
// the `key=value` form.
void set_param(NicConfig& cfg, const std::string& key, const std::string& value);
void apply_assignment(NicConfig& cfg, const std::string& key_eq_value);
// Loads a JSON file (nested objects or dotted keys, comments allowed) over `cfg`. A parameter
// given twice (the same key twice, or nested and dotted) is an error.
void load_config_file(NicConfig& cfg, const std::string& path);
// The whole config as JSON text, a valid input for load_config_file.
std::string config_to_json(const NicConfig& cfg, int indent = 2);
// Throws std::invalid_argument, naming the parameter, when one is outside its range or
// parameters disagree (a FIFO smaller than a frame, odd widths...). Replay, config and every
// sweep point call it before anything runs.
void validate(const NicConfig& cfg);

}  // namespace nic
