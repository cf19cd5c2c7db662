#include "hw/pcie/InterruptController.hpp"

#include "hw/abi/nic_abi.hpp"

namespace nic {

InterruptController::InterruptController(sc_core::sc_module_name name)
    : sc_module(name), socket("socket") {
  socket.register_b_transport(this, &InterruptController::b_transport);
}

uint8_t InterruptController::allocate_vector() {
  while (next_vector_ < 256 && handlers_[next_vector_]) ++next_vector_;
  return next_vector_ < 256 ? uint8_t(next_vector_++) : 0;
}

void InterruptController::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
  gp.set_response_status(tlm::TLM_OK_RESPONSE);  // posted: the device is never told
  if (!gp.is_write() || gp.get_data_length() != 4 || gp.get_byte_enable_ptr()) {
    ++stats_.malformed;
    return;
  }
  const uint8_t vector = gp.get_data_ptr()[0];  // little-endian data, bits 7..0
  ++stats_.messages;
  ++per_vector_[vector];
  if (observer_) observer_(vector, gp);
  if (handlers_[vector])
    handlers_[vector]();
  else
    ++stats_.unhandled;
}

HostBridge::HostBridge(sc_core::sc_module_name name)
    : sc_module(name), target("target"), mem("mem"), irq("irq") {
  target.register_b_transport(this, &HostBridge::b_transport);
  target.register_transport_dbg(this, &HostBridge::transport_dbg);
}

void HostBridge::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (gp.is_write() && abi::is_msi_address(gp.get_address()))
    irq->b_transport(gp, delay);
  else
    mem->b_transport(gp, delay);
}

}  // namespace nic
