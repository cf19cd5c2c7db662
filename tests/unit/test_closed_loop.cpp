// The closed loop's NVMe/TCP ends on their own (tb/closed_loop): what the controller answers
// and when, and what the fio-like host issues. Expected PDUs are worked out from the
// NVMe/TCP layout by hand and read back with the protocol's own decoder, digests checked.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "proto/nvme_tcp.hpp"
#include "tb/closed_loop/nvme_initiator.hpp"
#include "tb/closed_loop/nvme_target.hpp"

using namespace nic;
using namespace nic::loop;

namespace {

struct Decoded {
  std::vector<nvme::Pdu> pdus;
};

// Every PDU of a byte stream, each checked (digests included).
std::vector<nvme::Pdu> decode_all(const Bytes& stream, const nvme::ConnParams& cp) {
  nvme::StreamDecoder d(cp);
  d.feed(stream);
  std::vector<nvme::Pdu> out;
  nvme::Pdu p;
  nvme::PduError e = nvme::PduError::None;
  while (d.next(p, e)) {
    REQUIRE(e == nvme::PduError::None);
    out.push_back(p);
  }
  REQUIRE(d.buffered() == 0);
  return out;
}

Bytes command(uint16_t cid, uint32_t length, const nvme::ConnParams& cp) {
  nvme::ReadCmd rd;
  rd.cid = cid;
  rd.length = length;
  rd.nlb = (length + 511) / 512;
  return nvme::encode_capsule_cmd(rd.to_sqe(), cp);
}

}  // namespace

TEST_CASE("closed loop target: ICResp at once and reads after their service time", "[loop]") {
  NvmeTargetParams p;
  p.max_pdu_data = 4096;
  p.service_ps = 10'000'000;  // 10 us
  NvmeTarget t(p);
  nvme::IcReq ic;
  ic.dgst = 3;  // both digests
  t.on_host_bytes(nvme::encode_ic_req(ic), 1000);
  Bytes out;
  const auto write = [&out](ByteView b) { out.insert(out.end(), b.begin(), b.end()); };
  REQUIRE(t.next_ready() == 1000u);
  t.take_ready(1000, write);
  nvme::ConnParams cp;
  cp.hdgst = cp.ddgst = true;
  std::vector<nvme::Pdu> pdus = decode_all(out, cp);
  REQUIRE(pdus.size() == 1);
  CHECK(std::get<nvme::IcResp>(pdus[0].body).dgst == 3);

  Bytes cmds = command(5, 10000, cp);
  const Bytes second = command(7, 4096, cp);
  cmds.insert(cmds.end(), second.begin(), second.end());
  // Split across two arrivals, the second command whole only in the second.
  t.on_host_bytes(ByteView(cmds.data(), 100), 2'000'000);
  t.on_host_bytes(ByteView(cmds.data() + 100, cmds.size() - 100), 3'000'000);
  REQUIRE(t.next_ready() == 12'000'000u);  // the first command's arrival plus 10 us
  out.clear();
  t.take_ready(12'999'999, write);
  pdus = decode_all(out, cp);
  // 10000 bytes in 4096-byte PDUs: 4096 + 4096 + 1808, then the response.
  REQUIRE(pdus.size() == 4);
  const uint32_t datao[] = {0, 4096, 8192}, datal[] = {4096, 4096, 1808};
  for (int i = 0; i < 3; ++i) {
    const auto& h = std::get<nvme::DataHdr>(pdus[i].body);
    CHECK(pdus[i].ch.type == nvme::PduType::C2HData);
    CHECK(h.cccid == 5);
    CHECK(h.datao == datao[i]);
    CHECK(h.datal == datal[i]);
    CHECK(bool(pdus[i].ch.flags & nvme::pduflag::LAST_PDU) == (i == 2));
  }
  CHECK(std::get<nvme::Cqe>(pdus[3].body).cid == 5);
  REQUIRE(t.next_ready() == 13'000'000u);
  out.clear();
  t.take_ready(13'000'000, write);
  pdus = decode_all(out, cp);
  REQUIRE(pdus.size() == 2);
  CHECK(std::get<nvme::DataHdr>(pdus[0].body).datal == 4096);
  CHECK(!t.next_ready());
  CHECK(t.stats().reads == 2);
  CHECK(t.stats().data_bytes == 14096);
  CHECK(t.failure().empty());
}

TEST_CASE("closed loop target: SUCCESS flag ends a read without a response", "[loop]") {
  NvmeTargetParams p;
  p.success_flag = 1.0;
  p.service_ps = 0;
  NvmeTarget t(p);
  t.on_host_bytes(nvme::encode_ic_req({}), 0);
  t.on_host_bytes(command(1, 3000, {}), 0);
  Bytes out;
  t.take_ready(0, [&out](ByteView b) { out.insert(out.end(), b.begin(), b.end()); });
  const std::vector<nvme::Pdu> pdus = decode_all(out, {});
  REQUIRE(pdus.size() == 2);  // ICResp, one C2HData
  CHECK(pdus[1].ch.flags == (nvme::pduflag::LAST_PDU | nvme::pduflag::SUCCESS));
  CHECK(pdus[1].data.size() == 3000);
}

