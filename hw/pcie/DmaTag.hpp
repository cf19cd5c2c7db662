// What a DMA write is for, carried as a TLM extension so that checkers on the host side (the
// isolation checker) can tell a placement into a read's buffer from a ring write.
#pragma once
#include <tlm>

#include <cstdint>

namespace nic::hw {

struct DmaTag : tlm::tlm_extension<DmaTag> {
  // Context: a write-back. Msix: an interrupt message; `flow` is its vector and `packet` the
  // completion entries posted before it (free-running), all of which it announces.
  enum class Kind : uint8_t { Other, Placement, Context, Msix };
  Kind kind = Kind::Other;
  uint32_t flow = 0;     // driver's flow handle (placements)
  uint32_t io_tag = 0;   // the I/O the data was placed for (its protocol's tag: NVMe/TCP CID)
  uint64_t packet = 0;   // trace record number of the frame it came from

  tlm::tlm_extension_base* clone() const override { return new DmaTag(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override {
    *this = static_cast<const DmaTag&>(e);
  }
};

// When a DMA job passed each point of its way (ps): the DMA engine stamps the issue, the PCIe
// link the rest. sent_ps is also what tells the engine a posted write is done (the PCIe core's
// transmit-done), which the link knows when it accepts the write.
struct DmaTimes : tlm::tlm_extension<DmaTimes> {
  uint64_t issued_ps = 0;   // BEGIN_REQ sent to the link
  uint64_t sent_ps = 0;     // the last request TLP left the device
  uint64_t landed_ps = 0;   // the last request TLP reached the host
  uint64_t written_ps = 0;  // host memory's access done (its response leaves)

  tlm::tlm_extension_base* clone() const override { return new DmaTimes(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override {
    *this = static_cast<const DmaTimes&>(e);
  }
};

}  // namespace nic::hw
