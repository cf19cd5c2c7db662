#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "proto/crc32c.hpp"
#include "tests/unit/crc_oracle.hpp"

namespace crc = nic::crc32c;

namespace {

using oracle::crc_bitwise;

std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

uint32_t ref_digest(const std::vector<uint8_t>& v) {
  return crc::finish(crc::update_ref(crc::kInit, v.data(), v.size()));
}

}  // namespace

TEST_CASE("crc32c: published known answers", "[crc32c]") {
  // RFC 3720 appendix B.4 and the catalogue check value for "123456789".
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xFF), asc(32), desc(32);
  for (int i = 0; i < 32; ++i) {
    asc[i] = uint8_t(i);
    desc[i] = uint8_t(31 - i);
  }
  const char* check = "123456789";
  const std::vector<uint8_t> digits(check, check + 9);
  // RFC 3720 B.4: an iSCSI SCSI Read (10) command PDU.
  const std::vector<uint8_t> iscsi_read = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

  const std::pair<const std::vector<uint8_t>*, uint32_t> vectors[] = {
      {&digits, 0xE3069283u}, {&zeros, 0x8A9136AAu}, {&ones, 0x62A8AB43u},
      {&asc, 0x46DD794Eu},    {&desc, 0x113FDB5Cu},  {&iscsi_read, 0xD9963A56u},
  };
  for (const auto& [v, want] : vectors) {
    CHECK(crc::compute(v->data(), v->size()) == want);
    CHECK(ref_digest(*v) == want);
    CHECK(crc_bitwise(v->data(), v->size()) == want);
    crc::Running r;
    for (uint8_t b : *v) r.add(&b, 1);
    CHECK(r.value() == want);
  }
  CHECK(crc::compute(nullptr, 0) == 0u);  // empty input: init xor final
}

TEST_CASE("crc32c: dispatch matches the CPU", "[crc32c]") {
#if defined(__x86_64__)
  __builtin_cpu_init();
  CHECK(crc::hw_accelerated() == bool(__builtin_cpu_supports("sse4.2")));
#else
  CHECK_FALSE(crc::hw_accelerated());
#endif
}

TEST_CASE("crc32c: fast path equals reference and bitwise oracle", "[crc32c]") {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    const size_t len = rng() % (seed % 10 == 0 ? 70000 : 600);
    const size_t misalign = rng() % 16;
    auto storage = random_bytes(rng, len + misalign);
    const uint8_t* p = storage.data() + misalign;
    const uint32_t reg = uint32_t(rng());  // arbitrary mid-stream register, not just kInit
    INFO("seed " << seed << " len " << len << " misalign " << misalign);
    REQUIRE(crc::update(reg, p, len) == crc::update_ref(reg, p, len));
    if (len < 4096) REQUIRE(crc::compute(p, len) == crc_bitwise(p, len));
  }
}

TEST_CASE("crc32c: Running over pieces equals one shot", "[crc32c]") {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    std::mt19937_64 rng(seed * 7919);
    const auto data = random_bytes(rng, rng() % 3000);
    crc::Running r;
    size_t off = 0;
    while (off < data.size()) {
      const size_t n = std::min<size_t>(data.size() - off, rng() % 40);  // 0-length pieces too
      r.add(data.data() + off, n);
      off += n;
    }
    REQUIRE(r.value() == ref_digest(data));
    REQUIRE(r.reg() == crc::update_ref(crc::kInit, data.data(), data.size()));
    r.reset();
    CHECK(r.reg() == crc::kInit);
    CHECK(r.value() == 0u);
  }
}

TEST_CASE("crc32c: combine equals digest of the concatenation", "[crc32c]") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed * 104729);
    const auto data = random_bytes(rng, rng() % (seed % 25 == 0 ? 200000 : 2000));
    // Splits at both ends exercise empty pieces.
    size_t split = rng() % (data.size() + 1);
    if (seed % 5 == 0) split = 0;
    if (seed % 5 == 1) split = data.size();
    const uint32_t a = crc::compute(data.data(), split);
    const uint32_t b = crc::compute(data.data() + split, data.size() - split);
    INFO("seed " << seed << " size " << data.size() << " split " << split);
    REQUIRE(crc::combine(a, b, data.size() - split) == ref_digest(data));
  }
}

TEST_CASE("crc32c: combine over huge lengths is associative", "[crc32c]") {
  // (A||B)||C == A||(B||C) needs x^(8(lb+lc)) = x^(8lb) x^(8lc) for lengths far beyond memory.
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    const uint32_t a = uint32_t(rng()), b = uint32_t(rng()), c = uint32_t(rng());
    const uint64_t lb = rng() >> 2, lc = rng() >> 2;
    REQUIRE(crc::combine(crc::combine(a, b, lb), c, lc) ==
            crc::combine(a, crc::combine(b, c, lc), lb + lc));
  }
  CHECK(crc::combine(0x12345678u, 0x9ABCDEF0u, 0) == (0x12345678u ^ 0x9ABCDEF0u));
}
