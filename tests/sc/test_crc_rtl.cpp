// crc.impl=rtl's datapath: every register update an engine makes goes into the Verilated
// CRC32C pipeline as a beat in the cycle it is made, and comes out kLatency cycles later equal
// to proto/crc32c's; one register's updates back to back (forwarded inside the RTL) and
// different registers' interleaved alike, and those a stage takes beyond its cycles late.
#include <catch2/catch.hpp>
#include <systemc>

#include <functional>
#include <random>
#include <vector>

#include "hw/common/ClockDomain.hpp"
#include "hw/crc/Crc32cRtl.hpp"
#include "proto/crc32c.hpp"

using namespace nic;
using hw::Crc32cRtl;

namespace {

// Calls `step` in each cycle while it returns true, as the CRC stage calls the engines; it
// attaches before the RTL wrapper, so it ticks after it, as the stage does.
struct Driver : hw::ClockDomain::Clocked {
  hw::ClockDomain& clk;
  std::function<bool()> step;
  explicit Driver(hw::ClockDomain& c) : clk(c) { clk.attach(*this); }
  void tick() override {
    if (step()) clk.request_next();
  }
};

}  // namespace

TEST_CASE("crc rtl: updates come out of the RTL equal for back-to-back and interleaved registers", "[rtl]") {
  hw::ClockDomain clk("clk", 250);
  Driver drv(clk);
  Crc32cRtl rtl("rtl", clk);
  std::mt19937_64 rng(7);
  std::vector<uint8_t> buf(4 * Crc32cRtl::kBytes);
  for (auto& b : buf) b = uint8_t(rng());
  uint32_t regs[3] = {crc32c::kInit, crc32c::kInit, crc32c::kInit};
  uint64_t cycle = 0, busy = 0, beats = 0;
  bool ok = true;
  // One update of register r with n bytes, checked against proto/crc32c.
  const auto update = [&](unsigned r, size_t n) {
    const size_t off = rng() % (buf.size() - n + 1);
    const uint32_t want = crc32c::update(regs[r], buf.data() + off, n);
    ok &= rtl.update(regs[r], buf.data() + off, n) == want;
    regs[r] = want;
  };
  drv.step = [&] {
    ++cycle;
    if (busy) {  // the cycle the stage would charge for the beat's second register
      --busy;
      return true;
    }
    if (cycle > 20000) return cycle < 20000 + Crc32cRtl::kLatency + 2;  // drain
    const unsigned r = unsigned(rng() % 3);
    switch (rng() % 8) {
      case 0: return true;  // idle
      case 1:               // a new register: a PDU's first bytes
        regs[r] = crc32c::kInit;
        update(r, 1 + rng() % Crc32cRtl::kBytes);
        ++beats;
        return true;
      case 2: {  // one register's data and pad in one cycle: one beat
        const size_t n = 1 + rng() % (Crc32cRtl::kBytes - 3);
        update(r, n);
        update(r, 1 + rng() % 3);
        ++beats;
        return true;
      }
      case 3:  // two registers in one cycle: two beats, one cycle more
        update(r, 1 + rng() % Crc32cRtl::kBytes);
        update((r + 1) % 3, 1 + rng() % Crc32cRtl::kBytes);
        beats += 2;
        busy = 1;
        return true;
      default:  // mostly register 0, so that it often follows itself
        update(rng() % 4 ? 0 : r, 1 + rng() % Crc32cRtl::kBytes);
        ++beats;
        return true;
    }
  };
  clk.wake_at(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  CHECK(ok);
  CHECK(rtl.beats() == beats);
  CHECK(rtl.checked() == beats);
  // Both sources of the running state were used, many times.
  CHECK(rtl.forwarded() > beats / 10);
  CHECK(rtl.forwarded() < beats - beats / 10);
  CHECK(beats > 10000);
}

TEST_CASE("crc rtl: updates longer than a beat and empty ones", "[rtl]") {
  hw::ClockDomain clk("clk", 250);
  Driver drv(clk);
  Crc32cRtl rtl("rtl", clk);
  std::vector<uint8_t> buf(3 * Crc32cRtl::kBytes + 5);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = uint8_t(i * 7 + 1);
  int cycle = 0;
  uint32_t got = 0, empty = 0;
  drv.step = [&] {
    if (cycle++ == 0) {
      got = rtl.update(0x12345678, buf.data(), buf.size());  // four beats in one cycle
      empty = rtl.update(0x9abcdef0, buf.data(), 0);
    }
    return cycle < 4 + int(Crc32cRtl::kLatency) + 2;  // the cycles the stage would hold it
  };
  clk.wake_at(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  CHECK(got == crc32c::update(0x12345678, buf.data(), buf.size()));
  CHECK(empty == 0x9abcdef0);
  CHECK(rtl.beats() == 4);
  CHECK(rtl.checked() == 4);
  CHECK(rtl.forwarded() == 3);
}

TEST_CASE("crc rtl: an update beyond the cycles the stage grants stops the simulation", "[rtl]") {
  hw::ClockDomain clk("clk", 250);
  Driver drv(clk);
  Crc32cRtl rtl("rtl", clk);
  const uint8_t bytes[4] = {1, 2, 3, 4};
  int cycle = 0;
  drv.step = [&] {
    // Two registers in cycle 0 need cycles 0 and 1; an update in cycle 1 would have to wait
    // for 2, which the stage did not charge.
    if (cycle == 0) {
      rtl.update(crc32c::kInit, bytes, 4);
      rtl.update(0, bytes, 4);
    } else if (cycle == 1) {
      rtl.update(0x55, bytes, 4);
    }
    return ++cycle < 2;
  };
  clk.wake_at(sc_core::SC_ZERO_TIME);
  CHECK_THROWS_WITH(sc_core::sc_start(),
                    Catch::Contains("more register updates than it was charged cycles for"));
}
