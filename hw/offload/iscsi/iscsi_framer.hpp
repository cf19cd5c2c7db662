// The offload engine's framer for iSCSI flows: PduFramer over IscsiProtocol.
#pragma once
#include "hw/offload/iscsi/iscsi_protocol.hpp"
#include "hw/offload/pdu_tracker.hpp"

namespace nic::hw {

using IscsiFramer = PduFramer<IscsiProtocol>;
using IscsiFramerConfig = FramerConfig<IscsiProtocol>;
extern template class PduFramer<IscsiProtocol>;

}  // namespace nic::hw
