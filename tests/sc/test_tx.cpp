// The transmit path (hw/tx/TxEngine) in the whole NIC, driven by the product's device driver
// (host_driver/nic/NicDriver) over the real PCIe link and host memory, and by HostDriver::send
// with its backlog. Golden times are worked out by hand from the link and Ethernet parameters:
// core and MAC clocks at 250 MHz (4 ns edges, in phase), a link of 64 Gb/s (125 ps a byte, no
// DLLPs, no user-interface limit), 500 ns flight and 80 ns memory latency, so every step is a
// whole number of picoseconds. Every TEST_CASE elaborates its own design (one process each
// under ctest).
#include <catch2/catch.hpp>

#include "host_driver/HostDriver.hpp"
#include "hw/pcie/InterruptController.hpp"
#include "hw/top/Nic.hpp"
#include "tb/replay/IsolationChecker.hpp"
#include "tests/sc/nic_rig.hpp"

using namespace nic;
using namespace nic::test;
using sc_core::sc_time_stamp;

namespace {

constexpr uint64_t kPeriod = 4000;  // ps
constexpr uint64_t kTxRing = 0x5000'0000, kTxBufs = 0x6000'0000, kTxHead = 0x7000'0000;
constexpr uint32_t kTxBufBytes = 16384;

SimConfig tx_config(double pcie_gbps) {
  SimConfig c = small_config();
  c.core.clock_mhz = 250;
  c.mac.clock_mhz = 250;
  c.pcie.gbps_per_direction = pcie_gbps;
  c.pcie.latency_ns = 500;
  c.pcie.dllp_bytes = 0;
  c.pcie.user_clock_mhz = 0;
  c.host.mem_latency_ns = 80;
  c.host.mem_gbps = 0;
  return c;
}

host::NicRings tx_rings(uint32_t entries) {
  host::NicRings r{kCmdRing, kCmdEntries, kCq, 64, kRxRing, 1 << 20};
  r.tx_base = kTxRing;
  r.tx_entries = entries;
  r.tx_bufs = kTxBufs;
  r.tx_buf_bytes = kTxBufBytes;
  r.tx_head = kTxHead;
  return r;
}

// What the Tx MAC's sink saw.
struct OnWire {
  Bytes frame;
  uint64_t start_ps, end_ps;
  uint64_t called_ps;  // the core clock's time when the sink ran
};

// The whole NIC with nothing to receive, the product's device driver under a test script.
struct TxBench : sc_core::sc_module, host::NicDriverClient {
  SimConfig cfg;
  hw::PacketPool pool;
  HostMemory mem;
  PcieLink link;
  hw::Nic nic;
  AtChecker checker;  // between the NIC's DMA engine and the link
  host::NicDriver drv;
  std::function<void()> script;
  std::vector<std::pair<uint64_t, uint32_t>> fetches;  // descriptor reads: address, bytes
  std::vector<OnWire> out;
  std::vector<std::pair<uint32_t, uint64_t>> head_writes;  // value, when it landed (ps)

