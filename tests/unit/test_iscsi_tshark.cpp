// An independent decode of the iSCSI codec's output: a login that negotiates both digests, a
// READ(10) and its Data-In PDUs go into a pcap, and Wireshark's iSCSI dissector must read
// back every field and find every digest good. Skipped when tshark is not installed.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "proto/iscsi.hpp"
#include "proto/net.hpp"
#include "tb/pcap/pcap_io.hpp"
#include "tests/unit/iscsi_samples.hpp"

using namespace nic;
using namespace nic::iscsi;

namespace {

// One TCP connection, initiator 10.0.0.1:40000 to target 10.0.0.2:3260, after its handshake.
class Capture {
 public:
  explicit Capture(const std::string& path) : w_(path) {
    to_target_.tuple = {net::IpAddr::v4(10, 0, 0, 1), net::IpAddr::v4(10, 0, 0, 2), 40000, 3260};
    to_initiator_.tuple = to_target_.tuple.reversed();
    to_initiator_.src_mac = to_target_.dst_mac;
    to_initiator_.dst_mac = to_target_.src_mac;
    to_target_.seq = 1000;
    to_initiator_.seq = 5000;
    send(to_target_, to_initiator_, {}, net::tcpflag::SYN);
    send(to_initiator_, to_target_, {}, net::tcpflag::SYN | net::tcpflag::ACK);
    send(to_target_, to_initiator_, {}, net::tcpflag::ACK);
  }
  void initiator(const Bytes& b) { send(to_target_, to_initiator_, b, net::tcpflag::ACK); }
  void target(const Bytes& b) { send(to_initiator_, to_target_, b, net::tcpflag::ACK); }
  void close() { w_.close(); }

 private:
  void send(net::FrameSpec& from, const net::FrameSpec& to, const Bytes& payload, uint8_t flags) {
    from.flags = flags;
    from.ack = flags & net::tcpflag::ACK ? to.seq : 0;
    w_.write(ts_ += 1000, net::build_frame(from, payload));
    from.seq += uint32_t(payload.size()) + (flags & net::tcpflag::SYN ? 1 : 0);
  }
  pcap::Writer w_;
  net::FrameSpec to_target_, to_initiator_;
  uint64_t ts_ = 1'700'000'000'000'000'000ull;
};

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes pdu(PduBody body, const ConnParams& cp, Bytes data = {}) {
  Pdu p;
  p.body = std::move(body);
  p.data = std::move(data);
  return encode_pdu(p, cp);
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ::pclose(p);
  return out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("iscsi: tshark's dissector reads a login, a READ and its Data-In", "[iscsi]") {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    WARN("tshark not installed");
    return;
  }
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("nicsim_iscsi_" + std::to_string(::getpid()) + ".pcap"))
                               .string();
  const ConnParams ff{true, true, 262144};
  {
    Capture c(path);
    const auto req = iscsi_samples::final_login<LoginReq>();
    c.initiator(pdu(req, ff,
                    text(std::string("HeaderDigest=CRC32C,None\0DataDigest=CRC32C,None\0"
                                     "MaxRecvDataSegmentLength=262144\0", 80))));
    auto resp = iscsi_samples::final_login<LoginResp>();
    resp.tsih = 1;
    resp.expcmdsn = resp.maxcmdsn = 1;
    c.target(pdu(resp, ff, text(std::string("HeaderDigest=CRC32C\0DataDigest=CRC32C\0", 38))));

    ScsiCommand cmd;
    cmd.read = true;
    cmd.attr = 1;
    cmd.itt = 0x10;
    cmd.expected_length = 1030;
    cmd.cmdsn = 1;
    cmd.expstatsn = 1;
    cmd.cdb = make_read10(64, 2);  // 2 blocks of 515 bytes: odd lengths exercise the pad
    c.initiator(pdu(cmd, ff));

    Bytes both;
    for (uint32_t sn = 0; sn < 2; ++sn) {
      DataIn d;
      d.itt = 0x10;
      d.datasn = sn;
      d.buffer_offset = 515 * sn;
      d.expcmdsn = 2;
      d.maxcmdsn = 33;
      d.final = d.has_status = sn == 1;
      d.statsn = sn == 1 ? 1 : 0;
      const Bytes one = pdu(d, ff, Bytes(515, uint8_t(0x30 + sn)));
      both.insert(both.end(), one.begin(), one.end());
    }
    c.target(both);  // two PDUs in one segment
    c.close();
  }

  const std::string fields =
      "-e iscsi.opcode -e iscsi.initiatortasktag -e iscsi.datasn -e iscsi.bufferOffset "
      "-e iscsi.scsidata.S -e iscsi.datasegmentlength -e iscsi.login.nsg";
  const std::string out = run("tshark -n -r '" + path + "' -Y iscsi -T fields -E 'separator=;' " +
                              fields + " 2>/dev/null");
  const std::string expert = run("tshark -n -r '" + path + "' -V -Y iscsi 2>&1");
  std::filesystem::remove(path);
  INFO(out);

  std::vector<std::string> lines;
  std::istringstream s(out);
  for (std::string l; std::getline(s, l);) lines.push_back(l);
  REQUIRE(lines.size() == 4);
  // opcode; ITT; DataSN; Buffer Offset; S; DataSegmentLength; NSG
  CHECK(lines[0] == "0x03;0x00000001;;;;80;0x03");
  CHECK(lines[1] == "0x23;0x00000001;;;;38;0x03");
  CHECK(lines[2] == "0x01;0x00000010;;;;0;");
  CHECK(lines[3] == "0x25,0x25;0x00000010,0x00000010;0,1;0,515;0,1;515,515;");

  // Login PDUs carry none; the command and both Data-In carry a header digest, the Data-In a
  // data digest over 515 bytes and one pad byte: all five checked and good.
  INFO(expert);
  CHECK(count(expert, "HeaderDigest: 0x") == 3);
  CHECK(count(expert, "DataDigest: 0x") == 2);
  CHECK(count(expert, "(Good CRC32)") == 5);
  CHECK(count(expert, "Malformed") == 0);
}
