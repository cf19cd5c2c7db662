#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "hw/offload/ddp_table.hpp"
#include "hw/offload/sgl.hpp"

using namespace nic;
using hw::SgEntry;
using hw::SglError;

namespace {

// Sub-page entries at unaligned addresses, mixed with multi-page ones.
std::vector<SgEntry> random_sgl(std::mt19937_64& rng, size_t n) {
  std::vector<SgEntry> v(n);
  for (SgEntry& e : v) {
    e.addr = (rng() % (1u << 20)) * 4096 + rng() % 4096;
    e.len = rng() % 4 ? uint32_t(1 + rng() % 700) : uint32_t(1 + rng() % 20000);
  }
  return v;
}

// Reference: the host address of every buffer byte, by walking the entries byte by byte.
std::vector<uint64_t> byte_addresses(const std::vector<SgEntry>& v) {
  std::vector<uint64_t> a;
  for (const SgEntry& e : v)
    for (uint32_t i = 0; i < e.len; ++i) a.push_back(e.addr + i);
  return a;
}

// translate() expanded to one address per byte, checking every run lies inside one entry.
void check_range(hw::SglPool& pool, hw::SglPool::List& l, const std::vector<SgEntry>& v,
                 const std::vector<uint64_t>& ref, uint64_t off, uint32_t len) {
  std::vector<uint64_t> got;
  const SglError e = pool.translate(l, off, len, [&](uint64_t addr, uint32_t n) {
    bool inside = false;
    for (const SgEntry& s : v) inside |= addr >= s.addr && addr - s.addr + n <= s.len;
    REQUIRE(inside);
    REQUIRE(n > 0);
    for (uint32_t i = 0; i < n; ++i) got.push_back(addr + i);
  });
  REQUIRE(e == SglError::None);
  REQUIRE(std::equal(got.begin(), got.end(), ref.begin() + off, ref.begin() + off + len));
}

hw::SglPool::List add(hw::SglPool& pool, const std::vector<SgEntry>& v) {
  return pool.add(v.data(), v.size());
}

}  // namespace

TEST_CASE("sgl: translate matches a per-byte walk on random unaligned lists", "[sgl]") {
  std::mt19937_64 rng(21);
  hw::SglPool pool;  // one pool for every list: they must not disturb one another
  struct Held {
    std::vector<SgEntry> v;
    hw::SglPool::List l;
  };
  std::vector<Held> held;
  for (int iter = 0; iter < 60; ++iter) {
    const std::vector<SgEntry> v = random_sgl(rng, 1 + rng() % 128);
    const std::vector<uint64_t> ref = byte_addresses(v);
    const uint64_t total = ref.size();
    REQUIRE(hw::check_sgl(v.data(), v.size(), 128, total) == SglError::None);
    hw::SglPool::List l = add(pool, v);
    REQUIRE(pool.total(l) == total);
    CAPTURE(iter, v.size(), total);

    // Sequential, like placement of consecutive packets (the cursor's case).
    for (uint64_t off = 0; off < total;) {
      const uint32_t len = uint32_t(std::min<uint64_t>(total - off, 1 + rng() % 3000));
      check_range(pool, l, v, ref, off, len);
      off += len;
    }
    // Random access, including single bytes at entry edges.
    for (int k = 0; k < 40; ++k) {
      const uint64_t off = rng() % total;
      check_range(pool, l, v, ref, off, uint32_t(1 + rng() % (total - off)));
    }
    uint64_t edge = 0;
    for (const SgEntry& e : v) {
      check_range(pool, l, v, ref, edge, 1);
      check_range(pool, l, v, ref, edge + e.len - 1, 1);
      edge += e.len;
    }
    // Keep some lists, free others: freed runs are reused by later lists.
    held.push_back({v, l});
    if (rng() % 2) {
      const size_t k = rng() % held.size();
      pool.remove(held[k].l);
      held.erase(held.begin() + long(k));
    }
  }
  for (Held& h : held) {  // the lists still held are intact
    const std::vector<uint64_t> ref = byte_addresses(h.v);
    check_range(pool, h.l, h.v, ref, 0, uint32_t(ref.size()));
  }
}

TEST_CASE("sgl: a freed run is reused by a list of its size class", "[sgl]") {
  hw::SglPool pool;
  const std::vector<SgEntry> three{{0x1000, 1}, {0x3000, 2}, {0x5000, 3}};
  const hw::SglPool::List a = add(pool, three);
  pool.remove(a);
  const size_t bytes = pool.heap_bytes();
  const std::vector<SgEntry> four{{0x7000, 1}, {0x8000, 1}, {0x9000, 1}, {0xA000, 1}};
  const hw::SglPool::List b = add(pool, four);  // 3 and 4 entries both take a 4-entry run
  CHECK(b.first == a.first);
  CHECK(pool.heap_bytes() == bytes);  // no allocation
  const hw::SglPool::List c = add(pool, three);  // a new run
  CHECK(c.first != b.first);
  CHECK(pool.total(b) == 4);
  CHECK(pool.total(c) == 6);
}

