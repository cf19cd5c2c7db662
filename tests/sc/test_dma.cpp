// DmaEngine over the real PcieLink and HostMemory, with the AT protocol checker between
// engine and link. Every TEST_CASE elaborates its own design (one process each under ctest).
#include <catch2/catch.hpp>

#include <map>

#include "tests/sc/nic_rig.hpp"

using namespace nic;
using namespace nic::test;

namespace {

// Runs `script` in a thread on the clock grid, then stops the simulation. Also closes the
// link's MMIO sockets, which these tests do not use.
struct Script : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Script> mmio{"mmio"};
  tlm_utils::simple_target_socket<Script> regs{"regs"};
  std::function<void()> fn;
  SC_HAS_PROCESS(Script);
  explicit Script(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  void run() {
    fn();
    sc_core::sc_stop();
  }
};

struct DmaBench {
  ClockDomain clk{"clk", 250.0};
  HostMemory mem{"mem", sc_time(80, SC_NS)};
  PcieLink link;
  DmaEngine dma;
  AtChecker checker;
  Script script{"script"};
  std::vector<uint64_t> landed;  // write addresses in landing order

  DmaBench(uint32_t dma_outstanding, uint32_t link_outstanding, uint32_t queue = 64)
      : link("link", params(link_outstanding)),
        dma("dma", clk, DmaParams{dma_outstanding, queue}),
        checker("checker", clk, dma_outstanding) {
    dma.socket.bind(checker.tsock);
    checker.isock.bind(link.dma_target);
    link.mem_init.bind(mem.socket);
    script.mmio.bind(link.mmio_target);
    link.mmio_init.bind(script.regs);
    link.deliver_into(clk);  // as the NIC has it: its clock domain lands what the link delivers
    mem.set_write_observer([this](uint64_t a, size_t, const tlm::tlm_generic_payload&) {
      landed.push_back(a);
    });
  }
  static PcieParams params(uint32_t outstanding) {
    PcieParams p;
    p.max_outstanding = outstanding;
    return p;
  }
  void cycles(uint64_t n) { sc_core::wait(clk.period() * double(n)); }
  void wait_idle() {
    while (!dma.idle()) cycles(1);
  }
  void check_protocol() const {
    for (const auto& e : checker.errors) FAIL_CHECK("AT protocol: " << e);
    CHECK(checker.outstanding == 0);
  }
};

// Random writes and reads over a small region, submitted in bursts. Writes must land in
// submission order; each read must return what the writes submitted before it left.
void random_traffic(uint32_t dma_outstanding, uint32_t link_outstanding, uint32_t seed) {
  DmaBench b(dma_outstanding, link_outstanding);
  std::mt19937 g(seed);
  std::map<uint64_t, uint8_t> model;
  std::vector<uint64_t> write_order;
  std::vector<int> done_order;
  int jobs = 0, bad_reads = 0, failed = 0;
  b.script.fn = [&] {
    for (int burst = 0; burst < 60; ++burst) {
      for (int k = std::uniform_int_distribution<>(1, 8)(g); k > 0; --k, ++jobs) {
        const uint64_t addr = 0x1000'0000 + std::uniform_int_distribution<uint64_t>(0, 65536)(g);
        const uint32_t len = std::uniform_int_distribution<uint32_t>(1, 6000)(g);
        const int id = jobs;
        if (g() % 10 < 7) {
          const Bytes d = random_bytes(len, g());
          for (uint32_t i = 0; i < len; ++i) model[addr + i] = d[i];
          write_order.push_back(addr);
          b.dma.write(addr, d.data(), len, [&, id](ByteView, bool ok, const DmaTimes&) {
            done_order.push_back(id);
            failed += !ok;
          });
        } else {
          Bytes want(len);
          for (uint32_t i = 0; i < len; ++i) {
            const auto it = model.find(addr + i);
            want[i] = it == model.end() ? 0 : it->second;
          }
          b.dma.read(addr, len, [&, id, want](ByteView d, bool ok, const DmaTimes&) {
            done_order.push_back(id);
            failed += !ok;
            bad_reads += Bytes(d.begin(), d.end()) != want;
          });
        }
      }
      b.cycles(std::uniform_int_distribution<uint64_t>(0, 60)(g));
    }
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(b.landed == write_order);
  CHECK(int(done_order.size()) == jobs);
  CHECK(failed == 0);
  CHECK(bad_reads == 0);
  size_t wrong = 0;
  for (const auto& [a, v] : model) wrong += b.mem.read(a, 1)[0] != v;
  CHECK(wrong == 0);
  CHECK(b.dma.stats().write_jobs + b.dma.stats().read_jobs == uint64_t(jobs));
  CHECK(b.checker.max_seen <= dma_outstanding);
}

}  // namespace

TEST_CASE("DmaEngine: random writes and reads are byte exact and land in submission order",
          "[dma]") {
  random_traffic(32, 64, 1);
}

TEST_CASE("DmaEngine: its own outstanding limit of one serialises jobs and counts the stall",
          "[dma][backpressure]") {
  DmaBench b(1, 64);
  b.script.fn = [&] {
    const Bytes d(256, 0xAB);
    for (int i = 0; i < 8; ++i) b.dma.write(0x2000 + 256 * uint64_t(i), d.data(), 256);
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(b.checker.max_seen == 1);
  CHECK(b.link.stats().max_outstanding_seen == 1);
  CHECK(b.dma.stats().stall_outstanding > 0);
  // Each write waits for the previous one to land (500 ns flight), so 8 take 8 flights.
  CHECK(sc_core::sc_time_stamp() >= sc_time(8 * 500, SC_NS));
}

TEST_CASE("DmaEngine: random traffic with a one-job limit", "[dma][backpressure]") {
  random_traffic(1, 64, 2);
}

TEST_CASE("DmaEngine: waits for END_REQ when the link runs out of tags", "[dma][backpressure]") {
  random_traffic(16, 2, 3);
}

TEST_CASE("DmaEngine: END_REQ stall is counted and never overlapped", "[dma][backpressure]") {
  DmaBench b(16, 2);
  b.script.fn = [&] {
    const Bytes d(64, 1);
    for (int i = 0; i < 20; ++i) b.dma.write(0x3000 + 64 * uint64_t(i), d.data(), 64);
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(b.link.stats().stalled_requests > 0);
  CHECK(b.dma.stats().stall_end_req > 0);
  CHECK(b.checker.req_addrs.size() == 20);
}

TEST_CASE("DmaEngine: issues from the cycle after submission, one request per cycle", "[dma]") {
  DmaBench b(32, 64);
  uint64_t submitted = 0;
  b.script.fn = [&] {
    b.cycles(10);
    submitted = b.clk.cycle();
    const Bytes d(8, 2);
    for (int i = 0; i < 10; ++i) b.dma.write(0x4000 + 8 * uint64_t(i), d.data(), 8);
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  REQUIRE(b.checker.req_cycles.size() == 10);
  for (size_t i = 0; i < 10; ++i) CHECK(b.checker.req_cycles[i] == submitted + 1 + i);
}

TEST_CASE("DmaEngine: a failed write reports not ok and later jobs still complete", "[dma]") {
  DmaBench b(32, 64);
  std::vector<bool> ok;
  b.script.fn = [&] {
    const Bytes d(16, 3);
    const auto record = [&](ByteView, bool good, const DmaTimes&) { ok.push_back(good); };
    b.dma.write(UINT64_MAX - 7, d.data(), 16, record);  // runs past 2^64
    b.dma.write(0x5000, d.data(), 16, record);
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(ok == std::vector<bool>{false, true});
  CHECK(b.dma.stats().errors == 1);
  CHECK(b.mem.read(0x5000, 16) == Bytes(16, 3));
}

TEST_CASE("DmaEngine: job slots are pooled, not allocated per job", "[dma]") {
  DmaBench b(4, 64, 8);
  b.script.fn = [&] {
    const Bytes d(128, 4);
    for (int sent = 0; sent < 2000;) {
      while (b.dma.has_room() && sent < 2000) b.dma.write(0x6000 + 128 * uint64_t(sent++ % 64), d.data(), 128);
      b.cycles(1);
    }
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(b.dma.stats().write_jobs == 2000);
  CHECK(b.dma.stats().bytes_written == 2000 * 128);
  CHECK(b.dma.stats().max_queued <= 8);
  CHECK(b.dma.slots_allocated() <= 8 + 4 + 1);
}
