// Parameters of the host driver model, config section "driver". The host's, not the NIC's.
#pragma once
#include <cstdint>
#include <string>

#include "util/params.hpp"

namespace nic {

struct DriverParams {
  uint32_t io_threshold = 32768;
  uint32_t iscsi_io_threshold = 0;
  uint32_t queue_depth = 128;            // Linux nvme-tcp's default queue size
  std::string allocator = "contiguous";  // contiguous | pages | fragments
  bool irq_masked = false;
  uint32_t seed = 1;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("io_threshold", p.io_threshold, "B", "smallest NVMe/TCP read the driver offloads", any);
    // An iSCSI DDP initiator (cxgbi) reserves a tag for any read its adapter can map.
    d("iscsi_io_threshold", p.iscsi_io_threshold, "B", "smallest iSCSI read the driver offloads",
      any);
    // NVMe CIDs are 16 bits.
    d("queue_depth", p.queue_depth, "commands",
      "I/O queue depth the host negotiated, given to the NIC at sk_add: sizes its DDP table",
      in(1, 64 * K));
    d("allocator", p.allocator, "",
      "how the driver lays out read buffers in host memory", one_of("contiguous|pages|fragments"));
    // Interrupt moderation is the device's (irq.moderation_ns, irq.moderation_count).
    d("irq_masked", p.irq_masked, "bool",
      "leave the completion ring's MSI-X vector masked: nothing wakes the driver, reads stall "
      "(a broken interrupt set-up, for tests)",
      any);
    d("seed", p.seed, "",
      "seed of the driver's buffer allocator and of where it allocates its rings", any);
  }
};

}  // namespace nic