TEST_CASE("sgl: one run per entry touched", "[sgl]") {
  hw::SglPool pool;
  hw::SglPool::List l = add(pool, {{0x1000, 100}, {0x1064, 50}, {0x9000, 1}, {0x5003, 4000}});
  std::vector<std::pair<uint64_t, uint32_t>> runs;
  const auto collect = [&](uint64_t a, uint32_t n) { runs.emplace_back(a, n); };
  REQUIRE(pool.translate(l, 90, 70, collect) == SglError::None);
  CHECK(runs == std::vector<std::pair<uint64_t, uint32_t>>{{0x1000 + 90, 10}, {0x1064, 50},
                                                           {0x9000, 1}, {0x5003, 9}});
}

TEST_CASE("sgl: validation limits and errors", "[sgl]") {
  const auto check = [&](std::vector<SgEntry> v, uint64_t io_len, SglError want) {
    CHECK(hw::check_sgl(v.data(), v.size(), 128, io_len) == want);
  };
  check(std::vector<SgEntry>(128, {0x2000, 4096}), 128 * 4096, SglError::None);
  check(std::vector<SgEntry>(129, {0x2000, 1}), 129, SglError::TooManyEntries);
  check({{0x1000, 10}, {0x3000, 0}, {0x5000, 10}}, 20, SglError::ZeroLength);
  check({{UINT64_MAX - 11, 12}}, 12, SglError::None);  // ends on the last address
  check({{UINT64_MAX - 10, 12}}, 12, SglError::AddressWrap);
  check({{0x1000, 10}, {0x3000, 10}}, 21, SglError::LengthMismatch);
  check({}, 0, SglError::Empty);
  check({{0x1000, 10}}, 0, SglError::Empty);
}

TEST_CASE("sgl: translate never goes past the list", "[sgl]") {
  hw::SglPool pool;
  hw::SglPool::List l = add(pool, {{0x1000, 10}, {0x3000, 10}});
  int calls = 0;
  const auto count = [&](uint64_t, uint32_t) { ++calls; };
  CHECK(pool.translate(l, 15, 6, count) == SglError::OutOfRange);
  CHECK(pool.translate(l, 21, 1, count) == SglError::OutOfRange);
  CHECK(pool.translate(l, UINT64_MAX, 2, count) == SglError::OutOfRange);
  CHECK(calls == 0);  // nothing emitted before the error
  CHECK(pool.translate(l, 20, 0, count) == SglError::None);
  CHECK(calls == 0);
  CHECK(pool.translate(l, 15, 5, count) == SglError::None);
  CHECK(calls == 1);
}

namespace {
// The host memory runs a registration's buffer bytes [off, off + len) translate to.
std::vector<std::pair<uint64_t, uint32_t>> runs_of(hw::DdpTable& t, hw::DdpContext& c,
                                                   uint64_t off, uint32_t len) {
  std::vector<std::pair<uint64_t, uint32_t>> runs;
  REQUIRE(t.translate(c, off, len, [&](uint64_t a, uint32_t n) { runs.emplace_back(a, n); }) ==
          SglError::None);
  return runs;
}
}  // namespace

TEST_CASE("sgl: DDP table setup, teardown and CID reuse", "[sgl][ddp]") {
  hw::DdpTable t;
  t.reset(abi::nvme_tcp_slot_rule(16), 128);
  const std::vector<SgEntry> buf{{0x10000, 4096}, {0x20010, 100}};
  REQUIRE(t.capacity() == 16);

  CHECK(t.lookup(3) == nullptr);
  REQUIRE(t.setup(3, buf, 4196).err == hw::DdpError::None);
  hw::DdpContext* c = t.lookup(3);
  REQUIRE(c != nullptr);
  CHECK(c->io_len == 4196);
  CHECK(runs_of(t, *c, 4000, 150) ==
        std::vector<std::pair<uint64_t, uint32_t>>{{0x10000 + 4000, 96}, {0x20010, 54}});
  CHECK(t.registered() == 1);

  CHECK(t.setup(3, buf, 4196).err == hw::DdpError::Busy);  // already registered
  CHECK(t.lookup(3) == c);

  REQUIRE(t.teardown(3) == hw::DdpError::None);
  CHECK(t.lookup(3) == nullptr);  // placement stops at once
  CHECK(t.state(3) == hw::DdpState::TeardownPending);
  CHECK(t.setup(3, buf, 4196).err == hw::DdpError::Busy);  // not before the drain
  CHECK(t.teardown(3) == hw::DdpError::NotRegistered);
  CHECK(t.registered() == 0);

  REQUIRE(t.finish_teardown(3) == hw::DdpError::None);
  CHECK(t.finish_teardown(3) == hw::DdpError::NotRegistered);
  const std::vector<SgEntry> other{{0x70000, 512}};
  REQUIRE(t.setup(3, other, 512).err == hw::DdpError::None);  // CID reused
  CHECK(runs_of(t, *t.lookup(3), 0, 512) ==
        std::vector<std::pair<uint64_t, uint32_t>>{{0x70000, 512}});
  CHECK(t.translate(*t.lookup(3), 500, 13, [](uint64_t, uint32_t) { FAIL("past the buffer"); }) ==
        SglError::OutOfRange);
}

