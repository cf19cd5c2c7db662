// PcieLink and HostMemory. Every TEST_CASE elaborates its own modules and calls sc_start once,
// so each must run in its own process (ctest does that; by hand: ./test "<name>").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "hw/pcie/HostMemory.hpp"
#include "hw/pcie/PcieLink.hpp"

namespace {

using namespace nic;
using sc_core::sc_time;
using sc_core::sc_time_stamp;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;
using tlm::tlm_generic_payload;

constexpr uint64_t kTop = std::numeric_limits<uint64_t>::max();

// ---- independent reference for the timing model -------------------------------------------

// TLP payload sizes, cut one by one the way a DMA engine does it.
std::vector<uint64_t> cut_tlps(uint64_t addr, uint64_t len, uint64_t max) {
  std::vector<uint64_t> v;
  while (len) {
    const uint64_t n = std::min({len, max, 4096 - addr % 4096});
    v.push_back(n);
    addr += n;
    len -= n;
  }
  if (v.empty()) v.push_back(0);
  return v;
}

sc_time wire(const PcieParams& p, uint64_t bytes) {
  return sc_time(double(bytes) * 8.0 / p.gbps(), SC_NS);
}

// Wire time of a transfer: its payload plus one overhead per TLP.
sc_time wire_for(const PcieParams& p, uint64_t addr, uint64_t len, uint64_t max) {
  return wire(p, len + cut_tlps(addr, len, max).size() * p.tlp_overhead());
}

sc_time lat(const PcieParams& p) { return sc_time(p.latency_ns, SC_NS); }

Bytes pattern(size_t n, uint32_t seed) {
  Bytes b(n);
  std::mt19937 g(seed);
  for (auto& x : b) x = uint8_t(g());
  return b;
}

void set_payload(tlm_generic_payload& gp, tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                 size_t n) {
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(data);
  gp.set_data_length(unsigned(n));
  gp.set_streaming_width(unsigned(n));
  gp.set_byte_enable_ptr(nullptr);
  gp.set_byte_enable_length(0);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

// ---- test modules ------------------------------------------------------------------------

// AT initiator standing in for the NIC's DMA engines; one BEGIN_REQ at a time.
struct DmaMaster : sc_core::sc_module {
  struct Txn {
    tlm_generic_payload gp;
    Bytes data;
    sc_time issued, accepted, responded;
    bool accepted_at_once = false, was_accepted = false, done = false;
  };

  tlm_utils::simple_initiator_socket<DmaMaster> sock{"sock"};
  std::function<void(DmaMaster&)> script;
  // Zero: answer BEGIN_RESP with TLM_COMPLETED. Otherwise TLM_ACCEPTED and END_RESP this later.
  sc_time end_resp_delay = SC_ZERO_TIME;
  std::deque<Txn> txns;
  std::vector<std::string> errors;  // protocol surprises, checked after the simulation

  SC_HAS_PROCESS(DmaMaster);
  explicit DmaMaster(sc_core::sc_module_name n) : sc_module(n) {
    sock.register_nb_transport_bw(this, &DmaMaster::nb_transport_bw);
    SC_THREAD(run);
    SC_METHOD(send_end_resp);
    sensitive << end_resp_ev_;
    dont_initialize();
  }

  Txn& write(uint64_t addr, Bytes data) {
    Txn& t = add(std::move(data));
    set_payload(t.gp, tlm::TLM_WRITE_COMMAND, addr, t.data.data(), t.data.size());
    issue(t);
    return t;
  }
  Txn& read(uint64_t addr, size_t n) {
    Txn& t = add(Bytes(n, 0xEE));
    set_payload(t.gp, tlm::TLM_READ_COMMAND, addr, t.data.data(), n);
    issue(t);
    return t;
  }
  void wait_done(const Txn& t) {
    while (!t.done) wait(resp_ev_);
  }
  void wait_all() {
    for (const Txn& t : txns) wait_done(t);
  }

 private:
  std::unordered_map<const tlm_generic_payload*, Txn*> by_gp_;
  sc_core::sc_event end_req_ev_, resp_ev_, end_resp_ev_;
  tlm_generic_payload* end_resp_gp_ = nullptr;

  void run() {
    if (script) script(*this);
  }

  Txn& add(Bytes data) {
    txns.emplace_back();
    Txn& t = txns.back();
    t.data = std::move(data);
    by_gp_[&t.gp] = &t;
    return t;
  }

  void issue(Txn& t) {
    t.issued = sc_time_stamp();
    tlm::tlm_phase ph = tlm::BEGIN_REQ;
    sc_time d = SC_ZERO_TIME;
    const tlm::tlm_sync_enum r = sock->nb_transport_fw(t.gp, ph, d);
    if (r == tlm::TLM_UPDATED && ph == tlm::END_REQ) {
      t.accepted = sc_time_stamp() + d;
      t.accepted_at_once = t.was_accepted = true;
    } else if (r == tlm::TLM_ACCEPTED) {
      while (!t.was_accepted) wait(end_req_ev_);
    } else {
      errors.push_back("unexpected answer to BEGIN_REQ");
    }
  }

  tlm::tlm_sync_enum nb_transport_bw(tlm_generic_payload& gp, tlm::tlm_phase& ph, sc_time&) {
    Txn& t = *by_gp_.at(&gp);
    if (ph == tlm::END_REQ) {
      if (t.was_accepted) errors.push_back("END_REQ twice");
      t.accepted = sc_time_stamp();
      t.was_accepted = true;
      end_req_ev_.notify();
      return tlm::TLM_ACCEPTED;
    }
    if (ph != tlm::BEGIN_RESP || !t.was_accepted || t.done) {
      errors.push_back("unexpected phase on the backward path");
      return tlm::TLM_COMPLETED;
    }
    t.responded = sc_time_stamp();
    t.done = true;
    resp_ev_.notify();
    if (end_resp_delay == SC_ZERO_TIME) return tlm::TLM_COMPLETED;
    if (end_resp_gp_) errors.push_back("BEGIN_RESP before END_RESP");
    end_resp_gp_ = &gp;
    end_resp_ev_.notify(end_resp_delay);
    return tlm::TLM_ACCEPTED;
  }

  void send_end_resp() {
    tlm::tlm_phase ph = tlm::END_RESP;
    sc_time d = SC_ZERO_TIME;
    tlm_generic_payload* gp = end_resp_gp_;
    end_resp_gp_ = nullptr;
    if (sock->nb_transport_fw(*gp, ph, d) != tlm::TLM_COMPLETED)
      errors.push_back("END_RESP not completed");
  }
};

// Loosely timed initiator running a script: the host CPU for MMIO, or a plain memory client.
struct LtMaster : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<LtMaster> sock{"sock"};
  std::function<void(LtMaster&)> script;

  SC_HAS_PROCESS(LtMaster);
  explicit LtMaster(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }

  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, size_t n,
                                  sc_time& delay) {
    tlm_generic_payload gp;
    set_payload(gp, cmd, addr, data, n);
    sock->b_transport(gp, delay);
    return gp.get_response_status();
  }

