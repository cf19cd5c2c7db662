// The completion ring's MSI-X interrupt (hw/irq/MsixController) over the real DMA engine, PCIe
// link, host bridge, interrupt controller and host memory, with a test driver that polls the
// ring at each message and re-arms at once. Entries are posted one per microsecond, far apart
// against the link's 500 ns, so every figure follows from the moderation rule by hand.
// Every TEST_CASE elaborates its own design (one process each under ctest).
#include <catch2/catch.hpp>

#include <set>

#include "host_driver/HostDriver.hpp"
#include "hw/irq/MsixController.hpp"
#include "hw/pcie/InterruptController.hpp"
#include "tests/sc/nic_rig.hpp"

using namespace nic;
using namespace nic::test;
using sc_core::SC_ZERO_TIME;
using sc_core::SC_US;

namespace {

constexpr uint64_t kCqBase = 0x3000'0000;

// Posts entries on a schedule, then polls like a NAPI driver at each interrupt.
struct IrqBench : sc_core::sc_module {
  ClockDomain clk{"clk", 1000.0};  // 1 ns cycles
  HostMemory mem{"mem", sc_time(80, SC_NS)};
  InterruptController intc{"intc"};
  HostBridge bridge{"bridge"};
  PcieLink link;
  DmaEngine dma;
  CompletionRing cq;
  MsixController msix;
  tlm_utils::simple_initiator_socket<IrqBench> mmio{"mmio"};  // the link's MMIO side, unused
  tlm_utils::simple_target_socket<IrqBench> regs{"regs"};

  uint32_t entries = 0;       // ring size
  uint32_t posts = 64;        // entries to post
  sc_time gap{1000, SC_NS};   // between posts; zero: back to back
  bool rearm = true;          // the driver re-arms after each poll
  bool unmask_at_end = false;  // the vector starts masked; the script unmasks it at the end
  uint8_t vector = 0;
  std::function<void()> setup;  // after the driver's set-up, before the first post

  // What the driver saw.
  uint32_t consumed = 0;
  std::vector<uint32_t> per_irq;  // entries each interrupt's poll took
  uint64_t early = 0;             // messages that arrived before an entry they cover
  uint64_t msi_writes_in_memory = 0;
  sc_core::sc_event irq_ev;
  bool irq_pending = false;

  SC_HAS_PROCESS(IrqBench);
  IrqBench(const IrqParams& p, uint32_t ring_entries)
      : sc_module("bench"), link("link", PcieParams{}), dma("dma", clk, DmaParams{32, 64}),
        cq(dma), msix("msix", clk, dma, cq, p), entries(ring_entries) {
    dma.socket.bind(link.dma_target);
    link.mem_init.bind(bridge.target);
    bridge.mem.bind(mem.socket);
    bridge.irq.bind(intc.socket);
    mmio.bind(link.mmio_target);
    link.mmio_init.bind(regs);
    link.deliver_into(clk);
    mem.set_write_observer([this](uint64_t a, size_t, const tlm::tlm_generic_payload&) {
      msi_writes_in_memory += abi::is_msi_address(a);
    });
    vector = intc.allocate_vector();
    intc.request_irq(vector, [this] {
      irq_pending = true;
      irq_ev.notify(SC_ZERO_TIME);
    });
    intc.set_observer([this](uint8_t, const tlm::tlm_generic_payload& gp) { arrived(gp); });
    SC_THREAD(poster);
    SC_THREAD(driver);
  }

  void program(bool masked) {
    cq.configure(kCqBase, entries);
    msix.cq_restarted();
    msix.reg_write(abi::kRegMsixTable + 0, uint32_t(abi::msi_address(0)));
    msix.reg_write(abi::kRegMsixTable + 4, 0);
    msix.reg_write(abi::kRegMsixTable + 8, vector);
    msix.reg_write(abi::kRegCqMsixVector, 0);
    msix.reg_write(abi::kRegMsixTable + 12, masked ? abi::kMsixCtrlMasked : 0);
    msix.reg_write(abi::kRegCqArm, 0);
  }

