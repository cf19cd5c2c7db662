// A memory's one write port shared by several engines: a write holds it for a number of
// cycles, and writes booked while it is held queue behind. An engine with priority books and
// goes on (its writes are buffered); the others wait until free(). Plain C++.
#pragma once
#include <algorithm>
#include <cstdint>

namespace nic::hw {

class WritePort {
 public:
  // Books `cycles` of the port from cycle `now` on, after whatever was booked before.
  void book(uint64_t now, uint64_t cycles) { free_at_ = std::max(free_at_, now) + cycles; }
  bool free(uint64_t now) const { return now >= free_at_; }

 private:
  uint64_t free_at_ = 0;  // first cycle nothing is booked at
};

}  // namespace nic::hw
