// The offload engine's framer for NVMe/TCP flows: PduFramer over NvmeTcpProtocol, under the
// names the rest of the NIC uses for it.
#pragma once
#include "hw/offload/nvme_tcp/nvme_tcp_protocol.hpp"
#include "hw/offload/pdu_tracker.hpp"

namespace nic::hw {

using PduTracker = PduFramer<NvmeTcpProtocol>;
using TrackerConfig = FramerConfig<NvmeTcpProtocol>;
extern template class PduFramer<NvmeTcpProtocol>;

}  // namespace nic::hw