  // At a message: every entry it covers that the driver has not taken is in host memory.
  void arrived(const tlm::tlm_generic_payload& gp) {
    const hw::DmaTag* t = gp.get_extension<hw::DmaTag>();
    REQUIRE(t);
    CHECK(t->kind == hw::DmaTag::Kind::Msix);
    for (uint32_t i = consumed; int32_t(uint32_t(t->packet) - i) > 0; ++i)
      if (!landed(i)) {
        ++early;
        return;
      }
  }
  bool landed(uint32_t i) const {
    uint8_t owner = 0;
    mem.read(kCqBase + uint64_t(i % entries) * abi::kCqeSize + 1, &owner, 1);
    return owner == ((i / entries) % 2 == 0 ? 1 : 0);
  }

  void poster() {
    program(unmask_at_end);
    if (setup) setup();
    for (uint32_t k = 0; k < posts; ++k) {
      if (gap != SC_ZERO_TIME) wait(gap);
      while (!cq.can_post()) wait(clk.period());
      abi::Cqe c;
      c.type = abi::CqeType::CmdDone;
      c.tag = k;
      cq.post(c);
      if (gap == SC_ZERO_TIME) wait(clk.period());
    }
    if (unmask_at_end) {
      wait(sc_time(10, SC_US));  // every entry landed, none signalled
      msix.reg_write(abi::kRegMsixTable + 12, 0);
    }
  }

  void driver() {
    for (;;) {
      wait(irq_ev);
      if (!irq_pending) continue;
      irq_pending = false;
      uint32_t n = 0;
      while (landed(consumed)) {
        ++consumed;
        ++n;
      }
      per_irq.push_back(n);
      cq.set_consumer(consumed);
      if (rearm) msix.reg_write(abi::kRegCqArm, consumed);
    }
  }
};

IrqParams moderation(uint32_t ns, uint32_t count) {
  IrqParams p;
  p.moderation_ns = ns;
  p.moderation_count = count;
  return p;
}

// Runs the bench; checks what every case shares: each interrupt the driver took is one message
// the device sent across the link, none reached DRAM, none came early, the driver took every
// entry.
void run(IrqBench& b) {
  sc_core::sc_start();
  const MsixStats& s = b.msix.stats();
  CHECK(b.intc.stats().messages == s.messages);
  CHECK(b.intc.count(b.vector) == s.messages);
  CHECK(b.per_irq.size() == s.messages);
  CHECK(b.msi_writes_in_memory == 0);
  CHECK(b.mem.stats().tlm_writes == b.posts);  // the entries, and nothing else
  CHECK(b.early == 0);
  CHECK(b.consumed == b.posts);
}

}  // namespace

TEST_CASE("MSI-X: moderation off signals every completion posted a microsecond apart", "[msix]") {
  IrqBench b(moderation(0, 0), 128);
  run(b);
  // Each entry lands 0.5 us after its post and the driver re-arms then, before the next.
  CHECK(b.msix.stats().messages == 64);
  CHECK(b.msix.stats().by_time == 64);
  CHECK(b.msix.stats().by_count == 0);
  CHECK(b.per_irq == std::vector<uint32_t>(64, 1));
}

TEST_CASE("MSI-X: moderation by count sends one message per eight completions", "[msix]") {
  IrqBench b(moderation(1'000'000, 8), 128);  // 1 ms: the count always comes first
  run(b);
  // 64 entries / 8 = 8 messages, each decided at its group's eighth entry.
  CHECK(b.msix.stats().messages == 8);
  CHECK(b.msix.stats().by_count == 8);
  CHECK(b.msix.stats().completions_signalled == 64);
  CHECK(b.per_irq == std::vector<uint32_t>(8, 8));
}

