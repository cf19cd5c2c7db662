// The host contract's byte layouts, checked against the offsets the header documents, read back
// here with plain loads (not with the decoder under test).
#include <catch2/catch.hpp>

#include <cstdint>

#include "hw/abi/nic_abi.hpp"

using namespace nic;

TEST_CASE("abi: DDP commands carry a 32-bit I/O tag at byte 4", "[abi]") {
  abi::Cmd c;
  c.op = abi::CmdOp::DdpSetup;
  c.flags = abi::kSetupInlineSgl;
  c.io_tag = 0xDEADBEEF;
  c.flow = 0x01020304;
  c.io_len = 4096;
  c.tag = 0x1122334455667788ull;
  uint8_t b[abi::kCmdSize];
  abi::encode_cmd(c, b);
  CHECK(b[0] == 3);
  CHECK(ld_le32(b + 4) == 0xDEADBEEF);
  CHECK(ld_le32(b + 8) == 0x01020304);
  CHECK(ld_le64(b + 40) == 0x1122334455667788ull);
  const abi::Cmd d = abi::decode_cmd(b);
  CHECK(d.io_tag == 0xDEADBEEF);
  CHECK(d.flow == c.flow);
  CHECK(d.io_len == 4096);
  CHECK(d.tag == c.tag);
}

TEST_CASE("abi: SkAdd names the protocol and, for iSCSI, the data segment limit", "[abi]") {
  abi::Cmd c;
  c.op = abi::CmdOp::SkAdd;
  c.ulp = abi::Ulp::Iscsi;
  c.max_data_seg = 262144;
  c.flags = 3;
  uint8_t b[2 * abi::kCmdSize];
  REQUIRE(abi::cmd_entries(c.op) == 2);
  abi::encode_cmd(c, b);
  CHECK(b[3] == 1);
  CHECK(ld_le32(b + 48) == 262144);
  const abi::Cmd d = abi::decode_cmd(b);
  CHECK(d.ulp == abi::Ulp::Iscsi);
  CHECK(d.max_data_seg == 262144);
  CHECK(abi::known_ulp(d.ulp));
  CHECK_FALSE(abi::known_ulp(abi::Ulp(7)));
}

TEST_CASE("abi: receive completions hold three runs with 32-bit tags and 32-bit frame lengths",
          "[abi]") {
  abi::Cqe c;
  c.type = abi::CqeType::RxPacket;
  c.owner = 1;
  c.flags = abi::cqeflag::PLACED | abi::cqeflag::OFFLOAD;
  c.flow = 7;
  c.rx_off = 0xFFFFFFF0u;
  c.frame_len = 65549;  // a loopback frame at MTU 65536
  c.l4_off = 66;
  c.kept_len = 90;
  c.seq = 0x80000001u;
  c.nruns = 3;
  c.runs[0] = {0, 100, 0xFFFF0001u, 0};
  c.runs[1] = {100, 200, 0x00010000u, 0x10000000u};
  c.runs[2] = {300, 1148, 5, 12345};
  uint8_t b[abi::kCqeSize];
  c.encode(b);
  CHECK(b[0] == 1);
  CHECK(b[1] == 1);
  CHECK(ld_le32(b + 8) == 0xFFFFFFF0u);
  CHECK(ld_le32(b + 12) == 65549);
  CHECK(ld_le16(b + 26) == 66);
  CHECK(ld_le32(b + 16) == 90);
  CHECK(ld_le32(b + 20) == 0x80000001u);
  CHECK(b[25] == 3);
  for (int i = 0; i < 3; ++i) {
    const uint8_t* r = b + 28 + 12 * i;
    CHECK(ld_le16(r) == c.runs[i].payload_off);
    CHECK(ld_le16(r + 2) == c.runs[i].len);
    CHECK(ld_le32(r + 4) == c.runs[i].io_tag);
    CHECK(ld_le32(r + 8) == c.runs[i].buf_off);
  }
  const abi::Cqe d = abi::Cqe::decode(b);
  REQUIRE(d.nruns == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(d.runs[i].payload_off == c.runs[i].payload_off);
    CHECK(d.runs[i].len == c.runs[i].len);
    CHECK(d.runs[i].io_tag == c.runs[i].io_tag);
    CHECK(d.runs[i].buf_off == c.runs[i].buf_off);
  }
  CHECK(d.rx_off == c.rx_off);
  CHECK(d.seq == c.seq);

  // A count beyond what fits is clamped, not read past the entry.
  b[25] = 9;
  CHECK(abi::Cqe::decode(b).nruns == abi::kMaxRunsPerCqe);
}

