// Parameters of the NIC's interrupt block (hw/irq/MsixController), config section "irq": its
// MSI-X table, the completion ring's interrupt moderation (what its registers hold at reset;
// a driver may rewrite them, as ethtool -C does) and what a message costs.
#pragma once
#include <cstdint>

#include "hw/abi/nic_abi.hpp"
#include "util/params.hpp"

namespace nic {

struct IrqParams {
  uint32_t vectors = 4;
  // Moderation off: a completion signals as soon as the vector is armed (the driver re-arms
  // after each poll, so completions landing while it polls are taken by the same poll).
  uint32_t moderation_ns = 0;
  uint32_t moderation_count = 0;
  // The table entry read (an SRAM access) and the 4-byte write built and queued for DMA.
  uint32_t msg_cycles = 2;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("vectors", p.vectors, "vectors", "MSI-X table entries (the completion ring uses one)",
      in(1, abi::kMsixMaxVectors));
    // rx-usecs of ethtool -C, mlx5's cq_period (there in microseconds); a 32-bit register.
    d("moderation_ns", p.moderation_ns, "ns",
      "interrupt moderation time: a message goes this long after the first un-signalled "
      "completion was written (0: at once)",
      in(0, 1e9));
    // rx-frames of ethtool -C, mlx5's cq_max_count.
    d("moderation_count", p.moderation_count, "completions",
      "interrupt moderation count: a message goes as soon as this many completions wait "
      "un-signalled, before the time runs out (0: time alone)",
      in(0, 64 * K));
    d("msg_cycles", p.msg_cycles, "cycles",
      "cycles from the decision to signal to the message write queued for DMA", in(0, 1 * K));
  }
};

}  // namespace nic
