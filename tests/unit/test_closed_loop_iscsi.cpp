// The closed loop's iSCSI ends on their own (tb/closed_loop): what the target answers to a
// login, a probe and READs, and what the fio-like initiator issues. Expected PDUs are worked
// out from RFC 7143's layout by hand and read back with the protocol's own decoder, digests
// checked.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "proto/iscsi.hpp"
#include "proto/iscsi_login.hpp"
#include "tb/closed_loop/iscsi_initiator.hpp"
#include "tb/closed_loop/iscsi_target.hpp"
#include "tb/closed_loop/read_service.hpp"

using namespace nic;
using namespace nic::loop;

namespace {

const iscsi::ConnParams kLogin{false, false, iscsi::kLoginMaxDataSegment};

// Every PDU of one direction's stream, each checked (digests included); `ff` applies after
// the login, as the stream decoder switches.
std::vector<iscsi::Pdu> decode_all(const Bytes& stream, const iscsi::ConnParams& ff, bool in_login) {
  iscsi::StreamDecoder d(ff, in_login);
  d.feed(stream);
  std::vector<iscsi::Pdu> out;
  iscsi::Pdu p;
  iscsi::PduError e = iscsi::PduError::None;
  while (d.next(p, e)) {
    REQUIRE(e == iscsi::PduError::None);
    out.push_back(p);
  }
  REQUIRE(d.buffered() == 0);
  return out;
}

iscsi::TextKeys keys_of(const iscsi::Pdu& p) {
  iscsi::TextKeys k;
  REQUIRE(iscsi::parse_text(p.data, k) == iscsi::TextError::None);
  return k;
}

Bytes login_req(uint32_t cmdsn, uint32_t expstatsn, const iscsi::TextKeys& keys) {
  iscsi::LoginReq r;
  r.transit = true;
  r.csg = iscsi::kLoginOperationalNegotiation;
  r.nsg = iscsi::kFullFeaturePhase;
  r.isid = 0x023d00000007ull;
  r.itt = 0xc0000000u;
  r.cmdsn = cmdsn;
  r.expstatsn = expstatsn;
  return iscsi::encode_pdu({true, r, {}, iscsi::write_text(keys)}, kLogin);
}

Bytes command(uint32_t itt, uint32_t cmdsn, const iscsi::Cdb& cdb, uint32_t length, bool read,
              const iscsi::ConnParams& cp) {
  iscsi::ScsiCommand c;
  c.read = read;
  c.attr = 1;
  c.itt = itt;
  c.cmdsn = cmdsn;
  c.expected_length = length;
  c.cdb = cdb;
  return iscsi::encode_pdu({false, c, {}, {}}, cp);
}

struct Sink {
  Bytes out;
  Controller::Write write() {
    return [this](ByteView b) { out.insert(out.end(), b.begin(), b.end()); };
  }
};

}  // namespace

