#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "hw/placement/ddp_table.hpp"
#include "hw/placement/sgl.hpp"

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
void check_range(hw::Sgl& sgl, const std::vector<SgEntry>& v, const std::vector<uint64_t>& ref,
                 uint64_t off, uint32_t len) {
  std::vector<uint64_t> got;
  const SglError e = sgl.translate(off, len, [&](uint64_t addr, uint32_t n) {
    bool inside = false;
    for (const SgEntry& s : v) inside |= addr >= s.addr && addr - s.addr + n <= s.len;
    REQUIRE(inside);
    REQUIRE(n > 0);
    for (uint32_t i = 0; i < n; ++i) got.push_back(addr + i);
  });
  REQUIRE(e == SglError::None);
  REQUIRE(std::equal(got.begin(), got.end(), ref.begin() + off, ref.begin() + off + len));
}

}  // namespace

TEST_CASE("sgl: translate matches a per-byte walk on random unaligned lists", "[sgl]") {
  std::mt19937_64 rng(21);
  for (int iter = 0; iter < 60; ++iter) {
    const std::vector<SgEntry> v = random_sgl(rng, 1 + rng() % 128);
    const std::vector<uint64_t> ref = byte_addresses(v);
    const uint64_t total = ref.size();
    hw::Sgl sgl;
    sgl.assign(v);
    REQUIRE(sgl.validate(128, total) == SglError::None);
    REQUIRE(sgl.total() == total);
    CAPTURE(iter, v.size(), total);

    // Sequential, like placement of consecutive packets (the cursor's case).
    for (uint64_t off = 0; off < total;) {
      const uint32_t len = uint32_t(std::min<uint64_t>(total - off, 1 + rng() % 3000));
      check_range(sgl, v, ref, off, len);
      off += len;
    }
    // Random access, including single bytes at entry edges.
    for (int k = 0; k < 40; ++k) {
      const uint64_t off = rng() % total;
      check_range(sgl, v, ref, off, uint32_t(1 + rng() % (total - off)));
    }
    uint64_t edge = 0;
    for (const SgEntry& e : v) {
      check_range(sgl, v, ref, edge, 1);
      check_range(sgl, v, ref, edge + e.len - 1, 1);
      edge += e.len;
    }
  }
}

TEST_CASE("sgl: one run per entry touched", "[sgl]") {
  hw::Sgl sgl;
  sgl.assign({{0x1000, 100}, {0x1064, 50}, {0x9000, 1}, {0x5003, 4000}});
  std::vector<std::pair<uint64_t, uint32_t>> runs;
  const auto collect = [&](uint64_t a, uint32_t n) { runs.emplace_back(a, n); };
  REQUIRE(sgl.translate(90, 70, collect) == SglError::None);
  CHECK(runs == std::vector<std::pair<uint64_t, uint32_t>>{{0x1000 + 90, 10}, {0x1064, 50},
                                                           {0x9000, 1}, {0x5003, 9}});
}

