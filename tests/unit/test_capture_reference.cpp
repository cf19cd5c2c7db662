// The reference decode on captures a real host gives (tb/check): without the TCP handshake it
// adopts each connection at ICReq/ICResp; what it cannot follow (a mid-stream join, a port
// not listed, frames with bad checksums) it names, with the reads the trace holds there. The
// generator's truth says what each case must give.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "proto/net.hpp"
#include "tb/check/trace_reference.hpp"
#include "tb/gen/generator.hpp"
#include "tests/unit/impaired_gen.hpp"

using namespace nic;

namespace {

// Both digests, reads split over several PDUs, SUCCESS flags; no impairment: a clean capture.
gen::GenConfig small_trace() {
  gen::GenConfig g = testing::impaired_config();
  g.imp = {};
  g.flows = 2;
  g.ios = 24;
  return g;
}

struct Result {
  gen::Truth truth;
  std::map<std::pair<std::string, uint32_t>, std::string> sha;  // completed reads
  size_t handed = 0;
  std::vector<check::NotFollowed> not_followed, checksum_failures;
};

const net::PortList kNvmePorts{{nvme::kDefaultPort}};

// Generates the trace, lets `edit` drop (false) or change each frame, and decodes the rest,
// as a receiver whose MAC takes frames of at most `max_frame` bytes (0: any).
Result decode(const gen::GenConfig& g, net::PortList ports, const std::function<bool(Bytes&)>& edit,
              size_t max_frame = 0) {
  Result r;
  check::ReferenceDecoder ref(
      [&r](check::ReferenceCommand& c) {
        ++r.handed;
        if (c.completed) r.sha[{c.flow, c.order}] = c.sha256();
      },
      ports);
  ref.set_max_frame(max_frame);
  r.truth = gen::generate(g, [&](uint64_t, ByteView frame) {
    Bytes f(frame.begin(), frame.end());
    if (edit(f)) ref.add(f);
  });
  ref.finish();
  r.not_followed = ref.not_followed();
  r.checksum_failures = ref.checksum_failures();
  return r;
}

bool is_handshake(const Bytes& f) {
  net::ParsedFrame pf;
  return net::parse_frame(f, pf) == net::ParseError::None && pf.payload_len == 0;
}

}  // namespace

TEST_CASE("reference: without the TCP handshake, connections are adopted at ICReq/ICResp", "[reference][capture]") {
  // Every segment without payload goes: SYN, SYN/ACK, ACKs. The ICReq is the first frame left.
  const Result r = decode(small_trace(), kNvmePorts, [](Bytes& f) { return !is_handshake(f); });
  REQUIRE(r.truth.commands.size() == 24);
  CHECK(r.handed == r.truth.commands.size());
  for (const auto& t : r.truth.commands) {
    INFO(t.flow << " read #" << t.order);
    const auto it = r.sha.find({t.flow, t.order});
    REQUIRE(it != r.sha.end());
    CHECK(it->second == t.sha256);
  }
  CHECK(r.not_followed.empty());
  CHECK(r.checksum_failures.empty());
}

TEST_CASE("reference: a capture that starts after the IC exchange names each connection joined mid-stream", "[reference][capture]") {
  // Drop each connection's first four payload segments (ICReq, ICResp, the first commands).
  std::map<net::FiveTuple, int> seen;
  const Result r = decode(small_trace(), kNvmePorts, [&](Bytes& f) {
    net::ParsedFrame pf;
    if (net::parse_frame(f, pf) != net::ParseError::None || !pf.payload_len) return false;
    const net::FiveTuple h2c = pf.tuple.sport == 4420 ? pf.tuple.reversed() : pf.tuple;
    return ++seen[h2c] > 4;
  });
  CHECK(r.sha.empty());
  REQUIRE(r.not_followed.size() == 2);
  for (const check::NotFollowed& n : r.not_followed) {
    CHECK(n.why == check::NotFollowed::Why::MidStream);
    CHECK_FALSE(n.reads_known);
    CHECK(n.port == 4420);
  }
}

