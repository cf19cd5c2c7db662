// What every closed-loop controller shares, whatever its protocol: the time from a read's
// arrival to its data being ready (fixed, or exponential with that mean: a device with a queue
// behind it), and the read's bytes, pseudo-random from (seed, connection, command number) so
// that each read has its own, whatever else the run does. Nothing checks them here: the
// verdict decodes the wire independently. Plain C++.
#pragma once
#include <cstdint>

#include "tb/gen/rng.hpp"
#include "util/bytes.hpp"

namespace nic::loop {

class ReadService {
 public:
  ReadService(uint64_t seed, uint32_t conn, uint64_t service_ps, bool exponential);

  uint64_t service_ps();
  // The bytes of command number `order`; valid until the next call.
  const Bytes& data(uint64_t order, uint32_t length);
  // The controller's own draws (which reads end how), after the service times' in one stream.
  gen::Rng& rng() { return rng_; }

 private:
  const uint64_t seed_;
  const uint32_t conn_;
  const uint64_t service_ps_;
  const bool exponential_;
  gen::Rng rng_;
  Bytes data_;
};

}  // namespace nic::loop
