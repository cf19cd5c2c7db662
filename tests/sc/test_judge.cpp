// The judge pairs the reference decode's reads with the driver's, in either order: bytes are
// compared as they are when the reference finished first, digests when the driver did.
#include <catch2/catch.hpp>

#include "util/sha256.hpp"
#include "tb/replay/Judge.hpp"

using namespace nic;

namespace {

check::ReferenceCommand ref_read(uint32_t order, const Bytes& data) {
  check::ReferenceCommand e;
  e.flow = "192.168.100.1:40000";
  e.tag = order;
  e.order = order;
  e.length = uint32_t(data.size());
  e.data = data;
  e.bytes_received = e.bytes_covered = data.size();
  e.completed = true;
  return e;
}

host::CommandRecord drv_read(uint32_t order, const Bytes& data, const char* status = "ok") {
  host::CommandRecord c;
  c.flow = "192.168.100.1:40000";
  c.tag = order;
  c.order = order;
  c.length = uint32_t(data.size());
  c.sha256 = sha256_hex(data);
  c.status = status;
  return c;
}

Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 7 + 3);
  return b;
}

}  // namespace

TEST_CASE("judge: exact buffers pass in either order, a wrong byte is named", "[judge]") {
  const Bytes good = pattern(4096);
  Bytes bad = good;
  bad[5] ^= 0x40;
  tb::Judge j;
  j.reference(ref_read(0, good));  // reference first: bytes compared
  j.driver(drv_read(0, good), good);
  j.reference(ref_read(1, good));
  j.driver(drv_read(1, bad), bad);
  j.driver(drv_read(2, good), good);  // driver first: digests compared
  j.reference(ref_read(2, good));
  j.driver(drv_read(3, bad), bad);
  j.reference(ref_read(3, good));
  const tb::Verdict v = j.finish({});
  CHECK(v.checked == 4);
  REQUIRE(v.mismatches.size() == 2);
  CHECK(v.mismatches[0].find("read #1") != std::string::npos);
  CHECK(v.mismatches[0].find("first wrong byte at offset 5, 1 wrong bytes") != std::string::npos);
  CHECK(v.mismatches[0].find(sha256_hex(good)) != std::string::npos);  // the trace's digest
  CHECK(v.mismatches[1].find("read #3") != std::string::npos);
  CHECK(j.waiting() == 0);
}

TEST_CASE("judge: records without a digest (--no-read-digests) are judged in either order", "[judge]") {
  const Bytes good = pattern(2048);
  Bytes bad = good;
  bad[2047] ^= 0x01;
  const auto undigested = [](uint32_t order, const Bytes& data) {
    host::CommandRecord c = drv_read(order, data);
    c.sha256.clear();
    return c;
  };
  tb::Judge j;
  j.driver(undigested(0, good), good);  // driver first: the judge hashes the buffer itself
  j.reference(ref_read(0, good));
  j.driver(undigested(1, bad), bad);
  j.reference(ref_read(1, good));
  j.reference(ref_read(2, good));  // reference first: bytes compared
  j.driver(undigested(2, bad), bad);
  const tb::Verdict v = j.finish({});
  CHECK(v.checked == 3);
  REQUIRE(v.mismatches.size() == 2);
  CHECK(v.mismatches[0].find("read #1") != std::string::npos);
  CHECK(v.mismatches[0].find(sha256_hex(bad)) != std::string::npos);  // the buffer's digest
  CHECK(v.mismatches[1].find("read #2") != std::string::npos);
  CHECK(v.mismatches[1].find(sha256_hex(bad)) != std::string::npos);
}

TEST_CASE("judge: broken reads must fail, late data allows bad_pdu, missing reads are named", "[judge]") {
  const Bytes good = pattern(512);
  tb::Judge j;
  auto broken = ref_read(0, good);
  broken.problem = "framing: PlenTooSmall";
  j.reference(check::ReferenceCommand(broken));
  j.driver(drv_read(0, good, "ok"), good);  // must have failed
  broken.order = 1;
  j.reference(check::ReferenceCommand(broken));
  j.driver(drv_read(1, good, "bad_pdu"), good);
  auto late = ref_read(2, good);
  late.after_late_data = true;
  j.reference(std::move(late));
  j.driver(drv_read(2, Bytes(512, 0), "bad_pdu"), Bytes(512, 0));
  j.reference(ref_read(3, good));  // the driver never finishes it
  j.driver(drv_read(4, good, "digest_error"), good);  // status differs from the trace's
  j.reference(ref_read(4, good));
  const tb::Verdict v = j.finish({"a stray write"});
  CHECK(v.broken == 2);
  CHECK(v.checked == 3);
  REQUIRE(v.mismatches.size() == 4);
  CHECK(v.mismatches[0] == "isolation violation: a stray write");
  CHECK(v.mismatches[1].find("read #0 (cid 0): status ok, but the trace says framing: PlenTooSmall") != std::string::npos);
  CHECK(v.mismatches[2].find("read #4") != std::string::npos);
  CHECK(v.mismatches[2].find("status digest_error, trace says ok") != std::string::npos);
  CHECK(v.mismatches[3].find("read #3") != std::string::npos);
  CHECK(v.mismatches[3].find("never completed by the driver") != std::string::npos);
}