  SC_HAS_PROCESS(TxBench);
  TxBench(sc_core::sc_module_name n, const SimConfig& c, const host::NicRings& rings)
      : sc_module(n), cfg(c), mem("mem", c.host), link("link", c.pcie),
        nic("nic", cfg, pool, [](uint64_t&) -> hw::PacketCtx* { return nullptr; }, true),
        checker("checker", nic.clk, c.dma.write_ops, c.dma.read_ops), drv("drv", mem, rings, *this) {
    validate(cfg);
    nic.dma.socket.bind(checker.tsock);
    checker.isock.bind(link.dma_target);
    checker.on_req = [this, rings](const tlm::tlm_generic_payload& gp) {
      const uint64_t a = gp.get_address();
      if (gp.is_read() && a >= rings.tx_base && a < rings.tx_base + rings.tx_entries * abi::kTxDescSize)
        fetches.push_back({a, gp.get_data_length()});
    };
    link.mem_init.bind(mem.socket);
    // The driver's accesses pass through the bench, which reads registers the same way.
    drv.mmio_port.bind(from_drv_);
    from_drv_.register_b_transport(this, &TxBench::forward);
    mmio_.bind(link.mmio_target);
    link.mmio_init.bind(nic.commands.regs);
    link.deliver_into(nic.clk);
    nic.tx.set_sink([this](ByteView f, uint64_t start, uint64_t end) {
      out.push_back({Bytes(f.begin(), f.end()), start, end, nic.clk.now_ps()});
    });
    mem.set_write_observer([this, head = rings.tx_head](uint64_t a, size_t n,
                                                         const tlm::tlm_generic_payload& gp) {
      if (a == head && n == 4) head_writes.push_back({ld_le32(gp.get_data_ptr()), sc_time_stamp().value()});
    });
    SC_THREAD(run);
  }
  void run() {
    drv.probe();
    script();
    sc_core::sc_stop();
  }
  // Sends the frames in one host activation: one doorbell.
  void send(const std::vector<Bytes>& frames) {
    for (const Bytes& f : frames) drv.send(f);
    drv.kick();
  }
  void wait_until(const std::function<bool()>& done) {
    const sc_time end = sc_time_stamp() + sc_time(1, sc_core::SC_MS);
    while (!done()) {
      if (sc_time_stamp() >= end) {
        FAIL_CHECK("timeout");
        return;
      }
      wait(sc_time(100, SC_NS));
    }
  }
  // n frames left the wire and the last head write-back reached host memory.
  void wait_sent(size_t n) {
    wait_until([&] { return out.size() >= n && nic.tx.idle() && head_in_memory() == nic.tx.head(); });
  }
  uint32_t head_in_memory() const { return ld_le32(mem.read(kTxHead, 4).data()); }
  // A register read over the link, as the driver would make it.
  uint32_t read_reg(uint64_t off) {
    uint8_t buf[4] = {};
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(off);
    gp.set_data_ptr(buf);
    gp.set_data_length(4);
    gp.set_streaming_width(4);
    sc_time d = sc_core::SC_ZERO_TIME;
    mmio_->b_transport(gp, d);
    wait(d);
    return ld_le32(buf);
  }

 private:
  tlm_utils::simple_target_socket<TxBench> from_drv_{"from_drv"};
  tlm_utils::simple_initiator_socket<TxBench> mmio_{"mmio"};
  void forward(tlm::tlm_generic_payload& gp, sc_time& d) { mmio_->b_transport(gp, d); }
  void rx(const abi::Cqe&, uint32_t, ByteView) override {}
  void cmd_done(const abi::Cqe&) override {}
  void teardown_done(const abi::Cqe&) override {}
};

std::vector<Bytes> frames(size_t n, uint32_t len, uint32_t seed) {
  std::vector<Bytes> v;
  for (size_t i = 0; i < n; ++i) v.push_back(random_bytes(len, seed + uint32_t(i)));
  return v;
}

void check_sent(const TxBench& b, const std::vector<Bytes>& want) {
  for (const auto& e : b.checker.errors) FAIL_CHECK("AT protocol: " << e);
  CHECK(b.checker.reads_open == 0);
  REQUIRE(b.out.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("frame " << i);
    CHECK(b.out[i].frame == want[i]);
    CHECK(b.out[i].end_ps > b.out[i].start_ps);
    if (i) CHECK(b.out[i].start_ps >= b.out[i - 1].end_ps);  // in order, never overlapping
  }
}

// The first clock edge at or after t (ps).
uint64_t edge(uint64_t t) { return (t + kPeriod - 1) / kPeriod * kPeriod; }

// The way of one frame, in ps, over a link of `ps_per_byte` (TLP overhead 24 B, 500 ns flight,
// 80 ns memory): returns when its read's completion callback runs, from the cycle its read
// was submitted in. MRRS 512, MPS 256 and a page-aligned buffer cut a frame's read into
// ceil(len / 512) requests and ceil(len / 256) completions.
uint64_t frame_read_done(uint64_t submitted, uint32_t len, uint64_t ps_per_byte) {
  const uint64_t issue = submitted + kPeriod;  // the DMA engine issues the cycle after
  const uint64_t requests = (len + 511) / 512, completions = (len + 255) / 256;
  const uint64_t at_host = issue + requests * 24 * ps_per_byte + 500'000;
  return edge(at_host + 80'000 + (len + completions * 24) * ps_per_byte + 500'000);
}
// The Tx MAC sees a frame 1 + mac.sync_stages (2) MAC edges after its last byte was written.
constexpr uint64_t kMacSeen = 3 * kPeriod;
// A frame's wire slot at 100 Gb/s: (len + 24) bytes of 80 ps.
uint64_t slot(uint32_t len) { return (len + 24) * 80; }

}  // namespace

