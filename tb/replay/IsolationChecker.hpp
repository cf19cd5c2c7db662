// DMA isolation: every write the NIC makes into host memory must land inside a currently
// registered SG element of the (flow, CID) it was placed for, in the completion or receive
// ring, on the transmit ring's head write-back word, or (a context write-back, a DDP registration or SGL written home) in the context or
// DDP backing store; nothing may land in a buffer after its teardown completed (the TeardownDone entry
// reached host memory). Anything else is an isolation violation, counted and reported with
// the frame it came from. Plugs into HostMemory's write observer.
#pragma once
#include <tlm>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "hw/offload/sgl.hpp"

namespace nic::tb {

class IsolationChecker {
 public:
  struct Range {
    uint64_t base = 0, bytes = 0;
  };
  IsolationChecker(Range cq, Range rx_ring) : cq_(cq), rx_(rx_ring) {}
  // `tx_head`: the transmit ring's head write-back word, where the driver has one.
  IsolationChecker(Range cq, Range rx_ring, Range tx_head)
      : cq_(cq), rx_(rx_ring), tx_head_(tx_head) {}

  // The driver registered (or gave up) a buffer for (flow, I/O tag).
  void registered(uint32_t flow, uint32_t io_tag, const std::vector<hw::SgEntry>& sgl);
  void released(uint32_t flow, uint32_t io_tag);

  // Every TLM write into host memory, before it is applied.
  void on_write(uint64_t addr, size_t len, const tlm::tlm_generic_payload& gp);

  uint64_t violations() const { return count_; }
  const std::vector<std::string>& reports() const { return reports_; }  // the first few

 private:
  void violation(const std::string& what);
  static bool inside(const Range& r, uint64_t addr, size_t len) {
    return addr >= r.base && len <= r.bytes && addr - r.base <= r.bytes - len;
  }

  Range cq_, rx_, tx_head_;
  static uint64_t key(uint32_t flow, uint32_t io_tag) { return uint64_t(flow) << 32 | io_tag; }
  std::unordered_map<uint64_t, std::vector<hw::SgEntry>> live_;  // by key(flow, I/O tag)
  uint64_t count_ = 0;
  std::vector<std::string> reports_;
};

}  // namespace nic::tb
