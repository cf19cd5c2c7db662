#include "tb/closed_loop/read_service.hpp"

#include <algorithm>
#include <cmath>

namespace nic::loop {

ReadService::ReadService(uint64_t seed, uint32_t conn, uint64_t service_ps, bool exponential)
    : seed_(seed),
      conn_(conn),
      service_ps_(service_ps),
      exponential_(exponential),
      rng_(gen::Rng::derive(seed, 0x7a67u, conn)) {}

uint64_t ReadService::service_ps() {
  if (!exponential_) return service_ps_;
  // Inverse transform; 1 - unit() is in (0, 1], so the log is finite.
  return uint64_t(-std::log(1.0 - rng_.unit()) * double(service_ps_));
}

const Bytes& ReadService::data(uint64_t order, uint32_t length) {
  gen::Rng d = gen::Rng::derive(seed_ ^ 0xda7au, conn_, order);
  data_.resize(length);
  for (size_t i = 0; i < data_.size(); i += 8) {
    const uint64_t w = d.next();
    std::copy_n(reinterpret_cast<const uint8_t*>(&w), std::min<size_t>(8, data_.size() - i),
                data_.data() + i);
  }
  return data_;
}

}  // namespace nic::loop