TEST_CASE("abi: teardown completions name the I/O tag and the command", "[abi]") {
  abi::Cqe c;
  c.type = abi::CqeType::TeardownDone;
  c.flow = 3;
  c.io_tag = 0xCAFEF00D;
  c.tag = 42;
  uint8_t b[abi::kCqeSize];
  c.encode(b);
  CHECK(ld_le32(b + 28) == 0xCAFEF00D);
  CHECK(ld_le64(b + 32) == 42);
  const abi::Cqe d = abi::Cqe::decode(b);
  CHECK(d.io_tag == 0xCAFEF00D);
  CHECK(d.tag == 42);

  abi::Cqe r;
  r.type = abi::CqeType::RxPacket;
  r.flags = abi::cqeflag::RESYNC;
  r.resync_seq = 0xABCDEF01u;
  r.encode(b);
  CHECK(ld_le32(b + 28) == 0xABCDEF01u);
  CHECK(abi::Cqe::decode(b).resync_seq == 0xABCDEF01u);
}

TEST_CASE("abi: the NVMe/TCP slot rule gives every CID below the queue size its own slot",
          "[abi]") {
  const abi::TagSlotRule r = abi::nvme_tcp_slot_rule(100);
  CHECK(r.slots == 128);
  for (uint32_t cid = 0; cid < 128; ++cid) CHECK(r.slot_of(cid) == cid);
  CHECK(r.slot_of(5 | 3 << 12) == 5);  // Linux: tag | generation << 12
  CHECK(abi::nvme_tcp_slot_rule(1).slot_of(0xFFFF) == 0);
  const abi::TagSlotRule shifted{16, 6};
  CHECK(shifted.slot_of(0xFFFFFFFFu) == 15);
  CHECK(shifted.slot_of(3u << 6 | 0x3F) == 3);
}

TEST_CASE("abi: MSI-X registers and table and the message window", "[abi]") {
  using namespace nic::abi;
  // Registers are 32-bit words inside the register space, the table after the scalar ones.
  CHECK(kRegMsixTable >= kRegMsixPba + 8);
  CHECK(kRegSpace == kRegMsixTable + kMsixMaxVectors * 16);
  CHECK(reg_read_only(kRegLimitMaxSg));
  CHECK(reg_read_only(kRegLimitMaxIoLen));
  CHECK(reg_read_only(kRegMsixVectors));
  CHECK(reg_read_only(kRegMsixPba + 4));
  CHECK_FALSE(reg_read_only(kRegCqArm));
  CHECK_FALSE(reg_read_only(kRegCqModTimeNs));
  CHECK_FALSE(reg_read_only(kRegMsixTable + 12));
  // x86: 0xFEE00000 with the destination APIC id in bits 19..12.
  CHECK(msi_address(0) == 0xFEE00000u);
  CHECK(msi_address(5) == 0xFEE05000u);
  CHECK(is_msi_address(0xFEEFFFFCu));
  CHECK_FALSE(is_msi_address(0xFEF00000u));
  CHECK_FALSE(is_msi_address(0xFEDFFFFCu));
}

TEST_CASE("abi: transmit descriptors are address length flags in 16 bytes", "[abi][tx]") {
  abi::TxDesc d;
  d.addr = 0x0123'4567'89AB'CDEFull;
  d.len = 1514;
  d.flags = 0xA5A5'0001u;
  uint8_t p[abi::kTxDescSize + 1];
  p[abi::kTxDescSize] = 0x77;  // the encoder writes 16 bytes, no more
  d.encode(p);
  CHECK(uint64_t(p[0]) == 0xEF);
  CHECK(uint64_t(p[7]) == 0x01);
  CHECK((p[8] | p[9] << 8 | p[10] << 16 | uint32_t(p[11]) << 24) == 1514u);
  CHECK((p[12] | p[13] << 8 | p[14] << 16 | uint32_t(p[15]) << 24) == 0xA5A5'0001u);
  CHECK(p[abi::kTxDescSize] == 0x77);
  const abi::TxDesc back = abi::TxDesc::decode(p);
  CHECK(back.addr == d.addr);
  CHECK(back.len == d.len);
  CHECK(back.flags == d.flags);
}

TEST_CASE("abi: transmit registers sit between the MSI-X scalars and the table", "[abi][tx]") {
  using namespace nic::abi;
  const uint64_t tx[] = {kRegTxRingBase, kRegTxRingBase + 4, kRegTxRingEntries, kRegTxProducer,
                         kRegTxHeadAddr, kRegTxHeadAddr + 4, kRegTxHead, kRegTxMaxFrame};
  for (size_t i = 0; i < std::size(tx); ++i) {
    CHECK(tx[i] % 4 == 0);
    CHECK(tx[i] >= kRegMsixPba + 8);
    CHECK(tx[i] < kRegMsixTable);
    if (i) CHECK(tx[i] > tx[i - 1]);
  }
  CHECK(kRegTxRingBase % 8 == 0);
  CHECK(kRegTxHeadAddr % 8 == 0);
  CHECK(reg_read_only(kRegTxHead));
  CHECK(reg_read_only(kRegTxMaxFrame));
  CHECK_FALSE(reg_read_only(kRegTxProducer));
  CHECK_FALSE(reg_read_only(kRegTxHeadAddr + 4));
}
