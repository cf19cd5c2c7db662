// Host DRAM: a TLM-2.0 target backed by sparse 4 KiB pages, so the whole 64-bit address space
// is usable. Unwritten memory reads as zero. The driver model shares the process and uses the
// direct accessors; only the NIC's DMA goes through the socket.
//
// Timing of a DMA access (b_transport): it queues behind the accesses before it for the
// memory's bandwidth, then takes the access latency; with an IOMMU, each page it touches is
// translated first, an IOTLB miss costing a page walk.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "hw/pcie/host_memory_params.hpp"
#include "util/bytes.hpp"

namespace nic::hw {
class SetAssocCache;
}

namespace nic {

class HostMemory : public sc_core::sc_module {
 public:
  static constexpr uint64_t kPageSize = 4096;

  // Called for every TLM write after it was checked and before it is applied.
  using WriteObserver =
      std::function<void(uint64_t addr, size_t len, const tlm::tlm_generic_payload&)>;

  struct Stats {
    uint64_t tlm_reads = 0;
    uint64_t tlm_writes = 0;
    uint64_t tlm_bytes_read = 0;
    uint64_t tlm_bytes_written = 0;
    uint64_t pages_allocated = 0;
    uint64_t iotlb_lookups = 0, iotlb_misses = 0;
    sc_core::sc_time queued;  // summed time DMA accesses waited for bandwidth
  };

  tlm_utils::simple_target_socket<HostMemory> socket;

  HostMemory(sc_core::sc_module_name name, const HostMemoryParams& params);
  // Latency only: no bandwidth limit, no IOMMU.
  HostMemory(sc_core::sc_module_name name,
             sc_core::sc_time access_latency = sc_core::SC_ZERO_TIME);
  ~HostMemory() override;

  // Host software access (no latency, no observer, not counted). Throw std::out_of_range
  // for a range running past 2^64.
  void write(uint64_t addr, const uint8_t* p, size_t n);
  void read(uint64_t addr, uint8_t* p, size_t n) const;
  Bytes read(uint64_t addr, size_t n) const;
  // Host software freed [addr, addr + n): it reads as zero again, and pages left holding
  // nothing but zeros are dropped, so the model's memory follows the live buffers, not every
  // buffer ever used; dropped pages are kept
  // for reuse by later writes.
  void release(uint64_t addr, size_t n);

  void set_write_observer(WriteObserver f) { observer_ = std::move(f); }
  Stats stats() const;
  sc_core::sc_time access_latency() const { return latency_; }

 private:
  const sc_core::sc_time latency_;
  const double ps_per_byte_;      // 0: unlimited bandwidth
  const sc_core::sc_time walk_;
  const uint64_t iommu_page_;
  std::unique_ptr<hw::SetAssocCache> iotlb_;
  sc_core::sc_time free_;         // when the memory has served the accesses queued so far
  struct Page {
    std::unique_ptr<uint8_t[]> bytes;
    // Every byte outside [lo, hi) is zero: release() tells an emptied page without scanning it.
    uint32_t lo = kPageSize, hi = 0;
  };
  using PageMap = std::unordered_map<uint64_t, Page>;
  PageMap pages_;  // key: addr / kPageSize
  // Released pages, all zero, with their map nodes: reusing one allocates nothing.
  std::vector<PageMap::node_type> spare_;
  // The page last looked up: accesses mostly walk a buffer page by page, or stay in one.
  mutable uint64_t last_pn_ = UINT64_MAX;
  mutable const Page* last_page_ = nullptr;
  const Page* find_page(uint64_t pn) const;  // nullptr: never written since released
  Page* find_page(uint64_t pn);
  WriteObserver observer_;
  Stats stats_;

  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp);
  // Sets the response status from the payload attributes; true when the access may proceed.
  bool check(tlm::tlm_generic_payload& gp) const;
  void apply(tlm::tlm_generic_payload& gp);
  Page& new_page(uint64_t pn);  // a zero page for `pn`, which has none

  // be == nullptr: all bytes enabled; otherwise byte i uses be[i % be_len].
  void copy_in(uint64_t addr, const uint8_t* src, size_t n, const uint8_t* be, size_t be_len);
  void copy_out(uint64_t addr, uint8_t* dst, size_t n, const uint8_t* be, size_t be_len) const;
};

}  // namespace nic
