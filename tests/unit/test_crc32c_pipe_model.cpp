// The C++ cycle model of the RTL CRC32C pipeline: latency, register behaviour between beats,
// byte enables in any pattern, PDU start and digest verdict, and where the running state comes
// from (the port in the last stage, or the result just ahead of the same tag).
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
  // Latency 1: fold_state belongs to the beat on the inputs. Tags alternate, so no beat
  // follows one of its own and every state comes from the port.
  std::mt19937_64 rng(3);
  Crc32cPipeModel m(64, 1);
  uint8_t data[64];
  for (int i = 0; i < 2000; ++i) {
    for (auto& b : data) b = uint8_t(rng());
    CrcPipeIn in;
    in.valid = true;
    in.fold_state = uint32_t(rng());
    in.tag = i & 1;
    in.first = rng() & 1;
    in.last = true;
    in.data = data;
    in.keep = i % 3 ? rng() : ~uint64_t(0) >> (rng() % 64);
    std::vector<uint8_t> kept;
    for (int b = 0; b < 64; ++b)
      if (in.keep >> b & 1) kept.push_back(data[b]);
    const uint32_t start = in.first ? crc::kInit : in.fold_state;
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

namespace {

// A beat of 8 lanes, all enabled, of register `tag`; fold_state is the port's value that cycle.
CrcPipeIn beat8(const uint8_t* data, uint32_t tag, uint32_t fold_state, bool first = false) {
  CrcPipeIn in;
  in.valid = true;
  in.data = data;
  in.keep = 0xFF;
  in.first = first;
  in.tag = tag;
  in.fold_state = fold_state;
  return in;
}

CrcPipeIn idle(uint32_t fold_state) {
  CrcPipeIn in;
  in.fold_state = fold_state;
  return in;
}

}  // namespace

TEST_CASE("crc pipe model: fold_state is taken latency - 1 edges after its beat", "[crc_pipe]") {
  const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (unsigned latency = 1; latency <= 4; ++latency) {
    INFO("latency " << latency);
    Crc32cPipeModel m(8, latency);
    m.tick(beat8(data, 3, 0xDEAD));
    for (unsigned k = 2; k <= latency; ++k) m.tick(idle(k == latency ? 0x1234 : 0xBAD0 + k));
    CHECK(m.out().valid);
    CHECK(m.out().state == crc::update(latency == 1 ? 0xDEAD : 0x1234, data, 8));
  }
}

TEST_CASE("crc pipe model: back-to-back beats of one tag chain through the result just ahead", "[crc_pipe]") {
  uint8_t data[6][8];
  for (int b = 0; b < 6; ++b)
    for (int i = 0; i < 8; ++i) data[b][i] = uint8_t(17 * b + i);
  for (unsigned latency = 1; latency <= 4; ++latency) {
    INFO("latency " << latency);
    Crc32cPipeModel m(8, latency);
    // The store never catches up: the port always carries a stale value, which must be unused.
    std::vector<CrcPipeOut> outs;
    for (int b = 0; b < 6; ++b) outs.push_back(m.tick(beat8(data[b], 5, 0x5A5A5A5A, b == 0)));
    for (unsigned k = 1; k < latency; ++k) outs.push_back(m.tick(idle(0x5A5A5A5A)));
    uint32_t want = crc::kInit;
    for (int b = 0; b < 6; ++b) {
      want = crc::update(want, data[b], 8);
      const CrcPipeOut& o = outs[b + latency - 1];
      CHECK(o.valid);
      CHECK(o.tag == 5);
      CHECK(o.state == want);
    }
  }
}

TEST_CASE("crc pipe model: a beat after another tag or after a gap takes the port", "[crc_pipe]") {
  const uint8_t a1[8] = {1, 1, 1, 1, 1, 1, 1, 1}, a2[8] = {2, 2, 2, 2, 2, 2, 2, 2};
  const uint8_t b1[8] = {3, 3, 3, 3, 3, 3, 3, 3};
  {
    // Latency 2, A B A: A2 is in the last stage while B1 is out, so A2's state is the port's.
    Crc32cPipeModel m(8, 2);
    m.tick(beat8(a1, 1, 0, true));
    m.tick(beat8(b1, 2, 0, true));
    m.tick(beat8(a2, 1, 0));
    const uint32_t store = 0x600DF00D;
    const CrcPipeOut o = m.tick(idle(store));
    CHECK(o.valid);
    CHECK(o.tag == 1);
    CHECK(o.state == crc::update(store, a2, 8));  // not B1's result, which was out then
  }
  {
    // Latency 1, A idle A: the output register still holds A1 but is not valid: the port.
    Crc32cPipeModel m(8, 1);
    m.tick(beat8(a1, 1, 0, true));
    m.tick(idle(0));
    const CrcPipeOut o = m.tick(beat8(a2, 1, 0x600DF00D));
    CHECK(o.state == crc::update(0x600DF00D, a2, 8));
  }
}
