// NVMe/TCP read-traffic generator: both directions of N connections on one capture point,
// timed by the link rate, with ground truth. Same config (seed included) -> same bytes.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "util/bytes.hpp"
#include "tb/gen/config.hpp"
#include "tb/gen/truth.hpp"

namespace nic::gen {

// Receives frames in capture order; timestamps never decrease.
using FrameSink = std::function<void(uint64_t ts_ns, ByteView frame)>;

// Throws std::invalid_argument when cfg.validate() reports a problem.
Truth generate(const GenConfig& cfg, const FrameSink& sink);
// Same, written to a nanosecond pcap file (throws pcap::PcapError if it cannot be written).
Truth generate_pcap(const GenConfig& cfg, const std::string& pcap_path);

}  // namespace nic::gen