TEST_CASE("closed loop iscsi target: login keys, probe, and a READ in Data-In with pad and digests", "[loop]") {
  IscsiTargetParams p;
  p.cmd_window = 8;
  p.service_ps = 10'000'000;  // 10 us
  IscsiTarget t(p);
  // The initiator offers both digests (header: CRC32C or None) and takes Data-In of 1001 bytes.
  const iscsi::TextKeys offer = {{"InitiatorName", "iqn.2024-01.org.nicsim:initiator"},
                                 {"SessionType", "Normal"},
                                 {"TargetName", "iqn.2024-01.org.nicsim:target"},
                                 {"HeaderDigest", "CRC32C,None"},
                                 {"DataDigest", "CRC32C"},
                                 {"MaxRecvDataSegmentLength", "1001"},
                                 {"MaxBurstLength", "16776192"},
                                 {"ErrorRecoveryLevel", "0"}};
  t.on_host_bytes(login_req(100, 500, offer), 1000);
  REQUIRE(t.failure().empty());
  REQUIRE(t.next_ready() == 1000u);
  Sink s;
  t.take_ready(1000, s.write());
  const iscsi::ConnParams ff{true, true, 1001};  // what the target sends from now on
  std::vector<iscsi::Pdu> pdus = decode_all(s.out, ff, true);
  REQUIRE(pdus.size() == 1);
  const auto& lr = std::get<iscsi::LoginResp>(pdus[0].body);
  CHECK(lr.enters_full_feature());
  CHECK(lr.csg == iscsi::kLoginOperationalNegotiation);
  CHECK(lr.isid == 0x023d00000007ull);
  CHECK(lr.itt == 0xc0000000u);
  CHECK(lr.tsih != 0);
  CHECK(lr.statsn == 500);   // from the request's ExpStatSN
  CHECK(lr.expcmdsn == 100);  // the login is immediate: the first command takes its CmdSN
  CHECK(lr.maxcmdsn == 107);
  const iscsi::TextKeys answer = keys_of(pdus[0]);
  CHECK(*iscsi::find_key(answer, "HeaderDigest") == "CRC32C");
  CHECK(*iscsi::find_key(answer, "DataDigest") == "CRC32C");
  CHECK(*iscsi::find_key(answer, "MaxRecvDataSegmentLength") == "262144");
  CHECK(*iscsi::find_key(answer, "TargetPortalGroupTag") == "1");
  CHECK(*iscsi::find_key(answer, "ErrorRecoveryLevel") == "0");
  CHECK(t.session().header_digest);
  CHECK(t.session().data_digest);
  CHECK(t.session().initiator_max_recv == 1001);

  // TEST UNIT READY, then a READ(16) of 5 blocks, commands with a header digest only.
  const iscsi::ConnParams cmd_cp{true, true, IscsiTarget::kMaxRecv};
  Bytes cmds = command(0xc0000001u, 100, iscsi::Cdb{}, 0, false, cmd_cp);
  const Bytes rd = command(0x80001000u, 101, iscsi::make_read16(1ull << 33, 5), 2560, true, cmd_cp);
  cmds.insert(cmds.end(), rd.begin(), rd.end());
  // Split inside the READ's header: it is whole only in the second arrival.
  t.on_host_bytes(ByteView(cmds.data(), 70), 2000);
  t.on_host_bytes(ByteView(cmds.data() + 70, cmds.size() - 70), 3000);
  REQUIRE(t.failure().empty());
  REQUIRE(t.next_ready() == 2000u);  // the probe, at once
  s.out.clear();
  t.take_ready(2000, s.write());
  pdus = decode_all(s.out, ff, false);
  REQUIRE(pdus.size() == 1);
  const auto& probe = std::get<iscsi::ScsiResponse>(pdus[0].body);
  CHECK(probe.status == 0x02);  // CHECK CONDITION: the UNIT ATTENTION of a new session
  CHECK(probe.statsn == 501);
  CHECK(pdus[0].data.size() == 20);
  CHECK(pdus[0].data[2 + 2] == 0x06);  // sense key UNIT ATTENTION
  CHECK(pdus[0].data[2 + 12] == 0x29);

  REQUIRE(t.next_ready() == 10'003'000u);  // the READ's arrival plus 10 us
  s.out.clear();
  t.take_ready(10'003'000, s.write());
  // 2560 bytes in segments of at most 1001: 1001 + 1001 + 558. Each PDU: 48 header, 4 header
  // digest, data, pad to 4 (3, 3, 2), 4 data digest: 1060 + 1060 + 616.
  REQUIRE(s.out.size() == 1060 + 1060 + 616);
  const uint32_t len[] = {1001, 1001, 558}, off[] = {0, 1001, 2002}, pad[] = {3, 3, 2};
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    for (uint32_t k = 0; k < pad[i]; ++k) CHECK(s.out[at + 52 + len[i] + k] == 0);
    at += 52 + len[i] + pad[i] + 4;
  }
  pdus = decode_all(s.out, ff, false);
  REQUIRE(pdus.size() == 3);
  Bytes data;
  for (int i = 0; i < 3; ++i) {
    const auto& d = std::get<iscsi::DataIn>(pdus[i].body);
    CHECK(d.itt == 0x80001000u);
    CHECK(d.datasn == uint32_t(i));
    CHECK(d.buffer_offset == off[i]);
    CHECK(pdus[i].data.size() == len[i]);
    CHECK(d.final == (i == 2));
    CHECK(d.has_status == (i == 2));
    CHECK(d.status == 0);
    CHECK(d.statsn == (i == 2 ? 502u : 0u));
    CHECK(d.expcmdsn == 102);
    CHECK(d.maxcmdsn == 109);
    data.insert(data.end(), pdus[i].data.begin(), pdus[i].data.end());
  }
  // The data is command number 2's (login 0, probe 1) of (seed 1, connection 0).
  ReadService svc(1, 0, 0, false);
  CHECK(data == svc.data(2, 2560));
  CHECK(!t.next_ready());
  CHECK(t.stats().reads == 1);
  CHECK(t.stats().data_pdus == 3);
  CHECK(t.stats().data_bytes == 2560);
  CHECK(t.stats().success_flags == 1);
}

