// Parameters of the host memory model (hw/pcie/HostMemory), config section "host". The
// platform's, not the NIC's: DRAM as the root complex's DMA sees it, and optionally an IOMMU
// whose translation cache (IOTLB) misses cost a page walk.
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct HostMemoryParams {
  double mem_latency_ns = 80.0;
  // DMA bandwidth into DRAM: 8 channels of DDR4-3200 give about 205 GB/s.
  double mem_gbps = 1600;
  uint32_t iotlb_entries = 0;  // 0: no IOMMU (addresses are physical)
  uint32_t iotlb_ways = 8;
  double iommu_walk_ns = 400;  // a page walk on an IOTLB miss, through the page-table caches
  uint32_t iommu_page_bytes = 4096;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("mem_latency_ns", p.mem_latency_ns, "ns", "host memory access latency", in(0, kMaxLatencyNs));
    d("mem_gbps", p.mem_gbps, "Gb/s",
      "host memory bandwidth for DMA, accesses queue behind it; 0: unlimited", in(0, 100000));
    d("iotlb_entries", p.iotlb_entries, "entries",
      "IOMMU translation cache (a multiple of iotlb_ways); 0: no IOMMU", in(0, 1 * M));
    d("iotlb_ways", p.iotlb_ways, "ways", "IOTLB associativity (LRU)", in(1, 64));
    d("iommu_walk_ns", p.iommu_walk_ns, "ns", "page walk on an IOTLB miss, one per page missed",
      in(0, kMaxLatencyNs));
    d("iommu_page_bytes", p.iommu_page_bytes, "B", "IOMMU page size (a power of two)",
      in(4 * K, 1 * G));
  }
};

}  // namespace nic
