#include "hw/abi/nic_abi.hpp"

#include <cstring>

namespace nic::abi {

size_t cmd_entries(CmdOp op) { return op == CmdOp::SkAdd ? 2 : 1; }

void encode_cmd(const Cmd& c, uint8_t* p) {
  std::memset(p, 0, cmd_entries(c.op) * kCmdSize);
  p[0] = uint8_t(c.op);
  p[1] = c.flags;
  p[2] = c.pda;
  p[3] = uint8_t(c.ulp);
  st_le32(p + 4, c.io_tag);
  st_le32(p + 8, c.flow);
  st_le32(p + 12, c.seq);
  st_le32(p + 16, c.queue_size);
  st_le32(p + 20, c.sg_count);
  st_le64(p + 24, c.sgl_addr);
  st_le32(p + 32, c.io_len);
  st_le64(p + 40, c.tag);
  st_le32(p + 48, c.max_data_seg);
  if (c.op != CmdOp::SkAdd) return;
  uint8_t* q = p + kCmdSize;
  q[0] = c.ip_version;
  st_le16(q + 2, c.sport);
  st_le16(q + 4, c.dport);
  std::memcpy(q + 8, c.src_ip, 16);
  std::memcpy(q + 24, c.dst_ip, 16);
}

Cmd decode_cmd(const uint8_t* p) {
  Cmd c;
  c.op = CmdOp(p[0]);
  c.flags = p[1];
  c.pda = p[2];
  c.ulp = Ulp(p[3]);
  c.io_tag = ld_le32(p + 4);
  c.flow = ld_le32(p + 8);
  c.seq = ld_le32(p + 12);
  c.queue_size = ld_le32(p + 16);
  c.sg_count = ld_le32(p + 20);
  c.sgl_addr = ld_le64(p + 24);
  c.io_len = ld_le32(p + 32);
  c.tag = ld_le64(p + 40);
  c.max_data_seg = ld_le32(p + 48);
  if (c.op == CmdOp::SkAdd) {
    const uint8_t* q = p + kCmdSize;
    c.ip_version = q[0];
    c.sport = ld_le16(q + 2);
    c.dport = ld_le16(q + 4);
    std::memcpy(c.src_ip, q + 8, 16);
    std::memcpy(c.dst_ip, q + 24, 16);
  }
  return c;
}

namespace {
constexpr size_t kRunsAt = 28, kRunSize = 12;
static_assert(kRunsAt + kMaxRunsPerCqe * kRunSize <= kCqeSize, "placed runs fit the entry");
}  // namespace

void Cqe::encode(uint8_t* p) const {
  std::memset(p, 0, kCqeSize);
  p[0] = uint8_t(type);
  p[1] = owner;
  st_le16(p + 2, flags);
  st_le32(p + 4, flow);
  st_le32(p + 8, rx_off);
  st_le32(p + 12, frame_len);
  st_le32(p + 16, kept_len);
  st_le32(p + 20, seq);
  p[24] = status;
  p[25] = nruns;
  st_le16(p + 26, l4_off);
  if (type == CqeType::RxPacket && (flags & cqeflag::RESYNC)) {
    st_le32(p + 28, resync_seq);  // nothing is placed while a candidate is unconfirmed
  } else if (type == CqeType::RxPacket) {
    for (size_t i = 0; i < nruns && i < kMaxRunsPerCqe; ++i) {
      uint8_t* r = p + kRunsAt + kRunSize * i;
      st_le16(r, runs[i].payload_off);
      st_le16(r + 2, runs[i].len);
      st_le32(r + 4, runs[i].io_tag);
      st_le32(r + 8, runs[i].buf_off);
    }
  } else {
    st_le32(p + 28, io_tag);
    st_le64(p + 32, tag);
  }
}

Cqe Cqe::decode(const uint8_t* p) {
  Cqe c;
  c.type = CqeType(p[0]);
  c.owner = p[1];
  c.flags = ld_le16(p + 2);
  c.flow = ld_le32(p + 4);
  c.rx_off = ld_le32(p + 8);
  c.frame_len = ld_le32(p + 12);
  c.kept_len = ld_le32(p + 16);
  c.seq = ld_le32(p + 20);
  c.status = p[24];
  c.nruns = p[25];
  c.l4_off = ld_le16(p + 26);
  if (c.type == CqeType::RxPacket && (c.flags & cqeflag::RESYNC)) {
    c.resync_seq = ld_le32(p + 28);
    c.nruns = 0;
  } else if (c.type == CqeType::RxPacket) {
    if (c.nruns > kMaxRunsPerCqe) c.nruns = kMaxRunsPerCqe;
    for (size_t i = 0; i < c.nruns; ++i) {
      const uint8_t* r = p + kRunsAt + kRunSize * i;
      c.runs[i] = {ld_le16(r), ld_le16(r + 2), ld_le32(r + 4), ld_le32(r + 8)};
    }
  } else {
    c.io_tag = ld_le32(p + 28);
    c.tag = ld_le64(p + 32);
  }
  return c;
}

}  // namespace nic::abi
