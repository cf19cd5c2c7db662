// What host software reaches without the NIC: its memory (where buffers, SGLs and rings live)
// and the clock. The offload core and the NVMe/TCP host take it as this interface so that they
// stay plain C++; HostDriver implements it over the simulated host memory and time.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nic::host {

class HostAccess {
 public:
  virtual void read(uint64_t addr, uint8_t* out, size_t n) const = 0;
  virtual void write(uint64_t addr, const uint8_t* p, size_t n) = 0;
  // Software freed [addr, addr + n): it reads as zero again.
  virtual void release(uint64_t addr, size_t n) = 0;
  virtual uint64_t now_ps() const = 0;

 protected:
  ~HostAccess() = default;
};

}  // namespace nic::host
