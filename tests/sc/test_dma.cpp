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

  // `ops`: the engine's write and read operations; `tags`: the link's.
  DmaBench(uint32_t ops, uint32_t tags, uint32_t queue = 64)
      : link("link", params(tags)),
        dma("dma", clk, dma_params(ops, queue)),
        checker("checker", clk, ops, ops) {
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
  static PcieParams params(uint32_t tags) {
    PcieParams p;
    p.tags = tags;
    return p;
  }
  static DmaParams dma_params(uint32_t ops, uint32_t queue) {
    DmaParams d;
    d.queue_depth = queue;
    d.write_ops = d.read_ops = ops;
    return d;
  }
  void cycles(uint64_t n) { sc_core::wait(clk.period() * double(n)); }
  void wait_idle() {
    while (!dma.idle()) cycles(1);
  }
  void check_protocol() const {
    for (const auto& e : checker.errors) FAIL_CHECK("AT protocol: " << e);
    CHECK(checker.reads_open == 0);
  }
};

// Random writes and reads over a small region, submitted in bursts. Writes must land in
// submission order; each read must return what the writes submitted before it left.
void random_traffic(uint32_t ops, uint32_t tags, uint32_t seed) {
  DmaBench b(ops, tags);
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
  CHECK(b.checker.max_reads <= ops);  // open from BEGIN_REQ: one may wait for a tag
  CHECK(b.link.stats().max_tags_used <= tags);
  CHECK(b.checker.max_writes <= ops);
}

}  // namespace

TEST_CASE("DmaEngine: random writes and reads are byte exact and land in submission order",
          "[dma]") {
  random_traffic(32, 64, 1);
}