TEST_CASE("sgl: DDP table slots are shared by CIDs equal in their low bits", "[sgl][ddp]") {
  hw::DdpTable t;
  t.reset(abi::nvme_tcp_slot_rule(12), 4);
  REQUIRE(t.capacity() == 16);  // the queue size rounded up to a power of two
  const std::vector<SgEntry> one{{0x1000, 8}};
  // Linux CIDs: tag 5, generations 1 and 2.
  const uint16_t gen1 = 5 | 1 << 12, gen2 = 5 | 2 << 12;
  REQUIRE(t.setup(gen1, one, 8).err == hw::DdpError::None);
  CHECK(t.setup(gen2, one, 8).err == hw::DdpError::Busy);  // the slot holds gen1
  CHECK(t.setup(5, one, 8).err == hw::DdpError::Busy);
  CHECK(t.lookup(gen2) == nullptr);  // data of another CID is never placed into gen1's buffer
  CHECK(t.lookup(5) == nullptr);
  CHECK(t.state(gen2) == hw::DdpState::Free);
  CHECK(t.teardown(gen2) == hw::DdpError::NotRegistered);
  CHECK(t.setup(6 | 1 << 12, one, 8).err == hw::DdpError::None);  // another tag, another slot
  CHECK(t.registered() == 2);
  REQUIRE(t.teardown(gen1) == hw::DdpError::None);
  CHECK(t.finish_teardown(gen2) == hw::DdpError::NotRegistered);
  REQUIRE(t.finish_teardown(gen1) == hw::DdpError::None);
  CHECK(t.setup(gen2, one, 8).err == hw::DdpError::None);

  t.reset(abi::nvme_tcp_slot_rule(1), 4);  // queue size 1: every CID shares the one slot
  REQUIRE(t.capacity() == 1);
  REQUIRE(t.setup(0xFFFF, one, 8).err == hw::DdpError::None);
  CHECK(t.setup(0, one, 8).err == hw::DdpError::Busy);
  CHECK(t.lookup(0xFFFF) != nullptr);
}

TEST_CASE("sgl: DDP table closes registrations whose read already completed", "[sgl][ddp]") {
  hw::DdpTable t;
  t.reset(abi::nvme_tcp_slot_rule(16), 4);
  const std::vector<SgEntry> one{{0x1000, 8}};
  // Completion seen in order before the registration the driver posted behind it.
  CHECK_FALSE(t.note_completion(3, 5000));
  REQUIRE(t.setup(3, one, 8, 4000).err == hw::DdpError::None);
  CHECK(t.lookup(3)->closed);
  REQUIRE(t.teardown(3) == hw::DdpError::None);
  REQUIRE(t.finish_teardown(3) == hw::DdpError::None);
  // Registered after the driver parsed that completion: open, until its own completes.
  REQUIRE(t.setup(3, one, 8, 5000).err == hw::DdpError::None);
  CHECK_FALSE(t.lookup(3)->closed);
  CHECK_FALSE(t.note_completion(3, 4990));  // an older read's completion
  CHECK_FALSE(t.note_completion(3 | 1 << 12, 6000));  // another CID of the slot
  CHECK_FALSE(t.lookup(3)->closed);
  CHECK(t.note_completion(3, 6100));
  CHECK(t.lookup(3)->closed);
  CHECK_FALSE(t.note_completion(3, 6200));  // already closed
  // A CID sharing the slot, registered behind a completion the slot saw: its own completion
  // may be among those, so it is closed too.
  REQUIRE(t.teardown(3) == hw::DdpError::None);
  REQUIRE(t.finish_teardown(3) == hw::DdpError::None);
  REQUIRE(t.setup(3 | 1 << 12, one, 8, 6150).err == hw::DdpError::None);
  CHECK(t.lookup(3 | 1 << 12)->closed);
  // Sequence numbers wrap.
  CHECK_FALSE(t.note_completion(7, 0x10));
  REQUIRE(t.setup(7, one, 8, 0xFFFFFFF0u).err == hw::DdpError::None);
  CHECK(t.lookup(7)->closed);
}

