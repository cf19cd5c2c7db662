// The C++ cycle model of the RTL CRC32C pipeline: latency, register behaviour between beats,
// byte enables in any pattern, PDU start and digest verdict.
#include <catch2/catch.hpp>

#include <random>
#include <stdexcept>
#include <vector>

#include "hw/crc/crc32c_pipe_model.hpp"
#include "proto/crc32c.hpp"
#include "tests/unit/crc_oracle.hpp"

using nic::hw::Crc32cPipeModel;
using nic::hw::CrcPipeIn;
using nic::hw::CrcPipeOut;
namespace crc = nic::crc32c;

TEST_CASE("crc pipe model: a beat comes out exactly latency edges later and outputs hold between beats", "[crc_pipe]") {
  const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (unsigned latency = 1; latency <= 4; ++latency) {
    INFO("latency " << latency);
    Crc32cPipeModel m(8, latency);
    CrcPipeIn beat;
    beat.valid = true;
    beat.first = true;
    beat.last = true;
    beat.data = data;
    beat.keep = 0xFF;
    beat.digest = crc::compute(data, 8);
    beat.tag = 0x1AB;  // cut to 8 bits
    CHECK(m.tick(beat) == CrcPipeOut{latency == 1, latency == 1 ? crc::update(crc::kInit, data, 8) : 0,
                                     latency == 1, latency == 1 ? 0xABu : 0});
    for (unsigned k = 2; k <= latency; ++k) {
      const CrcPipeOut o = m.tick(CrcPipeIn{});
      CHECK(o.valid == (k == latency));
    }
    const CrcPipeOut out = m.out();
    CHECK(out.valid);
    CHECK(out.state == crc::update(crc::kInit, data, 8));
    CHECK(out.match);
    CHECK(out.tag == 0xAB);
    // Bubbles: valid and match drop, state and tag stay.
    const CrcPipeOut idle = m.tick(CrcPipeIn{});
    CHECK(idle == CrcPipeOut{false, out.state, false, 0xAB});
  }
}

TEST_CASE("crc pipe model: enabled bytes fold in lane order under any mask and first ignores the state", "[crc_pipe]") {
  std::mt19937_64 rng(3);
  Crc32cPipeModel m(64, 1);
  uint8_t data[64];
  for (int i = 0; i < 2000; ++i) {
    for (auto& b : data) b = uint8_t(rng());
    CrcPipeIn in;
    in.valid = true;
    in.state = uint32_t(rng());
    in.first = rng() & 1;
    in.last = true;
    in.data = data;
    in.keep = i % 3 ? rng() : ~uint64_t(0) >> (rng() % 64);
    std::vector<uint8_t> kept;
    for (int b = 0; b < 64; ++b)
      if (in.keep >> b & 1) kept.push_back(data[b]);
    const uint32_t start = in.first ? crc::kInit : in.state;
    const uint32_t want = crc::update_ref(start, kept.data(), kept.size());
    in.digest = crc::finish(want) ^ (i % 5 == 0);
    const CrcPipeOut o = m.tick(in);
    CHECK(o.state == want);
    CHECK(o.match == (i % 5 != 0));
    if (in.first) CHECK(crc::finish(o.state) == oracle::crc_bitwise(kept.data(), kept.size()));
  }
}

TEST_CASE("crc pipe model: keep bits beyond the beat width are ignored and bad shapes are refused", "[crc_pipe]") {
  const uint8_t data[4] = {9, 8, 7, 6};
  Crc32cPipeModel m(4, 2);
  CrcPipeIn in;
  in.valid = true;
  in.first = true;
  in.data = data;
  in.keep = ~uint64_t(0);
  m.tick(in);
  CHECK(m.tick(CrcPipeIn{}).state == crc::update(crc::kInit, data, 4));
  CHECK_THROWS_AS(Crc32cPipeModel(0, 2), std::invalid_argument);
  CHECK_THROWS_AS(Crc32cPipeModel(65, 2), std::invalid_argument);
  CHECK_THROWS_AS(Crc32cPipeModel(64, 0), std::invalid_argument);
}
