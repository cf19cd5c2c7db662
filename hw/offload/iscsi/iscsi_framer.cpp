#include "hw/offload/iscsi/iscsi_framer.hpp"

#include "hw/offload/pdu_framer_impl.hpp"

namespace nic::hw {

template class PduFramer<IscsiProtocol>;

}  // namespace nic::hw