TEST_CASE("sgl: validation limits and errors", "[sgl]") {
  hw::Sgl sgl;
  const auto check = [&](std::vector<SgEntry> v, uint64_t io_len, SglError want) {
    sgl.assign(v);
    CHECK(sgl.validate(128, io_len) == want);
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
  hw::Sgl sgl;
  sgl.assign({{0x1000, 10}, {0x3000, 10}});
  int calls = 0;
  const auto count = [&](uint64_t, uint32_t) { ++calls; };
  CHECK(sgl.translate(15, 6, count) == SglError::OutOfRange);
  CHECK(sgl.translate(21, 1, count) == SglError::OutOfRange);
  CHECK(sgl.translate(UINT64_MAX, 2, count) == SglError::OutOfRange);
  CHECK(calls == 0);  // nothing emitted before the error
  CHECK(sgl.translate(20, 0, count) == SglError::None);
  CHECK(calls == 0);
  CHECK(sgl.translate(15, 5, count) == SglError::None);
  CHECK(calls == 1);
}

TEST_CASE("sgl: DDP table setup, teardown and CID reuse", "[sgl][ddp]") {
  hw::DdpTable t;
  t.reset(16, 128);
  const std::vector<SgEntry> buf{{0x10000, 4096}, {0x20010, 100}};
  REQUIRE(t.capacity() == 16);

  CHECK(t.lookup(3) == nullptr);
  REQUIRE(t.setup(3, buf, 4196).err == hw::DdpError::None);
  hw::DdpContext* c = t.lookup(3);
  REQUIRE(c != nullptr);
  CHECK(c->io_len == 4196);
  CHECK(c->sgl.size() == 2);
  CHECK(t.registered() == 1);

  CHECK(t.setup(3, buf, 4196).err == hw::DdpError::Busy);  // already registered
  CHECK(t.lookup(3) == c);

  REQUIRE(t.teardown(3) == hw::DdpError::None);
  CHECK(t.lookup(3) == nullptr);  // placement stops at once
  CHECK(t.slot(3)->state == hw::DdpState::TeardownPending);
  CHECK(t.setup(3, buf, 4196).err == hw::DdpError::Busy);  // not before the drain
  CHECK(t.teardown(3) == hw::DdpError::NotRegistered);
  CHECK(t.registered() == 0);

  REQUIRE(t.finish_teardown(3) == hw::DdpError::None);
  CHECK(t.finish_teardown(3) == hw::DdpError::NotRegistered);
  const std::vector<SgEntry> other{{0x70000, 512}};
  REQUIRE(t.setup(3, other, 512).err == hw::DdpError::None);  // CID reused
  CHECK(t.lookup(3)->sgl[0].addr == 0x70000);
}

TEST_CASE("sgl: DDP table rejects out-of-range CIDs and bad SGLs", "[sgl][ddp]") {
  hw::DdpTable t;
  t.reset(16, 4);
  const std::vector<SgEntry> one{{0x1000, 8}};
  CHECK(t.setup(16, one, 8).err == hw::DdpError::CidOutOfRange);
  CHECK(t.setup(0xFFFF, one, 8).err == hw::DdpError::CidOutOfRange);
  CHECK(t.lookup(16) == nullptr);
  CHECK(t.slot(16) == nullptr);
  CHECK(t.teardown(16) == hw::DdpError::CidOutOfRange);
  CHECK(t.teardown(2) == hw::DdpError::NotRegistered);

  const auto bad = [&](const std::vector<SgEntry>& v, uint32_t io_len, SglError want) {
    const hw::DdpSetupResult r = t.setup(2, v, io_len);
    CHECK(r.err == hw::DdpError::BadSgl);
    CHECK(r.sgl_err == want);
    CHECK(t.lookup(2) == nullptr);
    CHECK(t.slot(2)->state == hw::DdpState::Free);
  };
  bad(std::vector<SgEntry>(5, {0x1000, 8}), 40, SglError::TooManyEntries);
  bad({{0x1000, 8}}, 9, SglError::LengthMismatch);
  bad({{0x1000, 0}}, 0, SglError::Empty);
  bad({{0x1000, 0}, {0x2000, 8}}, 8, SglError::ZeroLength);
  CHECK(t.setup(2, one, 8).err == hw::DdpError::None);

  t.reset(16, 4);  // sk_add again: everything free
  CHECK(t.lookup(2) == nullptr);
  CHECK(t.registered() == 0);

  // A full 16-bit CID space: every slot is there, free, whether touched before or not.
  t.reset(65536, 4);
  CHECK(t.capacity() == 65536);
  CHECK(t.slot(60000)->state == hw::DdpState::Free);
  CHECK(t.teardown(60000) == hw::DdpError::NotRegistered);
  CHECK(t.finish_teardown(65535) == hw::DdpError::NotRegistered);
  REQUIRE(t.setup(65535, one, 8).err == hw::DdpError::None);
  CHECK(t.lookup(65535)->io_len == 8);
  CHECK(t.slot(2)->state == hw::DdpState::Free);
  t.reset(8, 4);  // a smaller queue: CIDs beyond it are gone
  CHECK(t.slot(65535) == nullptr);
  CHECK(t.setup(8, one, 8).err == hw::DdpError::CidOutOfRange);
}
