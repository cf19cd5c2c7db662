// The DDP table's write port (hw/common/write_port.hpp): writes queue behind those booked.
#include <catch2/catch.hpp>

#include "hw/common/write_port.hpp"

using nic::hw::WritePort;

TEST_CASE("write port: a booking holds the port and later ones queue behind it", "[costs]") {
  WritePort p;
  CHECK(p.free(0));
  p.book(10, 2);  // cycles 10 and 11
  CHECK_FALSE(p.free(10));
  CHECK_FALSE(p.free(11));
  CHECK(p.free(12));
  p.book(11, 3);  // queued behind: cycles 12, 13, 14
  CHECK_FALSE(p.free(14));
  CHECK(p.free(15));
  p.book(20, 1);  // idle since 15: cycle 20 only
  CHECK(p.free(21));
}

TEST_CASE("write port: writes of 0 cycles never hold it", "[costs]") {
  WritePort p;
  for (uint64_t c = 0; c < 5; ++c) {
    p.book(c, 0);
    CHECK(p.free(c));
  }
}
