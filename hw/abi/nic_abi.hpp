// The NIC's host interface: register map, command descriptors the driver posts, and the
// completion entries the NIC writes. Shared by the hardware model and the host driver, so it
// is plain C++ with fixed little-endian layouts (what would be a C header in a real driver).
#pragma once
#include <cstdint>

#include "util/bytes.hpp"

namespace nic::abi {

// --- MMIO registers (byte offsets in the NIC's BAR, 32-bit little-endian writes) ---------
constexpr uint64_t kRegCmdRingBase = 0x00;     // 64-bit: host address of the command ring
constexpr uint64_t kRegCmdRingEntries = 0x08;  // entries (power of two)
constexpr uint64_t kRegCmdProducer = 0x0C;     // doorbell: driver's producer index
constexpr uint64_t kRegCqBase = 0x10;          // 64-bit: host address of the completion ring
constexpr uint64_t kRegCqEntries = 0x18;
constexpr uint64_t kRegCqConsumer = 0x1C;      // driver's consumer index (frees entries)
constexpr uint64_t kRegRxRingBase = 0x20;      // 64-bit: host address of the receive ring
constexpr uint64_t kRegRxRingBytes = 0x28;
constexpr uint64_t kRegRxConsumer = 0x2C;      // bytes of the receive ring the driver freed
// Read-only limits the driver queries at start (ulp_ddp "limits").
constexpr uint64_t kRegLimitMaxSg = 0x30;     // SG entries per registered buffer
constexpr uint64_t kRegLimitFlows = 0x34;     // offloaded connections (flow-table entries)
constexpr uint64_t kRegLimitFullCid = 0x38;   // 1: any 16-bit CID may be registered
constexpr uint64_t kRegSpace = 0x40;

// --- Commands (64-byte entries in the command ring) ---------------------------------------
enum class CmdOp : uint8_t {
  SkAdd = 1,        // start offloading a connection
  SkDel = 2,        // stop
  DdpSetup = 3,     // register a CID's buffer (SGL in host memory)
  DdpTeardown = 4,  // release it; completes with TeardownDone when no DMA is in flight
  Resync = 5,       // confirm a resync request at a TCP sequence
};
constexpr size_t kCmdSize = 64;

struct Cmd {
  CmdOp op = CmdOp::SkAdd;
  uint8_t flags = 0;      // SkAdd: bit0 HDGST, bit1 DDGST; DdpSetup: kSetupInlineSgl
  uint8_t pda = 0;        // SkAdd: host PDA (C2H alignment)
  uint16_t cid = 0;       // DdpSetup/Teardown
  uint32_t flow = 0;      // driver's flow handle, echoed in completions
  // SkAdd: TCP sequence of the next PDU start; Resync: the confirmed header's sequence;
  // DdpSetup: the driver's parse position, from which the read's bytes can arrive.
  uint32_t seq = 0;
  uint32_t queue_size = 0;  // SkAdd: CIDs 0..queue_size-1 may be registered
  uint32_t sg_count = 0;  // DdpSetup: entries at sgl_addr (16 bytes each: addr u64, len u32, 0)
  uint64_t sgl_addr = 0;
  uint32_t io_len = 0;    // DdpSetup: total bytes of the read
  uint64_t tag = 0;       // echoed in the command's completion
  // SkAdd: the connection's 5-tuple as the controller sends it (src = controller).
  uint8_t ip_version = 4;
  uint8_t src_ip[16] = {}, dst_ip[16] = {};
  uint16_t sport = 0, dport = 0;
};
// SkAdd needs the 5-tuple (up to 36 bytes), so it takes two consecutive ring entries.
size_t cmd_entries(CmdOp op);
void encode_cmd(const Cmd& c, uint8_t* p);   // writes cmd_entries(op) * kCmdSize bytes
Cmd decode_cmd(const uint8_t* p);             // reads as many entries as the opcode needs

constexpr size_t kSgEntrySize = 16;
// DdpSetup flag: a one-entry SGL carried in the command itself (sgl_addr = the buffer,
// io_len = its length), so the NIC needs no SGL read.
constexpr uint8_t kSetupInlineSgl = 0x01;

// Buffer slots of a flow added with queue size Q: Q rounded up to a power of two. CID c uses
// slot c % ddp_slots(Q), so CIDs below Q, and Linux's tag | generation << 12 CIDs with a tag
// below Q (Q <= 4096), each have a slot of their own; two CIDs sharing a slot cannot be
// registered at the same time (the second setup is Busy).
constexpr uint32_t ddp_slots(uint32_t queue_size) {
  uint32_t n = 1;
  while (n < queue_size) n <<= 1;
  return n;
}

// --- Completions (64-byte entries in the completion ring) ---------------------------------
enum class CqeType : uint8_t {
  RxPacket = 1,      // a received frame: kept bytes are in the receive ring
  CmdDone = 2,       // a command finished (status says how)
  TeardownDone = 3,  // the NIC will never write this CID's buffer again
};
enum class CmdStatus : uint8_t { Ok = 0, Full = 1, Invalid = 2, TooManySg = 3, Busy = 4 };

namespace cqeflag {
constexpr uint16_t PLACED = 0x01;     // at least one run of this packet was placed
constexpr uint16_t CRC_OK = 0x02;     // see docs: every PDU touched is CRC-tracked and good
constexpr uint16_t RESYNC = 0x04;     // does a PDU header start at resync_seq? (like ConnectX-7)
constexpr uint16_t OFFLOAD = 0x08;    // the frame matched an offloaded flow
constexpr uint16_t CSUM_OK = 0x10;    // IP/TCP checksums verified good
constexpr uint16_t PARSED = 0x20;     // the frame is TCP the NIC parsed
}

constexpr size_t kCqeSize = 64;
constexpr size_t kMaxRunsPerCqe = 3;

// One placed run: payload bytes [payload_off, payload_off+len) of the packet's TCP payload
// went to buffer offset buf_off of command `cid`.
struct PlacedRun {
  uint16_t payload_off = 0;
  uint16_t len = 0;
  uint16_t cid = 0;
  uint32_t buf_off = 0;
};

struct Cqe {
  CqeType type = CqeType::RxPacket;
  uint8_t owner = 0;        // phase bit: flips each time the ring wraps
  uint16_t flags = 0;
  uint32_t flow = 0;        // driver flow handle (offloaded flows), else 0
  uint64_t rx_off = 0;      // RxPacket: receive-ring byte offset of the kept bytes
  uint16_t frame_len = 0;   // RxPacket: frame length on the wire (without FCS)
  uint16_t l4_off = 0;      // RxPacket: offset of the TCP payload in the frame (parsed frames)
  uint32_t kept_len = 0;    // RxPacket: bytes written to the receive ring
  uint32_t seq = 0;         // RxPacket: TCP seq of the packet
  uint32_t resync_seq = 0;  // RxPacket with RESYNC: the candidate header's first byte
  uint64_t tag = 0;         // CmdDone/TeardownDone: the command's tag
  uint8_t status = 0;       // CmdDone: CmdStatus
  uint8_t nruns = 0;
  uint16_t cid = 0;         // TeardownDone
  PlacedRun runs[kMaxRunsPerCqe];

  void encode(uint8_t* p) const;  // kCqeSize bytes
  static Cqe decode(const uint8_t* p);
};

}  // namespace nic::abi