TEST_CASE("closed loop target: read data is the seed's and the read's own", "[loop]") {
  const auto data = [](uint64_t seed, uint32_t conn) {
    NvmeTargetParams p;
    p.seed = seed;
    p.conn = conn;
    p.service_ps = 0;
    NvmeTarget t(p);
    t.on_host_bytes(nvme::encode_ic_req({}), 0);
    t.on_host_bytes(command(1, 512, {}), 0);
    t.on_host_bytes(command(2, 512, {}), 0);
    Bytes out;
    t.take_ready(0, [&out](ByteView b) { out.insert(out.end(), b.begin(), b.end()); });
    const std::vector<nvme::Pdu> pdus = decode_all(out, {});
    REQUIRE(pdus.size() == 5);
    return std::make_pair(pdus[1].data, pdus[3].data);
  };
  const auto a = data(1, 0), b = data(1, 0), c = data(1, 1), d = data(2, 0);
  CHECK(a == b);
  CHECK(a.first != a.second);
  CHECK(a.first != c.first);
  CHECK(a.first != d.first);
}

TEST_CASE("closed loop target: exponential service times have the mean asked for", "[loop]") {
  NvmeTargetParams p;
  p.service_ps = 10'000'000;
  p.service_exponential = true;
  NvmeTarget t(p);
  t.on_host_bytes(nvme::encode_ic_req({}), 0);
  Bytes out;
  const auto write = [&out](ByteView) {};
  t.take_ready(0, write);
  // 20000 samples: the mean's standard error is 10 us / sqrt(20000) = 0.07 us.
  double sum = 0;
  constexpr int kN = 20000;
  for (int i = 0; i < kN; ++i) {
    t.on_host_bytes(command(uint16_t(i % 64), 512, {}), 0);
    sum += double(*t.next_ready());
    t.take_ready(UINT64_MAX, write);
  }
  CHECK(std::abs(sum / kN - 10e6) < 0.4e6);
}

TEST_CASE("closed loop target: a stream that is not NVMe/TCP stops it with a reason", "[loop]") {
  NvmeTarget t({});
  Bytes junk(200, 0x47);
  t.on_host_bytes(junk, 0);
  CHECK(!t.failure().empty());
  CHECK(!t.next_ready());
}

TEST_CASE("closed loop initiator: queue depth and slots reused with generation counters", "[loop]") {
  InitiatorParams p;
  p.queue_depth = 4;
  p.ios = 6;
  p.io_size.sizes = {8192};
  NvmeInitiator app(p);
  Bytes out;
  const auto write = [&out](ByteView b) { out.insert(out.end(), b.begin(), b.end()); };
  app.open(write);
  std::vector<nvme::Pdu> pdus = decode_all(out, {});
  REQUIRE(pdus.size() == 1);
  CHECK(pdus[0].ch.type == nvme::PduType::ICReq);
  out.clear();
  app.ready(1'000'000, write);
  pdus = decode_all(out, {});
  REQUIRE(pdus.size() == 4);
  for (uint16_t i = 0; i < 4; ++i) {
    nvme::ReadCmd rd;
    REQUIRE(nvme::ReadCmd::from_sqe(std::get<nvme::Sqe>(pdus[i].body), rd));
    CHECK(rd.cid == (0x1000 | i));  // the first generation is 1
    CHECK(rd.length == 8192);
    CHECK(rd.nlb == 16);
  }
  CHECK(app.in_flight() == 4);
  out.clear();
  app.completed(0x1002, true, 11'000'000, write);  // 10 us after its issue
  pdus = decode_all(out, {});
  REQUIRE(pdus.size() == 1);
  // Slot 2 again, its generation counter now 2 (Linux's nvme_cid: genctr << 12 | tag).
  CHECK(std::get<nvme::Sqe>(pdus[0].body).cid() == 0x2002);
  app.completed(0x1002, true, 21'000'000, write);  // the old generation: not in flight
  app.completed(0x2002, false, 21'000'000, write);  // 10 us again, failed
  app.completed(0x1009, true, 21'000'000, write);   // not a slot in flight: ignored
  for (uint16_t c : {0x1000, 0x1001, 0x1003}) app.completed(c, true, 31'000'000, write);
  CHECK(app.in_flight() == 1);  // six issued, five done
  CHECK(!app.done());
  app.completed(0x3002, true, 41'000'000, write);
  CHECK(app.done());
  const IoFigures& f = app.figures();
  CHECK(f.reads == 5);
  CHECK(f.errors == 1);
  CHECK(f.bytes == 5 * 8192);
  CHECK(f.first_issue_ps == 1'000'000);
  CHECK(f.last_complete_ps == 41'000'000);
  CHECK(f.clat_ns.min() == 10'000);
  CHECK(f.clat_ns.max() == 30'000);
}
