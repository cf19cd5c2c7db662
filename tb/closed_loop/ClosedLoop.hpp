// One closed-loop run (`nicsim run`, docs/closed-loop.md): the platform (NIC, PCIe, host
// memory, driver, verdict) fed by the network of tb/closed_loop/Network instead of a trace.
// The verdict is the replay's: an independent decode of what crossed the NIC's port, judged
// against every read's buffer. SystemC elaborates once per process, so this runs once per
// process.
#pragma once
#include <string>

#include "tb/closed_loop/loop_config.hpp"
#include "tb/closed_loop/loop_result.hpp"
#include "tb/replay/Replay.hpp"

namespace nic::loop {

struct ClosedLoopOptions {
  tb::ReplayOptions platform;  // its trace, ports and feeder options are not used
  LoopConfig loop;
  std::string pcap_out;  // both directions at the NIC's port; empty for none
};

struct ClosedLoopResult {
  tb::ReplayResult nic;
  LoopResult loop;
};

// Throws std::invalid_argument for a bad config and pcap::PcapError when the capture file
// cannot be written.
ClosedLoopResult run_closed_loop(const ClosedLoopOptions& opt);

}  // namespace nic::loop