// Posted against non-posted: with one operation of each, a write frees its operation when its
// TLP has left the device, a read only when its data is back (two flights of 500 ns).
TEST_CASE("DmaEngine: one write operation holds a write until it is sent not until it lands",
          "[dma][backpressure]") {
  DmaBench b(1, 64);
  b.script.fn = [&] {
    const Bytes d(256, 0xAB);
    for (int i = 0; i < 8; ++i) b.dma.write(0x2000 + 256 * uint64_t(i), d.data(), 256);
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(b.checker.max_writes == 1);
  CHECK(b.dma.stats().stall_write_ops > 0);
  // 280 wire bytes at 126 Gb/s are 17.8 ns: each write issues at the edge after the previous
  // one left, so 8 need 8 x 20 ns (5 cycles), then the last one's flight and memory access.
  const PcieParams p;
  const double flight = p.latency_ns + 80;
  CHECK(sc_core::sc_time_stamp() <= sc_time(8 * 20 + flight + 40, SC_NS));
  CHECK(sc_core::sc_time_stamp() >= sc_time(8 * 17.8 + flight, SC_NS));
}

TEST_CASE("DmaEngine: one read operation holds a read for its whole round trip",
          "[dma][backpressure]") {
  DmaBench b(1, 64);
  b.script.fn = [&] {
    for (int i = 0; i < 8; ++i) b.dma.read(0x2000 + 256 * uint64_t(i), 256, {});
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(b.checker.max_reads == 1);
  CHECK(b.dma.stats().stall_read_ops > 0);
  // Each read: request out, 500 ns, memory 80 ns, completions back, 500 ns.
  CHECK(sc_core::sc_time_stamp() >= sc_time(8 * 1080, SC_NS));
}

TEST_CASE("DmaEngine: random traffic with a one-job limit", "[dma][backpressure]") {
  random_traffic(1, 64, 2);
}

TEST_CASE("DmaEngine: waits for END_REQ when the link runs out of tags", "[dma][backpressure]") {
  random_traffic(16, 2, 3);
}

TEST_CASE("DmaEngine: END_REQ stall for a tag is counted and never overlapped", "[dma][backpressure]") {
  DmaBench b(16, 2);
  b.script.fn = [&] {
    for (int i = 0; i < 20; ++i) b.dma.read(0x3000 + 64 * uint64_t(i), 64, {});
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(b.link.stats().tag_stalls > 0);
  CHECK(b.link.stats().max_tags_used == 2);
  CHECK(b.dma.stats().stall_end_req > 0);
  CHECK(b.checker.req_addrs.size() == 20);
}

TEST_CASE("DmaEngine: writes take no tag", "[dma][backpressure]") {
  DmaBench b(16, 1);
  b.script.fn = [&] {
    const Bytes d(64, 1);
    for (int i = 0; i < 20; ++i) b.dma.write(0x3000 + 64 * uint64_t(i), d.data(), 64);
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(b.link.stats().tag_stalls == 0);
  CHECK(b.link.stats().max_tags_used == 0);
  CHECK(b.dma.stats().stall_end_req == 0);
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

// A posted write's failure never reaches the device: only the landed observer sees it.
TEST_CASE("DmaEngine: a failed write is seen landing not ok and later jobs still complete", "[dma]") {
  DmaBench b(32, 64);
  std::vector<bool> sent, landed;
  b.script.fn = [&] {
    const Bytes d(16, 3);
    const auto on_sent = [&](ByteView, bool good, const DmaTimes&) { sent.push_back(good); };
    const auto on_landed = [&](ByteView, bool good, const DmaTimes&) { landed.push_back(good); };
    b.dma.write(UINT64_MAX - 7, d.data(), 16, on_sent, {}, on_landed);  // runs past 2^64
    b.dma.write(0x5000, d.data(), 16, on_sent, {}, on_landed);
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(sent == std::vector<bool>{true, true});
  CHECK(landed == std::vector<bool>{false, true});
  CHECK(b.dma.stats().errors == 1);
  CHECK(b.mem.read(0x5000, 16) == Bytes(16, 3));
}

TEST_CASE("DmaEngine: job slots are pooled, not allocated per job", "[dma]") {
  DmaBench b(4, 64, 8);
  size_t slots_at_half = 0;
  b.script.fn = [&] {
    const Bytes d(128, 4);
    for (int sent = 0; sent < 2000;) {
      while (b.dma.has_room() && sent < 2000) b.dma.write(0x6000 + 128 * uint64_t(sent++ % 64), d.data(), 128);
      if (!slots_at_half && sent >= 1000) slots_at_half = b.dma.slots_allocated();
      b.cycles(1);
    }
    b.wait_idle();
  };
  sc_core::sc_start();
  b.check_protocol();
  CHECK(b.dma.stats().write_jobs == 2000);
  CHECK(b.dma.stats().bytes_written == 2000 * 128);
  CHECK(b.dma.stats().max_queued <= 8);
  // A slot lives until its write landed (flight and memory, 580 ns, 152 wire bytes a write):
  // the pool grows to that and stays there.
  CHECK(b.dma.slots_allocated() == slots_at_half);
  CHECK(b.dma.slots_allocated() <= 8 + 4 + 580 / 9 + 2);
}

// Posted against non-posted over the tag count, one engine and link per count, all in one run
// (a regress-style sweep: the same streams, one parameter moved). A stream of 4 KiB writes
// takes the same time whatever the tags; a stream of 4 KiB reads is held to `tags` round
// trips in flight until the completions fill the downstream wire.
namespace {
struct TagLane {
  ClockDomain clk;
  HostMemory mem;
  PcieLink link;
  DmaEngine dma;
  static PcieParams params(uint32_t tags) {
    PcieParams p;
    p.tags = tags;
    return p;
  }
  TagLane(const std::string& n, uint32_t tags)
      : clk(("clk" + n).c_str(), 250.0),
        mem(("mem" + n).c_str(), sc_time(80, SC_NS)),
        link(("link" + n).c_str(), params(tags)),
        dma(("dma" + n).c_str(), clk, DmaParams{}) {
    dma.socket.bind(link.dma_target);
    link.mem_init.bind(mem.socket);
    link.deliver_into(clk);
  }
};
struct NullMmio : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<NullMmio> init{"init"};
  tlm_utils::simple_target_socket<NullMmio> regs{"regs"};
  explicit NullMmio(sc_core::sc_module_name n) : sc_module(n) {}
};
}  // namespace

TEST_CASE("DmaEngine: a write stream ignores the tag count and a read stream is bound by it",
          "[dma][backpressure][tags]") {
  const std::vector<uint32_t> tags = {1, 2, 4, 64};
  std::deque<TagLane> lanes;
  std::deque<NullMmio> mmio;
  Script script("script");  // its own MMIO sockets close the first lane's
  for (uint32_t t : tags) {
    lanes.emplace_back("_t" + std::to_string(t), t);
    if (lanes.size() == 1) {
      script.mmio.bind(lanes.back().link.mmio_target);
      lanes.back().link.mmio_init.bind(script.regs);
      continue;
    }
    mmio.emplace_back(("mmio_t" + std::to_string(t)).c_str());
    mmio.back().init.bind(lanes.back().link.mmio_target);
    lanes.back().link.mmio_init.bind(mmio.back().regs);
  }
  const int n = 64;
  std::vector<sc_time> writes(tags.size()), reads(tags.size());
  script.fn = [&] {
    const Bytes d(4096, 7);
    std::vector<int> left(tags.size(), n);
    const auto stream = [&](bool write, std::vector<sc_time>& done_at) {
      const sc_time from = sc_core::sc_time_stamp();
      for (size_t i = 0; i < lanes.size(); ++i) {
        left[i] = n;
        for (int k = 0; k < n; ++k) {
          auto done = [&, i, from](ByteView, bool, const DmaTimes&) {
            if (--left[i] == 0) done_at[i] = sc_time::from_value(lanes[i].clk.now_ps()) - from;
          };
          if (write)
            lanes[i].dma.write(uint64_t(k) << 12, d.data(), 4096, done);
          else
            lanes[i].dma.read(uint64_t(k) << 12, 4096, done);
        }
      }
      for (auto& l : lanes)
        while (!l.dma.idle()) wait(l.clk.period());
    };
    stream(true, writes);
    stream(false, reads);
  };
  sc_core::sc_start();
  const PcieParams p;
  const double wire_ns = (4096 + 16 * 24) * 8.0 / p.gbps();  // a 4 KiB transfer's TLPs
  const double rtt_ns = 8 * 24 * 8.0 / p.gbps() + 500 + 80 + wire_ns + 500;
  for (size_t i = 0; i < tags.size(); ++i) {
    INFO("tags " << tags[i] << ": writes " << writes[i] << ", reads " << reads[i]);
    CHECK(writes[i] == writes[0]);  // posted: the tag count changes nothing
    CHECK(writes[i].to_seconds() * 1e9 < n * wire_ns * 1.1 + 600);
    // Non-posted: `tags` round trips at a time, or the completions' wire time if less.
    const double bound_ns = std::max(n * rtt_ns / tags[i], n * wire_ns);
    CHECK(reads[i].to_seconds() * 1e9 >= bound_ns * 0.97);
    CHECK(reads[i].to_seconds() * 1e9 <= bound_ns * 1.1 + rtt_ns);
  }
  CHECK(reads[0] > reads[1] * 1.9);
  CHECK(lanes[0].link.stats().tag_stalls > 0);
}