TEST_CASE("MSI-X: moderation by time gathers the completions of 3.5 microseconds", "[msix]") {
  IrqBench b(moderation(3500, 0), 128);
  run(b);
  // The first un-signalled entry at t starts the timer; at t + 3.5 us the entries of t, t+1,
  // t+2 and t+3 us are waiting: 64 / 4 = 16 messages of 4. The re-arm (about t + 4 us) comes
  // before the entry of t + 4 us lands, which starts the next timer.
  CHECK(b.msix.stats().messages == 16);
  CHECK(b.msix.stats().by_time == 16);
  CHECK(b.per_irq == std::vector<uint32_t>(16, 4));
}

TEST_CASE("MSI-X: count and time together fire on whichever comes first", "[msix]") {
  IrqBench b(moderation(3500, 3), 128);
  run(b);
  // Groups of three reach the count 2 us after their first entry, before the time: 21 of
  // them take 63 entries; the 64th waits alone until its 3.5 us are up.
  CHECK(b.msix.stats().messages == 22);
  CHECK(b.msix.stats().by_count == 21);
  CHECK(b.msix.stats().by_time == 1);
  std::vector<uint32_t> want(21, 3);
  want.push_back(1);
  CHECK(b.per_irq == want);
}

TEST_CASE("MSI-X: moderation registers override the reset values", "[msix]") {
  IrqBench b(moderation(0, 0), 128);
  b.setup = [&b] {
    b.msix.reg_write(abi::kRegCqModTimeNs, 1'000'000);
    b.msix.reg_write(abi::kRegCqModCount, 16);
  };
  run(b);
  CHECK(b.msix.reg_read(abi::kRegCqModTimeNs) == 1'000'000);
  CHECK(b.msix.reg_read(abi::kRegCqModCount) == 16);
  CHECK(b.msix.reg_read(abi::kRegMsixVectors) == IrqParams{}.vectors);
  CHECK(b.msix.reg_read(abi::kRegMsixTable + 8) == b.vector);
  CHECK(b.msix.stats().messages == 4);  // 64 / 16
  CHECK(b.per_irq == std::vector<uint32_t>(4, 16));
}

TEST_CASE("MSI-X: a masked vector sends nothing and unmasking sends the pending message", "[msix]") {
  IrqBench b(moderation(0, 0), 128);
  b.unmask_at_end = true;
  run(b);
  // The first entry decides; the masked vector latches it and stays disarmed: the other 63
  // wait. Unmasked, the pending message goes and the driver takes all 64 in one poll.
  CHECK(b.msix.stats().decisions == 1);
  CHECK(b.msix.stats().masked == 1);
  CHECK(b.msix.stats().messages == 1);
  CHECK_FALSE(b.msix.pending(0));
  CHECK(b.per_irq == std::vector<uint32_t>{64});
}

TEST_CASE("MSI-X: without a re-arm the vector stays quiet", "[msix]") {
  IrqBench b(moderation(0, 0), 128);
  b.rearm = false;
  b.posts = 8;
  sc_core::sc_start();
  CHECK(b.msix.stats().messages == 1);
  CHECK(b.per_irq == std::vector<uint32_t>{1});
  CHECK(b.msix.unsignalled() == 8);  // the driver never re-armed past index 0
}

TEST_CASE("MSI-X: back-to-back completions never arrive after their interrupt", "[msix]") {
  IrqBench b(moderation(0, 0), 64);
  b.gap = SC_ZERO_TIME;  // one entry per cycle, the ring wrapping eight times
  b.posts = 512;
  run(b);
  // Messages cover many entries each (the re-arm takes a link crossing); every one arrived
  // behind the entries it announced (run() checks early == 0).
  CHECK(b.msix.stats().messages < 512);
  CHECK(b.msix.stats().messages > 1);
}