TEST_CASE("closed loop iscsi target: a SCSI Response ends a read when asked and digests stay off", "[loop]") {
  IscsiTargetParams p;
  p.status_pdu = 1.0;
  p.service_ps = 0;
  IscsiTarget t(p);
  t.on_host_bytes(login_req(7, 0, {{"HeaderDigest", "None"}, {"DataDigest", "None"}}), 0);
  t.on_host_bytes(command(0x80001003u, 7, iscsi::make_read10(64, 8), 4096, true, {}), 0);
  Sink s;
  t.take_ready(0, s.write());
  REQUIRE(t.failure().empty());
  // The initiator declared no MaxRecvDataSegmentLength: the RFC's 8192 holds.
  const std::vector<iscsi::Pdu> pdus = decode_all(s.out, {false, false, 8192}, true);
  REQUIRE(pdus.size() == 3);  // Login Response, one Data-In, the SCSI Response
  const auto& d = std::get<iscsi::DataIn>(pdus[1].body);
  CHECK(d.final);
  CHECK(!d.has_status);
  CHECK(pdus[1].data.size() == 4096);
  const auto& r = std::get<iscsi::ScsiResponse>(pdus[2].body);
  CHECK(r.itt == 0x80001003u);
  CHECK(r.status == 0);
  CHECK(r.statsn == 1);
  CHECK(r.expdatasn == 1);
  CHECK(r.expcmdsn == 8);
  CHECK(t.stats().success_flags == 0);
}

TEST_CASE("closed loop iscsi target: streams it does not serve stop it with a reason", "[loop]") {
  IscsiTarget junk({});
  junk.on_host_bytes(Bytes(200, 0x47), 0);
  CHECK(!junk.failure().empty());
  CHECK(!junk.next_ready());

  IscsiTarget mismatch({});
  mismatch.on_host_bytes(login_req(1, 0, {}), 0);
  mismatch.on_host_bytes(command(0x80001000u, 1, iscsi::make_read10(0, 8), 1000, true, {}), 0);
  CHECK(mismatch.failure().find("Expected Data Transfer Length") != std::string::npos);

  IscsiTarget reuse({});
  reuse.on_host_bytes(login_req(1, 0, {}), 0);
  reuse.on_host_bytes(command(0x80001000u, 1, iscsi::make_read10(0, 8), 4096, true, {}), 0);
  reuse.on_host_bytes(command(0x80001000u, 2, iscsi::make_read10(8, 8), 4096, true, {}), 0);
  CHECK(reuse.failure().find("reused") != std::string::npos);
}