TEST_CASE("sgl: DDP table rejects bad SGLs and leaves the slot free", "[sgl][ddp]") {
  hw::DdpTable t;
  t.reset(abi::nvme_tcp_slot_rule(16), 4);
  const std::vector<SgEntry> one{{0x1000, 8}};
  CHECK(t.teardown(2) == hw::DdpError::NotRegistered);

  const auto bad = [&](const std::vector<SgEntry>& v, uint32_t io_len, SglError want) {
    const hw::DdpSetupResult r = t.setup(2, v, io_len);
    CHECK(r.err == hw::DdpError::BadSgl);
    CHECK(r.sgl_err == want);
    CHECK(t.lookup(2) == nullptr);
    CHECK(t.state(2) == hw::DdpState::Free);
  };
  bad(std::vector<SgEntry>(5, {0x1000, 8}), 40, SglError::TooManyEntries);
  bad(std::vector<SgEntry>(5, {0x1000, 8}), 0, SglError::TooManyEntries);  // the count first
  bad({{0x1000, 8}}, 9, SglError::LengthMismatch);
  bad({{0x1000, 0}}, 0, SglError::Empty);
  bad({}, 8, SglError::Empty);
  bad({{0x1000, 0}, {0x2000, 8}}, 8, SglError::ZeroLength);
  bad({{UINT64_MAX - 6, 8}}, 8, SglError::AddressWrap);
  CHECK(t.setup(2, one, 8).err == hw::DdpError::None);

  t.reset(abi::nvme_tcp_slot_rule(16), 4);  // sk_add again: everything free
  CHECK(t.lookup(2) == nullptr);
  CHECK(t.registered() == 0);
}

TEST_CASE("sgl: DDP table matches whole 32-bit tags in the protocol's slot", "[sgl][ddp]") {
  // An index above six colour bits, as Chelsio's DDP tags carry one: tags that differ only in
  // colour, or above the index, share a slot and never match each other.
  hw::DdpTable t;
  const abi::TagSlotRule rule{16, 6};
  t.reset(rule, 4);
  REQUIRE(t.capacity() == 16);
  const std::vector<SgEntry> one{{0x1000, 8}};
  const uint32_t a = 0xABC00000u | 5u << 6 | 0x2A;  // index 5, colour 0x2A
  const uint32_t same_index = 0x12300000u | 5u << 6 | 0x2A;
  const uint32_t other_colour = 0xABC00000u | 5u << 6 | 0x15;
  REQUIRE(rule.slot_of(a) == 5);
  REQUIRE(t.setup(a, one, 8).err == hw::DdpError::None);
  CHECK(t.lookup(a) != nullptr);
  CHECK(t.lookup(a)->io_tag == a);
  CHECK(t.lookup(same_index) == nullptr);
  CHECK(t.lookup(other_colour) == nullptr);
  CHECK(t.setup(same_index, one, 8).err == hw::DdpError::Busy);
  CHECK(t.setup(0xABC00000u | 6u << 6, one, 8).err == hw::DdpError::None);  // next index
  CHECK_FALSE(t.note_completion(other_colour, 100));
  CHECK(t.note_completion(a, 100));
  CHECK(t.teardown(same_index) == hw::DdpError::NotRegistered);
  REQUIRE(t.teardown(a) == hw::DdpError::None);
  REQUIRE(t.finish_teardown(a) == hw::DdpError::None);
  CHECK(t.setup(other_colour, one, 8).err == hw::DdpError::None);
}

TEST_CASE("sgl: DDP table refuses a buffer longer than a slot's length field", "[sgl][ddp]") {
  hw::DdpTable t;
  t.reset(abi::nvme_tcp_slot_rule(4), 4);
  const uint32_t max = hw::DdpContext::kMaxIoLen;
  REQUIRE(max == (1u << 27) - 1);  // 128 MiB less one byte
  const std::vector<SgEntry> big{{0x100000000ull, max}}, bigger{{0x100000000ull, max + 1}};
  CHECK(t.setup(1, bigger, max + 1).err == hw::DdpError::TooLong);
  CHECK(t.state(1) == hw::DdpState::Free);
  REQUIRE(t.setup(1, big, max).err == hw::DdpError::None);
  CHECK(t.lookup(1)->io_len == max);
  CHECK(t.lookup(1)->state == hw::DdpState::Registered);
  CHECK_FALSE(t.lookup(1)->closed);
}
