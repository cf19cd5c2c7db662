// Parameters of the DMA engine (hw/pcie/DmaEngine), config section "dma". Plain struct.
//
// Jobs queue in submission order; a write's bytes wait in the receive RAM from submission
// until its last TLP has left the device (Corundum's RX_RAM_SIZE); an issued write holds a
// write operation until then, an issued read a read operation until its data is back.
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct DmaParams {
  uint32_t queue_depth = 64;       // jobs waiting to issue: beyond, producers stall
  uint32_t engines = 1;            // requests issued per core cycle
  uint32_t write_ops = 32;         // writes issued whose last TLP has not left the device
  uint32_t read_ops = 32;          // reads issued whose data has not arrived
  uint32_t rx_ram_bytes = 128 * 1024;  // write data between the pipeline and PCIe

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("queue_depth", p.queue_depth, "jobs",
      "DMA jobs waiting to issue; when full, placement and the caches stall", in(1, 64 * K));
    d("engines", p.engines, "jobs/cycle", "DMA requests issued per core cycle", in(1, 16));
    d("write_ops", p.write_ops, "writes",
      "writes in flight from issue until their last TLP leaves the device", in(1, 64 * K));
    d("read_ops", p.read_ops, "reads",
      "reads in flight from issue until their data arrives (also bounded by pcie.tags)",
      in(1, 64 * K));
    d("rx_ram_bytes", p.rx_ram_bytes, "B",
      "receive RAM holding write data until its TLPs leave; when full, writers stall",
      in(64, 256 * M));
  }
};

}  // namespace nic