TEST_CASE("tx: one 1514-byte frame leaves after the doorbell the descriptor read the frame read and its serialisation", "[tx][timing]") {
  TxBench b("bench", tx_config(64), tx_rings(16));
  const std::vector<Bytes> f = frames(1, 1514, 1);
  const uint64_t t0 = 10'000'000;  // the doorbell's MMIO write, on a clock edge
  uint32_t head_reg = 0;
  b.script = [&] {
    wait(sc_time::from_value(t0) - sc_time_stamp());
    b.send(f);
    b.wait_sent(1);
    head_reg = b.read_reg(abi::kRegTxHead);
  };
  sc_core::sc_start();
  check_sent(b, f);
  // Doorbell: 4 B + 24 B of TLP at 125 ps, 500 ns flight; seen at the edge at 504 ns.
  const uint64_t doorbell = edge(t0 + 28 * 125 + 500'000);
  CHECK(doorbell == t0 + 504'000);
  // Descriptor fetch: submitted at that edge; one 24-byte request up, 80 ns memory, a
  // 16-byte completion (40 B) down: back at 1596 ns, on an edge.
  const uint64_t issue = doorbell + kPeriod;
  const uint64_t desc_back = edge(issue + 24 * 125 + 500'000 + 80'000 + 40 * 125 + 500'000);
  CHECK(desc_back == t0 + 1'596'000);
  // Decoded the next cycle, where the frame read is submitted: 3 requests (72 B), 6
  // completions (1514 + 144 B = 207.25 ns), back at 2900.25 ns, seen at the edge at 2904.
  const uint64_t read_back = frame_read_done(desc_back + kPeriod, 1514, 125);
  CHECK(read_back == t0 + 2'904'000);
  // The MAC starts 12 ns later; the slot is (1514 + 24) x 8 / 100 = 123.04 ns.
  CHECK(b.out[0].start_ps == read_back + kMacSeen);
  CHECK(b.out[0].start_ps == t0 + 2'916'000);
  CHECK(b.out[0].end_ps == t0 + 2'916'000 + 123'040);
  CHECK(b.out[0].called_ps == edge(b.out[0].end_ps));
  // The head write-back is queued at the read's completion and issued the next cycle: 4 B
  // posted, 3.5 ns on the wire, 500 ns flight.
  REQUIRE(b.head_writes.size() == 1);
  CHECK(b.head_writes[0].first == 1);
  CHECK(b.head_writes[0].second == read_back + kPeriod + 28 * 125 + 500'000);
  CHECK(b.head_in_memory() == 1);
  CHECK(head_reg == 1);
  const hw::TxStats& s = b.nic.tx.stats();
  CHECK(s.frames == 1);
  CHECK(s.bytes == 1514);
  CHECK(s.fetches == 1);
  CHECK(s.descriptors == 1);
  CHECK(s.writebacks == 1);
  CHECK(s.stall_buffer_cycles == 0);
  CHECK(s.max_buffer_bytes == 1514);
}

// 128 Gb/s moves a 1514-byte read's completions (1658 B) in 103.6 ns, faster than the MAC's
// 123.04 ns slot: the reads keep ahead and the frames leave back to back.
TEST_CASE("tx: back-to-back frames leave exactly one slot apart when the reads keep ahead", "[tx][timing]") {
  TxBench b("bench", tx_config(128), tx_rings(16));
  const std::vector<Bytes> f = frames(8, 1514, 10);
  b.script = [&] {
    b.send(f);
    b.wait_sent(f.size());
  };
  sc_core::sc_start();
  check_sent(b, f);
  for (size_t i = 1; i < b.out.size(); ++i) {
    INFO("frame " << i);
    CHECK(b.out[i].start_ps == b.out[i - 1].end_ps);
    CHECK(b.out[i].end_ps - b.out[i].start_ps == slot(1514));
  }
  const hw::TxStats& s = b.nic.tx.stats();
  CHECK(s.fetches == 1);  // one doorbell, eight descriptors in one read
  CHECK(s.stall_buffer_cycles == 0);
  CHECK(s.max_buffer_bytes <= b.cfg.tx.buffer_bytes);
  CHECK(b.nic.dma.stats().max_read_ops > 1);  // the frame reads overlapped
  CHECK(b.head_in_memory() == 8);
  CHECK(s.writebacks <= 8);
}

// With room for one frame, each read waits until the frame before it has left the wire and
// the MAC's read pointer has crossed back (2 core cycles after the retiring edge).
TEST_CASE("tx: a one-frame buffer issues each read only after the frame before has left", "[tx][timing][backpressure]") {
  SimConfig c = tx_config(64);
  c.tx.buffer_bytes = 2048;
  c.tx.max_frame_bytes = 2048;
  TxBench b("bench", c, tx_rings(16));
  const std::vector<Bytes> f = frames(3, 1514, 20);
  b.script = [&] {
    b.send(f);
    b.wait_sent(f.size());
  };
  sc_core::sc_start();
  check_sent(b, f);
  for (size_t i = 1; i < b.out.size(); ++i) {
    INFO("frame " << i);
    const uint64_t freed = edge(b.out[i - 1].end_ps) + 2 * kPeriod;
    CHECK(b.out[i].start_ps == frame_read_done(freed, 1514, 125) + kMacSeen);
  }
  const hw::TxStats& s = b.nic.tx.stats();
  CHECK(s.max_buffer_bytes == 1514);
  CHECK(s.stall_buffer_cycles > 0);
}

// Ring of 8, descriptor buffer of 4: five frames take two fetches (4, then 1 as the first
// descriptor leaves the buffer); six more from slot 5 wrap after slot 7. No fetch reads more
// than the buffer has room for or crosses the ring's end, and together they read every
// descriptor once, in ring order.
TEST_CASE("tx: fetches stop at tx.fetch_entries and at the ring's end and the ring wraps", "[tx]") {
  SimConfig c = tx_config(64);
  c.tx.fetch_entries = 4;
  TxBench b("bench", c, tx_rings(8));
  const std::vector<Bytes> first = frames(5, 200, 30), second = frames(6, 1000, 40);
  std::vector<uint64_t> fetched_at;
  b.script = [&] {
    b.send(first);
    b.wait_sent(first.size());
    fetched_at.push_back(b.nic.tx.stats().fetches);
    b.send(second);
    b.wait_sent(first.size() + second.size());
  };
  sc_core::sc_start();
  std::vector<Bytes> all = first;
  all.insert(all.end(), second.begin(), second.end());
  check_sent(b, all);
  REQUIRE(fetched_at.size() == 1);
  CHECK(fetched_at[0] == 2);
  REQUIRE(b.fetches.size() == b.nic.tx.stats().fetches);
  CHECK(b.fetches.size() >= 4);  // two for the wrap at least
  uint32_t next = 0;
  for (const auto& [addr, bytes] : b.fetches) {
    CHECK(addr == kTxRing + next % 8 * abi::kTxDescSize);
    CHECK(bytes > 0);
    CHECK(bytes <= 4 * abi::kTxDescSize);
    CHECK(addr + bytes <= kTxRing + 8 * abi::kTxDescSize);
    next += bytes / uint32_t(abi::kTxDescSize);
  }
  CHECK(next == 11);
  CHECK(b.fetches[0].second == 4 * abi::kTxDescSize);
  CHECK(b.fetches[1] == std::pair<uint64_t, uint32_t>{kTxRing + 4 * abi::kTxDescSize, 16});
  CHECK(b.nic.tx.stats().descriptors == 11);
  CHECK(b.nic.tx.head() == 11);
  CHECK(b.head_in_memory() == 11);
  REQUIRE(!b.head_writes.empty());
  CHECK(b.head_writes.back().first == 11);
  for (size_t i = 1; i < b.head_writes.size(); ++i) CHECK(b.head_writes[i].first > b.head_writes[i - 1].first);
  CHECK(b.drv.counters().tx_doorbells == 2);
}

// A descriptor the NIC cannot send is consumed all the same; the driver does not post a frame
// above the NIC's limit (kRegTxMaxFrame, read at probe) at all.
TEST_CASE("tx: descriptors of length 0 or above the limit are consumed and not sent", "[tx]") {
  TxBench b("bench", tx_config(64), tx_rings(16));
  const std::vector<Bytes> f = frames(4, 300, 50);
  uint32_t max_frame = 0;
  b.script = [&] {
    max_frame = b.read_reg(abi::kRegTxMaxFrame);
    for (const Bytes& x : f) b.drv.send(x);
    b.drv.send(Bytes(max_frame + 1, 7));
    // Spoil slots 1 and 2 before the doorbell: no length, and one byte over the limit.
    for (uint32_t slot : {1u, 2u}) {
      abi::TxDesc d;
      d.addr = kTxBufs + slot * kTxBufBytes;
      d.len = slot == 1 ? 0 : max_frame + 1;
      uint8_t raw[abi::kTxDescSize];
      d.encode(raw);
      b.mem.write(kTxRing + slot * abi::kTxDescSize, raw, sizeof raw);
    }
    b.drv.kick();
    b.wait_sent(2);
  };
  sc_core::sc_start();
  check_sent(b, {f[0], f[3]});
  CHECK(max_frame == b.cfg.tx.max_frame_bytes);
  CHECK(b.drv.counters().tx_too_long == 1);
  CHECK(b.drv.counters().tx_posted == 4);
  CHECK(b.nic.tx.stats().skipped == 2);
  CHECK(b.nic.tx.head() == 4);
  CHECK(b.head_in_memory() == 4);
}

// HostDriver::send with nothing else to wake the host: 600 frames into a ring of 256 at once.
// The host thread wakes every HostDriver::kTxCleanNs while frames wait, reads the head
// write-back, posts what fits and rings the doorbell; every frame leaves, in order.
TEST_CASE("tx: HostDriver send drains a full ring through its backlog without deadlock", "[tx][driver]") {
  struct Top : sc_core::sc_module {
    SimConfig cfg = tx_config(64);
    hw::PacketPool pool;
    HostMemory mem{"mem", cfg.host};
    InterruptController intc{"intc"};
    HostBridge bridge{"bridge"};
    PcieLink link{"link", cfg.pcie};
    host::HostDriver driver;
    hw::Nic nic;
    tb::IsolationChecker isolation;
    std::vector<Bytes> sent;
    std::vector<OnWire> out;
    size_t backlog_seen = 0;
    SC_HAS_PROCESS(Top);
    explicit Top(sc_core::sc_module_name n)
        : sc_module(n),
          driver("driver", cfg.driver, cfg.placement.cq_entries, cfg.placement.rx_ring_bytes, mem,
                 intc, net::PortList{{4420}}, net::PortList{}, false, cfg.tx.max_frame_bytes),
          nic("nic", cfg, pool, [](uint64_t&) -> hw::PacketCtx* { return nullptr; }, true),
          isolation({driver.rings().cq_base, uint64_t(driver.rings().cq_entries) * abi::kCqeSize},
                    {driver.rings().rx_base, driver.rings().rx_bytes},
                    {driver.rings().tx_head, 4}) {
      nic.dma.socket.bind(link.dma_target);
      link.mem_init.bind(bridge.target);
      bridge.mem.bind(mem.socket);
      bridge.irq.bind(intc.socket);
      driver.mmio_port().bind(link.mmio_target);
      link.mmio_init.bind(nic.commands.regs);
      link.deliver_into(nic.clk);
      mem.set_write_observer([this](uint64_t a, size_t n, const tlm::tlm_generic_payload& gp) {
        isolation.on_write(a, n, gp);
      });
      nic.tx.set_sink([this](ByteView f, uint64_t s, uint64_t e) {
        out.push_back({Bytes(f.begin(), f.end()), s, e, nic.clk.now_ps()});
      });
      SC_THREAD(script);
    }
    void script() {
      wait(sc_time(5, sc_core::SC_US));
      // TCP frames of a connection the host does not follow: seen, ignored, sent.
      net::FrameSpec spec;
      spec.tuple = {net::IpAddr::v4(10, 0, 0, 1), net::IpAddr::v4(10, 0, 0, 2), 40000, 80};
      for (uint32_t i = 0; i < 600; ++i) {
        spec.seq = i * 1460;
        sent.push_back(net::build_frame(spec, random_bytes(1460, i)));
        driver.send(sent.back());
      }
      const sc_time end = sc_time_stamp() + sc_time(1, sc_core::SC_MS);
      const auto head = [this] { return ld_le32(mem.read(driver.rings().tx_head, 4).data()); };
      while ((out.size() < sent.size() || head() != sent.size()) && sc_time_stamp() < end) {
        wait(sc_time(1, sc_core::SC_US));
        backlog_seen = std::max(backlog_seen, driver.tx_backlog());
      }
      sc_core::sc_stop();
    }
  } t("top");
  sc_core::sc_start();
  REQUIRE(t.out.size() == t.sent.size());
  for (size_t i = 0; i < t.sent.size(); ++i) {
    INFO("frame " << i);
    CHECK(t.out[i].frame == t.sent[i]);
    if (i) CHECK(t.out[i].start_ps >= t.out[i - 1].end_ps);
  }
  const host::DriverCounters c = t.driver.counters();
  CHECK(c.tx_posted == 600);
  CHECK(c.tx_backlogged == 600 - host::HostDriver::kTxRingEntries);
  CHECK(c.tx_doorbells > 1);
  CHECK(t.backlog_seen > 0);
  CHECK(t.driver.tx_backlog() == 0);
  CHECK(ld_le32(t.mem.read(t.driver.rings().tx_head, 4).data()) == 600);
  CHECK(t.isolation.violations() == 0);
  // Nothing but the transmit path ran: no command, no completion, no interrupt.
  CHECK(t.nic.commands.stats().commands == 0);
  CHECK(t.nic.msix.stats().messages == 0);
}

// The driver's transmit ring comes after its other rings, leaving them where they were.
TEST_CASE("tx: the transmit ring leaves the other rings where they were", "[tx][driver]") {
  using host::HostDriver;
  const uint32_t cq = 512 * 1024 * 1024 / abi::kCqeSize, rx = 1u << 30;  // the largest allowed
  for (uint32_t seed = 0; seed < 32; ++seed) {
    const host::NicRings a = HostDriver::allocate_rings(seed, cq, rx);
    const host::NicRings b = HostDriver::allocate_rings(seed, cq, rx, 256 * 1024);
    CHECK(a.cmd_base == b.cmd_base);
    CHECK(a.cq_base == b.cq_base);
    CHECK(a.rx_base == b.rx_base);
    CHECK(a.tx_entries == 0);
    CHECK(b.tx_entries == HostDriver::kTxRingEntries);
    CHECK(b.tx_base >= b.rx_base + b.rx_bytes);
    CHECK(b.tx_bufs >= b.tx_base + uint64_t(b.tx_entries) * abi::kTxDescSize);
    CHECK(b.tx_buf_bytes == 256 * 1024);
    CHECK(b.tx_head >= b.tx_bufs + uint64_t(b.tx_entries) * b.tx_buf_bytes);
    CHECK(b.tx_base % 4096 == 0);
    CHECK(b.tx_bufs % 4096 == 0);
    CHECK(b.tx_head + 4 <= HostDriver::kSglBase);
  }
  CHECK(HostDriver::allocate_rings(1, 64, 4096, 1514).tx_buf_bytes == 4096);  // whole pages
}

// Sizing tx.buffer_bytes: at the default link (Gen3 x16, 500 ns) a frame's bytes stay in the
// buffer for its read's round trip (about 1.2 us) plus its wait for the MAC, so 1514-byte
// frames at 100G need about 20 KiB to leave back to back; 16 KiB leaves gaps.
namespace {
uint64_t gaps_with_buffer(uint32_t bytes) {
  SimConfig c = small_config();
  c.tx.buffer_bytes = bytes;
  TxBench b("bench", c, tx_rings(256));
  const std::vector<Bytes> f = frames(100, 1514, 70);
  b.script = [&] {
    b.send(f);
    b.wait_sent(f.size());
  };
  sc_core::sc_start();
  check_sent(b, f);
  uint64_t gaps = 0;
  for (size_t i = 1; i < b.out.size(); ++i) gaps += b.out[i].start_ps - b.out[i - 1].end_ps;
  return gaps;
}
}  // namespace

TEST_CASE("tx: at the default link a 20 KiB buffer keeps 1514-byte frames at the line rate", "[tx][rate]") {
  CHECK(gaps_with_buffer(20 * 1024) == 0);
}
TEST_CASE("tx: at the default link a 16 KiB buffer leaves gaps between 1514-byte frames", "[tx][rate]") {
  CHECK(gaps_with_buffer(16 * 1024) > 0);
}