TEST_CASE("MSI-X: the driver's rings move with its seed and never overlap", "[msix]") {
  using host::HostDriver;
  const uint32_t cq = 512 * 1024 * 1024 / abi::kCqeSize, rx = 1u << 30;  // the largest allowed
  std::set<uint64_t> cq_bases;
  for (uint32_t seed = 0; seed < 32; ++seed) {
    const host::NicRings r = HostDriver::allocate_rings(seed, cq, rx);
    cq_bases.insert(r.cq_base);
    CHECK(r.cmd_base % 4096 == 0);
    CHECK(r.cq_base % 4096 == 0);
    CHECK(r.rx_base % 4096 == 0);
    CHECK(r.cmd_base >= 0x1000'0000);
    CHECK(r.cmd_base + uint64_t(r.cmd_entries) * abi::kCmdSize <= r.cq_base);
    CHECK(r.cq_base + uint64_t(r.cq_entries) * abi::kCqeSize <= r.rx_base);
    CHECK(r.rx_base + r.rx_bytes <= HostDriver::kSglBase);
    CHECK(!abi::is_msi_address(r.rx_base + r.rx_bytes - 1));
  }
  CHECK(cq_bases.size() > 16);  // 64 bases of 2 MiB steps: 32 seeds rarely collide
  CHECK(HostDriver::allocate_rings(5, 64, 4096).cq_base ==
        HostDriver::allocate_rings(5, 64, 4096).cq_base);
}

namespace {
// Writes through the host bridge as the PCIe link's memory side does.
struct BridgeBench : sc_core::sc_module {
  HostMemory mem{"mem"};
  InterruptController intc{"intc"};
  HostBridge bridge{"bridge"};
  tlm_utils::simple_initiator_socket<BridgeBench> init{"init"};
  std::function<void()> script;
  SC_HAS_PROCESS(BridgeBench);
  BridgeBench() : sc_module("bridge_bench") {
    init.bind(bridge.target);
    bridge.mem.bind(mem.socket);
    bridge.irq.bind(intc.socket);
    SC_THREAD(run);
  }
  void run() { script(); }
  tlm::tlm_response_status write(uint64_t addr, Bytes data) {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(data.data());
    gp.set_data_length(unsigned(data.size()));
    gp.set_streaming_width(unsigned(data.size()));
    sc_time d = SC_ZERO_TIME;
    init->b_transport(gp, d);
    return gp.get_response_status();
  }
};
}  // namespace

TEST_CASE("MSI-X: the host bridge sends the MSI window to the interrupt controller and the rest to memory", "[msix]") {
  BridgeBench b;
  int fired = 0;
  const uint8_t v = b.intc.allocate_vector();
  CHECK(v == 0x30);
  CHECK(b.intc.allocate_vector() == 0x31);  // the next one asked for
  b.intc.request_irq(v, [&] { ++fired; });
  b.script = [&] {
    CHECK(b.write(abi::msi_address(3), {v, 0, 0, 0}) == tlm::TLM_OK_RESPONSE);
    CHECK(b.write(abi::kMsiAddrBase + abi::kMsiAddrBytes - 4, {0x99, 0, 0, 0}) == tlm::TLM_OK_RESPONSE);
    CHECK(b.write(abi::kMsiAddrBase, Bytes(8, v)) == tlm::TLM_OK_RESPONSE);  // not a 4-byte message
    CHECK(b.write(abi::kMsiAddrBase - 4, {v, 0, 0, 0}) == tlm::TLM_OK_RESPONSE);  // just below: memory
    CHECK(b.write(abi::kMsiAddrBase + abi::kMsiAddrBytes, {v, 0, 0, 0}) == tlm::TLM_OK_RESPONSE);
  };
  sc_core::sc_start();
  CHECK(fired == 1);
  CHECK(b.intc.stats().messages == 2);
  CHECK(b.intc.stats().unhandled == 1);  // vector 0x99: nobody asked for it
  CHECK(b.intc.stats().malformed == 1);
  CHECK(b.mem.stats().tlm_writes == 2);  // the two outside the window
  CHECK(b.mem.read(abi::kMsiAddrBase - 4, 1)[0] == v);
  CHECK(b.mem.read(abi::kMsiAddrBase, 4) == Bytes(4, 0));
}