TEST_CASE("reference: NVMe/TCP on a port not listed is counted, not followed", "[reference][capture]") {
  const Result r = decode(small_trace(), net::PortList{{4421}}, [](Bytes&) { return true; });
  CHECK(r.handed == 0);
  REQUIRE(r.not_followed.size() == 2);
  uint64_t reads = 0;
  for (const check::NotFollowed& n : r.not_followed) {
    CHECK(n.why == check::NotFollowed::Why::Port);
    CHECK(n.port == 4420);
    reads += n.reads;
  }
  CHECK(reads == r.truth.commands.size());
}

TEST_CASE("reference: frames whose checksums fail are counted against their connection", "[reference][capture]") {
  // Every TCP checksum spoilt, as a capture on a sender with checksum offload has them.
  const Result r = decode(small_trace(), kNvmePorts, [](Bytes& f) {
    net::ParsedFrame pf;
    if (net::parse_frame(f, pf) == net::ParseError::None) f[pf.l4_offset + 16] ^= 0xFF;
    return true;
  });
  CHECK(r.sha.empty());
  REQUIRE(r.checksum_failures.size() == 2);
  REQUIRE(r.not_followed.size() == 2);
  uint64_t reads = 0;
  for (const check::NotFollowed& n : r.not_followed) {
    CHECK(n.why == check::NotFollowed::Why::Checksum);
    CHECK(n.bad_checksum == n.frames);
    reads += n.reads;
  }
  CHECK(reads == r.truth.commands.size());
}

TEST_CASE("reference: a capture on the host, whose own frames carry unfinished checksums, is named", "[reference][capture]") {
  // Only the host's transmissions are spoilt: the controller's arrived over the wire intact.
  const Result r = decode(small_trace(), kNvmePorts, [](Bytes& f) {
    net::ParsedFrame pf;
    if (net::parse_frame(f, pf) == net::ParseError::None && pf.tuple.dport == 4420)
      st_be16(&f[pf.l4_offset + 16], 0);
    return true;
  });
  CHECK(r.sha.empty());
  CHECK(r.checksum_failures.size() == 2);  // a minority of all frames, but all of the host's
  REQUIRE(r.not_followed.size() == 2);
  uint64_t reads = 0;
  for (const check::NotFollowed& n : r.not_followed) {
    CHECK(n.why == check::NotFollowed::Why::Checksum);
    CHECK(n.bad_checksum * 2 < n.frames);
    reads += n.reads;
  }
  CHECK(reads == r.truth.commands.size());
}

TEST_CASE("reference: controller frames longer than the receiver's MAC takes are lost and named", "[reference][capture]") {
  // The generator's full segments are 1514 bytes: a 1000-byte MAC loses every one of them.
  uint64_t long_c2h = 0;
  const auto count = [&](Bytes& f) {
    uint16_t sport = 0, dport = 0;
    long_c2h += f.size() > 1000 && net::peek_tcp_ports(f, sport, dport) && sport == 4420;
    return true;
  };
  const Result r = decode(small_trace(), kNvmePorts, count, 1000);
  REQUIRE(long_c2h > 0);
  CHECK(r.sha.empty());
  CHECK(r.checksum_failures.empty());
  REQUIRE(r.not_followed.size() == 2);
  uint64_t reads = 0, oversize = 0;
  for (const check::NotFollowed& n : r.not_followed) {
    CHECK(n.why == check::NotFollowed::Why::Oversize);
    reads += n.reads;
    oversize += n.oversize;
  }
  CHECK(reads == r.truth.commands.size());
  CHECK(oversize == long_c2h);
  // A MAC that takes them loses nothing.
  const Result whole = decode(small_trace(), kNvmePorts, [](Bytes&) { return true; }, 1514);
  CHECK(whole.not_followed.empty());
  CHECK(whole.sha.size() == whole.truth.commands.size());
}