 private:
  void run() {
    if (script) script(*this);
  }
};

// NIC register block: 64 x 32-bit registers, every access logged with its time.
struct RegTarget : sc_core::sc_module {
  struct Access {
    sc_time at;
    bool write;
    uint64_t addr;
    uint32_t value;
  };
  tlm_utils::simple_target_socket<RegTarget> sock{"sock"};
  sc_time latency{10, SC_NS};
  uint32_t regs[64] = {};
  std::vector<Access> log;

  explicit RegTarget(sc_core::sc_module_name n) : sc_module(n) {
    sock.register_b_transport(this, &RegTarget::b_transport);
  }

 private:
  void b_transport(tlm_generic_payload& gp, sc_time& delay) {
    delay += latency;
    const uint64_t a = gp.get_address();
    if (a % 4 || a / 4 >= 64 || gp.get_data_length() != 4) {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    uint32_t& r = regs[a / 4];
    if (gp.is_write()) r = ld_le32(gp.get_data_ptr());
    else st_le32(gp.get_data_ptr(), r);
    log.push_back({sc_time_stamp(), gp.is_write(), a, r});
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// Driver CPU -> link -> registers, NIC DMA -> link -> host memory; every DMA write logged.
struct Bench {
  struct Landed {
    sc_time at;
    uint64_t addr;
    size_t len;
    uint8_t first;
  };
  HostMemory mem;
  PcieLink link;
  DmaMaster dma{"dma"};
  LtMaster cpu{"cpu"};
  RegTarget regs{"regs"};
  std::vector<Landed> landed;

  explicit Bench(const PcieParams& p, sc_time mem_latency = SC_ZERO_TIME)
      : mem("mem", mem_latency), link("link", p) {
    dma.sock.bind(link.dma_target);
    link.mem_init.bind(mem.socket);
    cpu.sock.bind(link.mmio_target);
    link.mmio_init.bind(regs.sock);
    mem.set_write_observer([this](uint64_t a, size_t n, const tlm_generic_payload& gp) {
      landed.push_back({sc_time_stamp(), a, n, n ? gp.get_data_ptr()[0] : uint8_t(0)});
    });
  }
};

// Exact-arithmetic link: 64 Gb/s is 125 ps per byte, so every wire time is a whole picosecond.
PcieParams exact_params() {
  PcieParams p;
  p.gbps_per_direction = 64;
  p.latency_ns = 500;
  p.max_payload = 256;
  p.tlp_header_bytes = 16;
  p.tlp_framing_bytes = 8;
  p.tags = 64;
  p.max_read_request = 512;
  p.dllp_bytes = 0;  // no Acks on the other wire: the cases below time one direction each
  p.user_clock_mhz = 0;  // the wire alone
  return p;
}

}  // namespace

// ---- HostMemory ----------------------------------------------------------------------------

TEST_CASE("HostMemory direct access is sparse zero-filled and 64-bit wide", "[pcie][hostmem]") {
  HostMemory mem("mem");
  CHECK(mem.read(0x1234, 16) == Bytes(16, 0));
  CHECK(mem.stats().pages_allocated == 0);

  const Bytes a = pattern(10000, 1);  // 2048 + 4096 + 3856: three pages
  mem.write(0x7fff'ffff'f800, a.data(), a.size());
  CHECK(mem.read(0x7fff'ffff'f800, a.size()) == a);
  CHECK(mem.stats().pages_allocated == 3);
  CHECK(mem.read(0x7fff'ffff'f7f0, 16) == Bytes(16, 0));  // just below: untouched

  const Bytes top = pattern(100, 2);  // ends exactly at 2^64 - 1
  mem.write(kTop - 99, top.data(), top.size());
  CHECK(mem.read(kTop - 99, 100) == top);
  uint8_t last = 0;
  mem.read(kTop, &last, 1);
  CHECK(last == top.back());
  CHECK_THROWS_AS(mem.write(kTop - 99, top.data(), 101), std::out_of_range);
  CHECK_THROWS_AS(mem.read(kTop, 2), std::out_of_range);
  CHECK(mem.stats().pages_allocated == 4);
  CHECK(mem.stats().tlm_bytes_written == 0);  // direct access is not DMA
}

TEST_CASE("HostMemory release zeroes a freed buffer and drops pages nothing else uses", "[pcie][hostmem]") {
  HostMemory mem("mem");
  // Two buffers sharing the page at 0x3000: a = [0x1800, 0x3800), b = [0x3900, 0x4100).
  const Bytes a = pattern(0x2000, 3), b = pattern(0x800, 4);
  mem.write(0x1800, a.data(), a.size());
  mem.write(0x3900, b.data(), b.size());
  CHECK(mem.stats().pages_allocated == 4);  // 0x1000, 0x2000, 0x3000, 0x4000

  mem.release(0x1800, a.size());
  CHECK(mem.read(0x1800, a.size()) == Bytes(a.size(), 0));
  CHECK(mem.read(0x3900, b.size()) == b);   // the neighbour in the shared page is untouched
  CHECK(mem.stats().pages_allocated == 2);  // 0x3000 (b's head) and 0x4000 stay

  mem.release(0x3900, b.size());
  CHECK(mem.read(0x3900, b.size()) == Bytes(b.size(), 0));
  CHECK(mem.stats().pages_allocated == 0);
  mem.release(0x9000, 16);  // never written: nothing to do
  CHECK(mem.stats().pages_allocated == 0);
  CHECK_THROWS_AS(mem.release(kTop, 2), std::out_of_range);
  // A write into released memory gets a zeroed page (from the spares): only its bytes show.
  const Bytes c = pattern(10, 5);
  mem.write(0x2000 + 7, c.data(), c.size());
  Bytes want(4096, 0);
  std::copy(c.begin(), c.end(), want.begin() + 7);
  CHECK(mem.read(0x2000, 4096) == want);
  CHECK(mem.stats().pages_allocated == 1);
}

TEST_CASE("HostMemory drops a page exactly when its bytes are all zero", "[pcie][hostmem]") {
  HostMemory mem("mem");
  // Written bytes that happen to be zero hold nothing: releasing any part drops the page.
  const Bytes zeros(300, 0);
  mem.write(0x5100, zeros.data(), zeros.size());
  CHECK(mem.stats().pages_allocated == 1);
  mem.release(0x5200, 1);
  CHECK(mem.stats().pages_allocated == 0);
  // Data at both ends of the page: releasing either end, or the middle, keeps the rest.
  const Bytes d = pattern(4096, 6);
  mem.write(0x6000, d.data(), d.size());
  mem.release(0x6000, 16);
  mem.release(0x6ff0, 16);
  mem.release(0x6800, 16);
  CHECK(mem.stats().pages_allocated == 1);
  Bytes want = d;
  for (size_t off : {0x0, 0xff0, 0x800}) std::fill_n(want.begin() + long(off), 16, 0);
  CHECK(mem.read(0x6000, 4096) == want);
  // The rest, released in pieces from the middle outwards, empties it at the last piece.
  mem.release(0x6010, 0x7f0);
  mem.release(0x6810, 0x7e0);
  CHECK(mem.stats().pages_allocated == 0);
  CHECK(mem.read(0x6000, 4096) == Bytes(4096, 0));
  // A page reused from the spares starts empty again: releasing beside its data keeps it.
  mem.write(0x7400, d.data(), 8);
  mem.release(0x7000, 0x400);
  mem.release(0x7408, 0x10);
  CHECK(mem.stats().pages_allocated == 1);
  mem.release(0x7400, 8);
  CHECK(mem.stats().pages_allocated == 0);
}

// Bandwidth: accesses queue behind each other; 8 Gb/s is one byte a nanosecond.
TEST_CASE("HostMemory accesses queue for its bandwidth", "[pcie][hostmem]") {
  HostMemoryParams p;
  p.mem_latency_ns = 40;
  p.mem_gbps = 8;
  HostMemory mem("mem", p);
  LtMaster m("m");
  m.sock.bind(mem.socket);
  std::vector<sc_time> delays;
  m.script = [&](LtMaster& lt) {
    Bytes w(100, 1);
    for (int i = 0; i < 3; ++i) {  // three at once: 100, 200, 300 ns of transfer, then 40
      sc_time d = SC_ZERO_TIME;
      lt.access(tlm::TLM_WRITE_COMMAND, 0x1000 * uint64_t(i + 1), w.data(), 100, d);
      delays.push_back(d);
    }
    wait(sc_time(1000, SC_NS));  // idle again: no queue
    sc_time d = SC_ZERO_TIME;
    lt.access(tlm::TLM_READ_COMMAND, 0x1000, w.data(), 50, d);
    delays.push_back(d);
  };
  sc_core::sc_start();
  REQUIRE(delays.size() == 4);
  CHECK(delays[0] == sc_time(140, SC_NS));
  CHECK(delays[1] == sc_time(240, SC_NS));
  CHECK(delays[2] == sc_time(340, SC_NS));
  CHECK(delays[3] == sc_time(90, SC_NS));
  CHECK(mem.stats().queued == sc_time(100 + 200, SC_NS));
}

// IOMMU: one walk per page whose translation is not cached; LRU within a set.
TEST_CASE("HostMemory IOTLB misses cost a page walk per page", "[pcie][hostmem][iommu]") {
  HostMemoryParams p;
  p.mem_latency_ns = 50;
  p.mem_gbps = 0;
  p.iotlb_entries = 2;
  p.iotlb_ways = 2;  // one set of two
  p.iommu_walk_ns = 300;
  HostMemory mem("mem", p);
  LtMaster m("m");
  m.sock.bind(mem.socket);
  std::vector<sc_time> delays;
  m.script = [&](LtMaster& lt) {
    Bytes b(8192);
    const auto at = [&](uint64_t addr, uint32_t n) {
      sc_time d = SC_ZERO_TIME;
      lt.access(tlm::TLM_READ_COMMAND, addr, b.data(), n, d);
      delays.push_back(d);
    };
    at(0x10'0ff0, 32);   // pages 0x100 and 0x101: two walks
    at(0x10'0000, 64);   // page 0x100: cached
    at(0x20'0000, 8);    // page 0x200 evicts 0x101, the least recently used
    at(0x10'1000, 8);    // page 0x101 again: walked again, evicts 0x100
    at(0x20'0010, 8);    // 0x200 still there
  };
  sc_core::sc_start();
  const sc_time mem_ns(50, SC_NS), walk(300, SC_NS);
  CHECK(delays == std::vector<sc_time>{mem_ns + walk * 2.0, mem_ns, mem_ns + walk, mem_ns + walk, mem_ns});
  CHECK(mem.stats().iotlb_lookups == 6);
  CHECK(mem.stats().iotlb_misses == 4);
}

TEST_CASE("HostMemory TLM access with latency byte enables streaming debug and observer",
          "[pcie][hostmem]") {
  HostMemory mem("mem", sc_time(40, SC_NS));
  LtMaster m("m");
  m.sock.bind(mem.socket);
  std::vector<std::pair<uint64_t, size_t>> observed;
  bool observed_before_apply = true;
  mem.set_write_observer([&](uint64_t a, size_t n, const tlm_generic_payload& gp) {
    // Called before the write is applied: memory still holds the old bytes.
    observed.push_back({a, n});
    observed_before_apply &= mem.read(a, n) != Bytes(gp.get_data_ptr(), gp.get_data_ptr() + n);
  });

  std::vector<tlm::tlm_response_status> st;
  sc_time delay_after_write;
  Bytes got, got_be, dbg_got;
  unsigned dbg_written = 0;
  m.script = [&](LtMaster& lt) {
    Bytes w = pattern(8, 3);
    sc_time d = SC_ZERO_TIME;
    st.push_back(lt.access(tlm::TLM_WRITE_COMMAND, 0xffe, w.data(), 8, d));  // crosses a page
    delay_after_write = d;

    // Byte enables, pattern shorter than the data: only even bytes are written.
    tlm_generic_payload gp;
    Bytes ones(8, 0x11);
    uint8_t be[2] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
    set_payload(gp, tlm::TLM_WRITE_COMMAND, 0xffe, ones.data(), 8);
    gp.set_byte_enable_ptr(be);
    gp.set_byte_enable_length(2);
    lt.sock->b_transport(gp, d);
    st.push_back(gp.get_response_status());

    got.assign(8, 0);
    st.push_back(lt.access(tlm::TLM_READ_COMMAND, 0xffe, got.data(), 8, d));

    got_be.assign(8, 0xAA);  // disabled bytes of a read stay untouched
    set_payload(gp, tlm::TLM_READ_COMMAND, 0xffe, got_be.data(), 8);
    gp.set_byte_enable_ptr(be);
    gp.set_byte_enable_length(2);
    lt.sock->b_transport(gp, d);
    st.push_back(gp.get_response_status());

    set_payload(gp, tlm::TLM_WRITE_COMMAND, 0x2000, ones.data(), 8);
    gp.set_streaming_width(4);
    lt.sock->b_transport(gp, d);
    st.push_back(gp.get_response_status());  // streaming: burst error

    set_payload(gp, tlm::TLM_WRITE_COMMAND, 0x2000, ones.data(), 8);
    gp.set_byte_enable_ptr(be);  // byte enable pointer without a length
    lt.sock->b_transport(gp, d);
    st.push_back(gp.get_response_status());

    st.push_back(lt.access(tlm::TLM_WRITE_COMMAND, kTop - 3, ones.data(), 8, d));
    st.push_back(lt.access(tlm::TLM_READ_COMMAND, kTop - 3, ones.data(), 8, d));

    Bytes dw = pattern(16, 4);
    set_payload(gp, tlm::TLM_WRITE_COMMAND, 0x5000, dw.data(), 16);
    dbg_written = lt.sock->transport_dbg(gp);
    dbg_got.assign(16, 0);
    set_payload(gp, tlm::TLM_READ_COMMAND, 0x5000, dbg_got.data(), 16);
    lt.sock->transport_dbg(gp);
  };
  sc_core::sc_start();

  using R = tlm::tlm_response_status;
  CHECK(st == std::vector<R>{tlm::TLM_OK_RESPONSE, tlm::TLM_OK_RESPONSE, tlm::TLM_OK_RESPONSE,
                             tlm::TLM_OK_RESPONSE, tlm::TLM_BURST_ERROR_RESPONSE,
                             tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, tlm::TLM_ADDRESS_ERROR_RESPONSE,
                             tlm::TLM_ADDRESS_ERROR_RESPONSE});
  CHECK(delay_after_write == sc_time(40, SC_NS));
  Bytes expect = pattern(8, 3);
  for (size_t i = 0; i < 8; i += 2) expect[i] = 0x11;
  CHECK(got == expect);
  for (size_t i = 0; i < 8; ++i) CHECK(got_be[i] == (i % 2 ? 0xAA : 0x11));
  CHECK(dbg_written == 16);
  CHECK(dbg_got == pattern(16, 4));
  // Observer: the two applied TLM writes only (not errors, not debug).
  CHECK(observed == std::vector<std::pair<uint64_t, size_t>>{{0xffe, 8}, {0xffe, 8}});
  CHECK(observed_before_apply);
  const auto s = mem.stats();
  CHECK(s.tlm_writes == 2);
  CHECK(s.tlm_bytes_written == 16);
  CHECK(s.tlm_reads == 2);
  CHECK(s.tlm_bytes_read == 16);
  CHECK(s.pages_allocated == 3);  // 0x0000, 0x1000, 0x5000
}

// ---- PcieLink DMA --------------------------------------------------------------------------

TEST_CASE("PcieLink DMA writes and reads are byte exact at random 64-bit addresses", "[pcie]") {
  Bench b(PcieParams{});
  std::map<uint64_t, uint8_t> ref;  // every byte ever written
  struct Range {
    uint64_t addr;
    size_t len;
  };
  std::vector<Range> ranges;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 300; ++i) {
    const size_t len = 1 + rng() % 9000;
    uint64_t addr;
    switch (i % 4) {
      case 0: addr = rng(); break;                                          // anywhere
      case 1: addr = (rng() & ~uint64_t(0xfff)) + 4096 - 1 - rng() % 64; break;  // page-crossing
      case 2: addr = kTop - (len - 1) - rng() % 3; break;                  // at the very top
      default: addr = 0x10000 + rng() % 20000; break;                      // overlapping
    }
    if (addr > kTop - (len - 1)) addr = kTop - (len - 1);
    ranges.push_back({addr, len});
  }
  std::vector<const DmaMaster::Txn*> reads, fresh;
  b.dma.script = [&](DmaMaster& m) {
    uint32_t seed = 100;
    for (const Range& r : ranges) {
      Bytes d = pattern(r.len, seed++);
      for (size_t k = 0; k < r.len; ++k) ref[r.addr + k] = d[k];
      m.write(r.addr, std::move(d));
    }
    // Issued behind the writes: must see all of them (reads do not pass posted writes).
    for (const Range& r : ranges) reads.push_back(&m.read(r.addr, r.len));
    for (int i = 0; i < 20; ++i)
      fresh.push_back(&m.read(0x8000'0000'0000 + rng() % (1 << 20), 300));
    m.wait_all();
  };
  sc_core::sc_start();

  REQUIRE(b.dma.errors.empty());
  size_t i = 0;
  for (const Range& r : ranges) {
    Bytes want(r.len);
    for (size_t k = 0; k < r.len; ++k) want[k] = ref.at(r.addr + k);
    const DmaMaster::Txn& t = *reads[i++];
    REQUIRE(t.gp.is_response_ok());
    REQUIRE(t.data == want);
    REQUIRE(b.mem.read(r.addr, r.len) == want);
  }
  for (const DmaMaster::Txn* t : fresh) {
    REQUIRE(t->gp.is_response_ok());
    REQUIRE(t->data == Bytes(300, 0));
  }
  for (const DmaMaster::Txn& t : b.dma.txns) REQUIRE(t.gp.is_response_ok());
  CHECK(b.link.tags_in_use() == 0);
}

TEST_CASE("PcieLink writes to one address land in issue order and the last wins", "[pcie]") {
  PcieParams p;
  p.tags = 8;
  Bench b(p);
  const DmaMaster::Txn* after = nullptr;
  b.dma.script = [&](DmaMaster& m) {
    for (int i = 0; i < 200; ++i) m.write(0xdead'beef'0000, Bytes(64, uint8_t(i)));
    after = &m.read(0xdead'beef'0000, 64);
    m.wait_all();
  };
  sc_core::sc_start();

  REQUIRE(b.dma.errors.empty());
  REQUIRE(b.landed.size() == 200);
  for (int i = 0; i < 200; ++i) {
    CHECK(b.landed[i].first == uint8_t(i));
    if (i) CHECK(b.landed[i].at >= b.landed[i - 1].at);
  }
  CHECK(after->data == Bytes(64, 199));
  CHECK(b.mem.read(0xdead'beef'0000, 64) == Bytes(64, 199));
  // Responses come back in order too.
  for (size_t i = 1; i < b.dma.txns.size(); ++i)
    CHECK(b.dma.txns[i].responded >= b.dma.txns[i - 1].responded);
}

TEST_CASE("PcieLink write lands after serialisation plus latency", "[pcie][timing]") {
  const PcieParams p = exact_params();
  const sc_time mem_lat(40, SC_NS);
  Bench b(p, mem_lat);
  const uint64_t a1 = 0x1'0000'0000, a2 = 0x2'0000'0f00;  // a2: unaligned, crosses 4 KiB
  const size_t n1 = 1000, n2 = 3000;
  b.dma.script = [&](DmaMaster& m) {
    m.write(a1, pattern(n1, 1));
    m.write(a2, pattern(n2, 2));  // queued behind the first on the wire
    m.wait_all();
    m.write(a1, pattern(8, 3));  // idle link again
    m.wait_all();
  };
  sc_core::sc_start();

  REQUIRE(b.dma.errors.empty());
  REQUIRE(b.landed.size() == 3);
  const sc_time w1 = wire_for(p, a1, n1, p.max_payload);
  const sc_time w2 = wire_for(p, a2, n2, p.max_payload);
  CHECK(w1 == sc_time((1000 + 4 * 24) * 0.125, SC_NS));  // 4 TLPs of <= 256 B
  CHECK(b.landed[0].at == w1 + lat(p));
  CHECK(b.landed[1].at == w1 + w2 + lat(p));
  // Responses follow the memory's access latency.
  CHECK(b.dma.txns[0].responded == w1 + lat(p) + mem_lat);
  CHECK(b.dma.txns[1].responded == w1 + w2 + lat(p) + mem_lat);
  const sc_time t3 = b.dma.txns[1].responded;
  CHECK(b.landed[2].at == t3 + wire(p, 8 + 24) + lat(p));
  CHECK(b.landed[2].len == 8);
}

TEST_CASE("PcieLink write timing with default parameters", "[pcie][timing]") {
  PcieParams p;  // Gen3 x16: wire times are rounded to the picosecond
  p.user_clock_mhz = 0;  // the wire alone (the bus's share: the user interface cases)
  Bench b(p);
  b.dma.script = [&](DmaMaster& m) { m.write(0x4000, pattern(4096, 1)); };
  sc_core::sc_start();
  REQUIRE(b.landed.size() == 1);
  const double gbps = 8.0 * 16 * 128 / 130;  // 8 GT/s a lane, 128b/130b
  const double ps = (4096 + 16 * 24) * 8.0 / gbps * 1000 + 500'000;
  CHECK(std::abs(b.landed[0].at.to_seconds() * 1e12 - ps) <= 1.0);
}

// The user interface: Gen3 x16 (126.03 Gb/s) behind a 64-byte bus at 250 MHz. A 256-byte write
// TLP is 280 bytes on the wire, 17.77 ns; on the bus its 16-byte header and payload take 272
// bytes: 9 half beats (18 ns) straddled, 5 beats (20 ns) not. The bus binds either way.
namespace {
void user_interface_case(double mhz, bool straddle, double transfer_ns) {
  PcieParams p;
  p.user_clock_mhz = mhz;
  p.user_straddle = straddle;
  Bench b(p);
  b.dma.script = [&](DmaMaster& m) { m.write(0x4000, pattern(4096, 1)); };
  sc_core::sc_start();
  REQUIRE(b.landed.size() == 1);
  CHECK(b.landed[0].at == sc_time(transfer_ns + 500, SC_NS));
}
}  // namespace

TEST_CASE("PcieLink user interface straddled: 9 half beats a TLP", "[pcie][timing]") {
  user_interface_case(250, true, 16 * 18);
}
TEST_CASE("PcieLink user interface without straddling: 5 beats a TLP", "[pcie][timing]") {
  user_interface_case(250, false, 16 * 20);
}
TEST_CASE("PcieLink user interface at 500 MHz leaves the wire to bind", "[pcie][timing]") {
  // 16 x 280 bytes at 8 GT/s x 16 x 128/130, rounded to the picosecond.
  user_interface_case(500, true, 0.001 * std::round(16 * 280 * 8e3 / (8.0 * 16 * 128 / 130)));
}

TEST_CASE("PcieLink read goes up as requests and comes down as completions", "[pcie][timing]") {
  const PcieParams p = exact_params();
  const sc_time mem_lat(40, SC_NS);
  Bench b(p, mem_lat);
  const uint64_t addr = 0x3'0000'0e00;
  const size_t n = 2000;  // crosses 4 KiB
  b.mem.write(addr, pattern(n, 9).data(), n);
  b.dma.script = [&](DmaMaster& m) {
    m.read(addr, n);
    m.wait_all();
  };
  sc_core::sc_start();

  REQUIRE(b.dma.errors.empty());
  const DmaMaster::Txn& t = b.dma.txns.at(0);
  CHECK(t.data == pattern(n, 9));
  const size_t req_tlps = cut_tlps(addr, n, p.max_read_request).size();
  const size_t cpl_tlps = cut_tlps(addr, n, p.max_payload).size();
  CHECK(req_tlps == 4);  // 512 (up to the 4 KiB boundary), 512, 512, 464
  CHECK(cpl_tlps == 8);  // 256 x 2 | 256 x 5, 208
  const sc_time at_host = wire(p, req_tlps * p.tlp_overhead()) + lat(p);
  CHECK(t.responded == at_host + mem_lat + wire_for(p, addr, n, p.max_payload) + lat(p));
  const auto& s = b.link.stats();
  CHECK(s.up.tlps == req_tlps);
  CHECK(s.up.payload_bytes == 0);
  CHECK(s.down.tlps == cpl_tlps);
  CHECK(s.down.payload_bytes == n);
  CHECK(s.down.wire_bytes == n + cpl_tlps * p.tlp_overhead());
}

TEST_CASE("PcieLink stalls a read's BEGIN_REQ without a tag until a response", "[pcie][backpressure]") {
  PcieParams p = exact_params();
  p.tags = 2;
  Bench b(p);
  b.dma.script = [&](DmaMaster& m) {
    for (int i = 0; i < 3; ++i) m.read(0x1000 * (i + 1), 256);
    m.wait_all();
  };
  sc_core::sc_start();

  REQUIRE(b.dma.errors.empty());
  const auto& t = b.dma.txns;
  CHECK(t[0].accepted_at_once);
  CHECK(t[1].accepted_at_once);
  CHECK_FALSE(t[2].accepted_at_once);
  CHECK(t[2].issued == SC_ZERO_TIME);
  // A request TLP carries no data; the completion carries 256 bytes.
  const sc_time rtt = wire(p, 24) + lat(p) + wire(p, 256 + 24) + lat(p);
  CHECK(t[0].responded == rtt);
  CHECK(t[2].accepted == t[0].responded);  // the tag freed by the first response
  CHECK(t[2].responded == t[2].accepted + rtt);  // both wires idle by then
  const auto& s = b.link.stats();
  CHECK(s.max_tags_used == 2);
  CHECK(s.tag_stalls == 1);
  CHECK(s.tag_stall_time == t[0].responded);
  CHECK(b.link.tags_in_use() == 0);
}

TEST_CASE("PcieLink accepts posted writes without a tag", "[pcie][backpressure]") {
  PcieParams p = exact_params();
  p.tags = 1;
  Bench b(p);
  b.dma.script = [&](DmaMaster& m) {
    for (int i = 0; i < 3; ++i) m.write(0x1000 * (i + 1), pattern(256, i));
    m.wait_all();
  };
  sc_core::sc_start();

  REQUIRE(b.dma.errors.empty());
  const auto& t = b.dma.txns;
  for (int i = 0; i < 3; ++i) {
    CHECK(t[i].accepted_at_once);
    CHECK(t[i].responded == wire(p, 280) * double(i + 1) + lat(p));  // back to back
  }
  CHECK(b.link.stats().max_tags_used == 0);
  CHECK(b.link.stats().tag_stalls == 0);
}

TEST_CASE("PcieLink held END_RESP delays the tag and the next BEGIN_RESP",
          "[pcie][backpressure]") {
  PcieParams p = exact_params();
  p.tags = 2;
  Bench b(p);
  const sc_time hold(100, SC_NS);
  b.dma.end_resp_delay = hold;
  b.dma.script = [&](DmaMaster& m) {
    for (int i = 0; i < 3; ++i) m.read(0x1000 * (i + 1), 256);
    m.wait_all();
  };
  sc_core::sc_start();

  REQUIRE(b.dma.errors.empty());
  const auto& t = b.dma.txns;
  const sc_time rtt = wire(p, 24) + lat(p) + wire(p, 280) + lat(p);
  CHECK(t[0].responded == rtt);
  // The second completion follows the first on the wire (280 B after it), then waits for END_RESP.
  CHECK(t[1].responded == t[0].responded + hold);
  CHECK(t[2].accepted == t[0].responded + hold);
  CHECK(t[2].responded == t[2].accepted + rtt);
  CHECK(b.link.stats().tag_stall_time == t[0].responded + hold);
  CHECK(b.link.tags_in_use() == 0);
}

TEST_CASE("PcieLink throughput is bandwidth-bound with many outstanding and latency-bound with one",
          "[pcie][backpressure]") {
  // One link, two phases: first 64 outstanding allowed by the link, the initiator then limits
  // itself to one at a time by waiting for each response.
  const PcieParams p = exact_params();
  Bench b(p);
  const int n = 100;
  sc_time end_streamed, end_serial;
  b.dma.script = [&](DmaMaster& m) {
    for (int i = 0; i < n; ++i) m.write(uint64_t(i) << 12, pattern(4096, i));
    m.wait_all();
    end_streamed = sc_time_stamp();
    for (int i = 0; i < n; ++i) m.wait_done(m.write(uint64_t(i) << 12, pattern(4096, i)));
    end_serial = sc_time_stamp();
  };
  sc_core::sc_start();

  REQUIRE(b.dma.errors.empty());
  const sc_time w = wire(p, 4096 + 16 * 24);
  CHECK(end_streamed == w * n + lat(p));
  CHECK(end_serial - end_streamed == (w + lat(p)) * n);
  const auto& s = b.link.stats();
  CHECK(s.up.tlps == 2 * n * 16);
  CHECK(s.up.payload_bytes == 2 * n * 4096);
  CHECK(s.up.busy == w * (2 * n));
  CHECK(s.max_tags_used == 0);  // posted: no tags
  CHECK(s.tag_stalls == 0);
  CHECK(s.dma_writes == 2 * n);
}

// The contrast the tag count makes: a stream of 4 KiB writes runs at the wire's rate with one
// tag; the same stream of reads is held to one round trip a read.
TEST_CASE("PcieLink a write stream is not limited by the tag count and a read stream is",
          "[pcie][backpressure]") {
  PcieParams p = exact_params();
  p.tags = 1;
  Bench b(p);
  const int n = 20;
  sc_time writes_done, reads_done;
  b.dma.script = [&](DmaMaster& m) {
    for (int i = 0; i < n; ++i) m.write(uint64_t(i) << 12, pattern(4096, i));
    m.wait_all();
    writes_done = sc_time_stamp();
    for (int i = 0; i < n; ++i) m.read(uint64_t(i) << 12, 4096);
    m.wait_all();
    reads_done = sc_time_stamp() - writes_done;
  };
  sc_core::sc_start();
  REQUIRE(b.dma.errors.empty());
  const sc_time cpl = wire(p, 4096 + 16 * 24);  // 16 completions of 256 B
  CHECK(writes_done == cpl * n + lat(p));       // 16 TLPs of 256 B, back to back
  // 8 request TLPs of 512 B (MRRS), flight, completions, flight: one read at a time.
  const sc_time rtt = wire(p, 8 * 24) + lat(p) + cpl + lat(p);
  CHECK(reads_done == rtt * n);
  CHECK(b.link.stats().tag_stalls == uint64_t(n - 1));
}

TEST_CASE("PcieLink completions end on read completion boundaries", "[pcie]") {
  // Completion size 256, RCB 64: a read from 0x..30 gets 0x30..0x100 (208 B) first.
  CHECK(PcieLink::completion_count(0x30, 208, 256, 64) == 1);
  CHECK(PcieLink::completion_count(0x30, 209, 256, 64) == 2);
  CHECK(PcieLink::completion_count(0x30, 208 + 256 * 3, 256, 64) == 4);
  CHECK(PcieLink::completion_count(0x0, 4096, 64, 64) == 64);  // a 64-byte completer
  CHECK(PcieLink::completion_count(0x10, 0, 256, 64) == 1);
  // Brute force: walk the boundaries one piece at a time.
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t rcb = rng() % 2 ? 64 : 128;
    const uint64_t size = rcb << (rng() % 4);
    const uint64_t addr = rng() % 100000, len = 1 + rng() % 5000;
    uint64_t a = addr, pieces = 0;
    while (a < addr + len) {
      const uint64_t end = std::min(addr + len, (a + size) / rcb * rcb);
      REQUIRE(end > a);
      REQUIRE(end - a <= size);
      a = end;
      ++pieces;
    }
    REQUIRE(PcieLink::completion_count(addr, len, size, rcb) == pieces);
  }
}

TEST_CASE("PcieLink posted data credits hold writes to the credit loop's rate", "[pcie][credits]") {
  PcieParams p = exact_params();
  p.pd_credits = 32;  // 512 bytes: two 256-byte TLPs
  p.credit_update_ns = 100;
  Bench b(p);
  const int n = 6;
  b.dma.script = [&](DmaMaster& m) {
    for (int i = 0; i < n; ++i) m.write(uint64_t(i) << 12, pattern(256, i));
    m.wait_all();
  };
  sc_core::sc_start();
  REQUIRE(b.dma.errors.empty());
  REQUIRE(b.landed.size() == size_t(n));
  // Two TLPs fit; each further one waits for the credits of the one two ahead: its landing
  // plus the update time.
  const sc_time w = wire(p, 280), loop = lat(p) + sc_time(100, SC_NS);
  sc_time end[n];
  for (int i = 0; i < n; ++i) {
    const sc_time start = i < 2 ? w * double(i) : std::max(end[i - 1], end[i - 2] + loop);
    end[i] = start + w;
    CHECK(b.landed[i].at == end[i] + lat(p));
  }
  CHECK(b.link.stats().up.credit_wait > SC_ZERO_TIME);
}

TEST_CASE("PcieLink non-posted and completion credits stall reads", "[pcie][credits]") {
  PcieParams p = exact_params();
  p.nph_credits = 1;  // one request TLP at a time
  p.credit_update_ns = 50;
  Bench b(p);
  b.dma.script = [&](DmaMaster& m) {
    m.read(0x1000, 1024);  // two requests of 512 B
    m.wait_all();
  };
  sc_core::sc_start();
  REQUIRE(b.dma.errors.empty());
  // The second request waits for the first to land and its credit to come back.
  const sc_time req2_end = wire(p, 24) + lat(p) + sc_time(50, SC_NS) + wire(p, 24);
  const sc_time cpl = wire(p, 1024 + 4 * 24);
  CHECK(b.dma.txns[0].responded == req2_end + lat(p) + cpl + lat(p));
  CHECK(b.link.stats().up.credit_wait == lat(p) + sc_time(50, SC_NS));
}

TEST_CASE("PcieLink Acks and UpdateFCs take the other wire's bandwidth", "[pcie][dllp]") {
  PcieParams p = exact_params();
  p.dllp_bytes = 8;
  p.tlps_per_ack = 4;
  p.tlps_per_update = 2;
  Bench b(p);
  b.dma.script = [&](DmaMaster& m) {
    m.write(0x0, pattern(4096, 1));  // 16 TLPs: 4 Acks and 8 UpdateFCs come down
    m.wait_all();
  };
  sc_core::sc_start();
  const auto& s = b.link.stats();
  CHECK(s.down.dllps == 12);
  CHECK(s.down.wire_bytes == 12 * 8);
  CHECK(s.down.busy == wire(p, 8) * 12.0);
  CHECK(s.up.dllps == 0);
}

TEST_CASE("PcieLink splits at max_payload and 4 KiB boundaries", "[pcie]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t addr = i % 2 ? rng() : rng() % 20000;
    const uint64_t len = rng() % 20000;
    const uint64_t max = uint64_t(1) << (5 + rng() % 9);  // 32 .. 8192
    REQUIRE(PcieLink::tlp_count(addr, len, max) == cut_tlps(addr, len, max).size());
  }
  CHECK(PcieLink::tlp_count(0, 4096, 256) == 16);
  CHECK(PcieLink::tlp_count(4096 - 100, 300, 256) == 2);   // 100 + 200
  CHECK(PcieLink::tlp_count(4096 - 300, 600, 256) == 4);   // 256 + 44 | 256 + 44
  CHECK(PcieLink::tlp_count(100, 4096, 4096) == 2);        // 4 KiB boundary even with big MPS
  CHECK(PcieLink::tlp_count(kTop - 99, 100, 256) == 1);
  CHECK(PcieLink::tlp_count(5, 0, 256) == 1);

  // Through the link: counts and wire bytes in the stats.
  const PcieParams p = exact_params();
  Bench b(p);
  const std::vector<std::pair<uint64_t, size_t>> writes = {
      {0x0, 4096}, {0x1000 - 100, 300}, {0x5000 - 300, 600}, {0x7'0000'0010, 10000}, {0x9, 1}};
  uint64_t tlps = 0, bytes = 0;
  for (const auto& [a, n] : writes) {
    tlps += cut_tlps(a, n, p.max_payload).size();
    bytes += n;
  }
  b.dma.script = [&](DmaMaster& m) {
    for (const auto& [a, n] : writes) m.write(a, Bytes(n, 1));
    m.wait_all();
  };
  sc_core::sc_start();
  const auto& s = b.link.stats();
  CHECK(s.up.tlps == tlps);
  CHECK(s.up.payload_bytes == bytes);
  CHECK(s.up.wire_bytes == bytes + tlps * p.tlp_overhead());
  CHECK(s.down.tlps == 0);
}

TEST_CASE("PcieLink DMA past 2^64 gives an address error", "[pcie]") {
  Bench b(exact_params());
  b.dma.script = [&](DmaMaster& m) {
    m.write(kTop - 9, Bytes(20, 1));   // runs past the top
    m.read(kTop - 9, 20);
    m.write(kTop - 19, Bytes(20, 2));  // ends exactly at 2^64 - 1: fine
    m.read(kTop - 19, 20);
    m.wait_all();
  };
  sc_core::sc_start();

  REQUIRE(b.dma.errors.empty());
  const auto& t = b.dma.txns;
  CHECK(t[0].gp.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(t[1].gp.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(t[1].data == Bytes(20, 0xEE));  // nothing read into the buffer
  CHECK(t[2].gp.is_response_ok());
  CHECK(t[3].gp.is_response_ok());
  CHECK(t[3].data == Bytes(20, 2));
  REQUIRE(b.landed.size() == 1);  // the observer never sees the failed write
  CHECK(b.landed[0].addr == kTop - 19);
  CHECK(b.mem.stats().pages_allocated == 1);
  CHECK(b.link.tags_in_use() == 0);
}

// ---- PcieLink MMIO -------------------------------------------------------------------------

TEST_CASE("PcieLink MMIO writes are posted and reads wait for the round trip", "[pcie][mmio]") {
  const PcieParams p = exact_params();
  Bench b(p);
  sc_time write_returned, read_returned, bad_read_returned;
  uint32_t value = 0;
  tlm::tlm_response_status read_st{}, bad_st{};
  const int warnings_before = sc_core::sc_report_handler::get_count(sc_core::SC_WARNING);
  b.cpu.script = [&](LtMaster& cpu) {
    uint8_t buf[4];
    st_le32(buf, 0xC0FFEE);
    sc_time d = SC_ZERO_TIME;
    cpu.access(tlm::TLM_WRITE_COMMAND, 0x10, buf, 4, d);
    write_returned = sc_time_stamp() + d;
    uint8_t rd[4] = {};
    read_st = cpu.access(tlm::TLM_READ_COMMAND, 0x10, rd, 4, d);
    read_returned = sc_time_stamp() + d;
    value = ld_le32(rd);
    bad_st = cpu.access(tlm::TLM_READ_COMMAND, 0x1000, rd, 4, d);
    bad_read_returned = sc_time_stamp() + d;
    cpu.access(tlm::TLM_WRITE_COMMAND, 0x1000, buf, 4, d);  // posted: failure only warned
  };
  sc_core::sc_start();

  const sc_time wr = wire(p, 4 + 24), rq = wire(p, 24), cp = wire(p, 4 + 24);
  CHECK(write_returned == SC_ZERO_TIME);  // the CPU does not wait for a posted write
  REQUIRE(b.regs.log.size() == 2);
  CHECK(b.regs.log[0].write);
  CHECK(b.regs.log[0].at == wr + lat(p));
  CHECK_FALSE(b.regs.log[1].write);
  CHECK(b.regs.log[1].at == wr + rq + lat(p));  // request queued behind the write downstream
  CHECK(read_st == tlm::TLM_OK_RESPONSE);
  CHECK(value == 0xC0FFEE);
  CHECK(read_returned == b.regs.log[1].at + b.regs.latency + cp + lat(p));
  CHECK(bad_st == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  // A failed read completes without data: one header-only completion.
  CHECK(bad_read_returned ==
        read_returned + rq + lat(p) + b.regs.latency + wire(p, 24) + lat(p));
  CHECK(sc_core::sc_report_handler::get_count(sc_core::SC_WARNING) == warnings_before + 1);
  const auto& s = b.link.stats();
  CHECK(s.mmio_writes == 2);
  CHECK(s.mmio_reads == 2);
  CHECK(s.down.tlps == 4);
  CHECK(s.up.tlps == 2);
  CHECK(s.up.payload_bytes == 4);
}

TEST_CASE("PcieLink MMIO read completion does not pass earlier DMA writes", "[pcie][mmio]") {
  // The driver's classic flush: a register read returns only after the NIC's earlier DMA
  // writes reached memory, because the completion follows them on the upstream wire.
  const PcieParams p = exact_params();
  Bench b(p);
  Bytes seen;
  b.dma.script = [&](DmaMaster& m) {
    m.write(0x9000, pattern(4096, 5));
    m.wait_all();
  };
  b.cpu.script = [&](LtMaster& cpu) {
    sc_core::wait(sc_time(1, SC_NS));  // the DMA write is on the wire by now
    uint8_t rd[4];
    sc_time d = SC_ZERO_TIME;
    cpu.access(tlm::TLM_READ_COMMAND, 0x0, rd, 4, d);
    seen = b.mem.read(0x9000, 4096);
  };
  sc_core::sc_start();
  CHECK(seen == pattern(4096, 5));
  REQUIRE(b.landed.size() == 1);
}
