#include "hw/offload/nvme_tcp/nvme_tcp_framer.hpp"

#include "hw/offload/pdu_framer_impl.hpp"

namespace nic::hw {

template class PduFramer<NvmeTcpProtocol>;

}  // namespace nic::hw