TEST_CASE("closed loop iscsi initiator: login, probe, then queue-depth READs with distinct live ITTs", "[loop]") {
  InitiatorParams p;
  p.queue_depth = 4;
  p.ios = 6;
  p.io_size.sizes = {8192};
  p.hdgst = true;
  p.iscsi_max_recv = 65536;
  IscsiInitiator app(p);
  Sink s;
  app.open(s.write());
  const iscsi::ConnParams ff{true, false, iscsi::kMaxDataSegmentLength};
  std::vector<iscsi::Pdu> pdus = decode_all(s.out, ff, true);
  REQUIRE(pdus.size() == 1);
  const auto& lr = std::get<iscsi::LoginReq>(pdus[0].body);
  CHECK(pdus[0].immediate);
  CHECK(lr.transit);
  CHECK(lr.csg == iscsi::kLoginOperationalNegotiation);
  CHECK(lr.nsg == iscsi::kFullFeaturePhase);
  const iscsi::TextKeys keys = keys_of(pdus[0]);
  CHECK(*iscsi::find_key(keys, "HeaderDigest") == "CRC32C");
  CHECK(*iscsi::find_key(keys, "DataDigest") == "None");
  CHECK(*iscsi::find_key(keys, "MaxRecvDataSegmentLength") == "65536");
  const uint32_t cmdsn = lr.cmdsn, statsn = lr.expstatsn;

  // The Login Response's 300 bytes are in; ready: only the probe goes.
  app.received(300, 0, s.write());
  s.out.clear();
  app.ready(1'000'000, s.write());
  pdus = decode_all(s.out, ff, false);
  REQUIRE(pdus.size() == 1);
  const auto& tur = std::get<iscsi::ScsiCommand>(pdus[0].body);
  CHECK(tur.cdb == iscsi::Cdb{});
  CHECK(!tur.read);
  CHECK(tur.itt == IscsiInitiator::kProbeItt);
  CHECK(tur.cmdsn == cmdsn);
  CHECK(tur.expstatsn == statsn + 1);
  // Less than a bare SCSI Response with its header digest (52 bytes): still waiting.
  s.out.clear();
  app.received(300 + 51, 1'500'000, s.write());
  CHECK(s.out.empty());
  CHECK(app.in_flight() == 0);
  app.received(300 + 76, 2'000'000, s.write());
  pdus = decode_all(s.out, ff, false);
  REQUIRE(pdus.size() == 4);
  for (uint32_t i = 0; i < 4; ++i) {
    const auto& c = std::get<iscsi::ScsiCommand>(pdus[i].body);
    CHECK(c.read);
    CHECK(c.final);
    CHECK(c.itt == (0x80001000u | i));  // slot i, its first generation
    CHECK(c.cmdsn == cmdsn + 1 + i);
    CHECK(c.expstatsn == statsn + 2);
    CHECK(c.expected_length == 8192);
    iscsi::ReadCdb rd;
    REQUIRE(iscsi::parse_read(c.cdb, rd));
    CHECK(rd.blocks == 16);
  }
  CHECK(app.in_flight() == 4);

  std::set<uint32_t> live = {0x80001000u, 0x80001001u, 0x80001002u, 0x80001003u};
  s.out.clear();
  app.completed(0x80001002u, true, 12'000'000, s.write());  // 10 us after its issue
  live.erase(0x80001002u);
  pdus = decode_all(s.out, ff, false);
  REQUIRE(pdus.size() == 1);
  const auto& next = std::get<iscsi::ScsiCommand>(pdus[0].body);
  // Slot 2 again with its generation bumped: never the ITT of a read still live.
  CHECK(next.itt == 0x80002002u);
  CHECK(live.insert(next.itt).second);
  CHECK(next.cmdsn == cmdsn + 5);
  CHECK(next.expstatsn == statsn + 3);
  s.out.clear();
  app.completed(0x80001002u, true, 22'000'000, s.write());  // the old generation: not in flight
  app.completed(0x80001009u, true, 22'000'000, s.write());   // never issued: ignored
  CHECK(s.out.empty());
  app.completed(0x80002002u, false, 22'000'000, s.write());  // failed, 10 us after its issue
  live.erase(0x80002002u);
  pdus = decode_all(s.out, ff, false);
  REQUIRE(pdus.size() == 1);  // the sixth and last read, in the slot just freed
  const uint32_t last = std::get<iscsi::ScsiCommand>(pdus[0].body).itt;
  CHECK(last == 0x80003002u);
  CHECK(live.insert(last).second);
  s.out.clear();
  for (uint32_t itt : {0x80001000u, 0x80001001u, 0x80001003u, 0x80003002u})
    app.completed(itt, true, 42'000'000, s.write());
  CHECK(s.out.empty());
  CHECK(app.done());
  const IoFigures& f = app.figures();
  CHECK(f.reads == 5);
  CHECK(f.errors == 1);
  CHECK(f.bytes == 5 * 8192);
  CHECK(f.first_issue_ps == 2'000'000);
  CHECK(f.last_complete_ps == 42'000'000);
  CHECK(f.clat_ns.min() == 10'000);
}
