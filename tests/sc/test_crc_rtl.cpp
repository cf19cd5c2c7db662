// crc.impl=rtl's datapath: register updates out of the Verilated CRC32C pipeline equal the
// C++ model's for any length and starting register.
#include <catch2/catch.hpp>
#include <systemc>

#include <random>
#include <vector>

#include "hw/crc/Crc32cRtl.hpp"
#include "proto/crc32c.hpp"

using namespace nic;

TEST_CASE("crc rtl: datapath updates equal the C++ model for any length and register", "[rtl]") {
  hw::Crc32cRtl rtl("rtl");
  std::mt19937_64 rng(7);
  std::vector<uint8_t> buf(4 * hw::Crc32cRtl::kBytes + 3);
  for (auto& b : buf) b = uint8_t(rng());
  uint64_t beats = 0;
  for (size_t n = 0; n <= buf.size(); ++n) {
    const size_t off = rng() % (buf.size() - n + 1);
    for (uint32_t reg : {crc32c::kInit, 0u, uint32_t(rng())}) {
      INFO("length " << n << " register " << reg);
      CHECK(rtl.update(reg, buf.data() + off, n) == crc32c::update(reg, buf.data() + off, n));
      beats += (n + hw::Crc32cRtl::kBytes - 1) / hw::Crc32cRtl::kBytes;
    }
  }
  CHECK(rtl.beats() == beats);
}
