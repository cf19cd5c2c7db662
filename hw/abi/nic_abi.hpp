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
constexpr uint64_t kRegLimitFullTag = 0x38;   // 1: any 32-bit tag may be registered
constexpr uint64_t kRegLimitMaxIoLen = 0x3C;  // bytes of one registered buffer, at most
// Interrupts (hw/irq/MsixController): the completion ring signals one MSI-X vector, with
// moderation (docs/architecture.md, "Interrupts").
constexpr uint64_t kRegMsixVectors = 0x40;  // read-only: entries of the MSI-X table
constexpr uint64_t kRegCqMsixVector = 0x44;  // the completion ring's vector (a table index)
// Moderation: a message goes when kRegCqModCount un-signalled completions are waiting (0: no
// count trigger) or kRegCqModTimeNs after the first of them was written (0: at once), whichever
// comes first, and only while the vector is armed.
constexpr uint64_t kRegCqModTimeNs = 0x48;
constexpr uint64_t kRegCqModCount = 0x4C;
// Re-arm doorbell (NAPI done): the driver writes its completion consumer index (free-running).
// Firing disarms the vector; completions past that index signal again once it is re-armed.
constexpr uint64_t kRegCqArm = 0x50;
constexpr uint64_t kRegMsixPba = 0x58;  // read-only, 64-bit: pending bit i of vector i
// Transmit (hw/tx/TxEngine): a ring of kTxDescSize descriptors the driver fills and the NIC
// consumes. Writing the base or the size restarts the ring empty at index 0, which the driver
// does only while it is idle. The NIC writes its consumer index (free-running, 32-bit
// little-endian) to kRegTxHeadAddr after frames have been read from host memory (head
// write-back), so the driver learns which descriptors and buffers are free without an MMIO
// read; 0 there: no write-back.
constexpr uint64_t kRegTxRingBase = 0x60;     // 64-bit: host address of the transmit ring
constexpr uint64_t kRegTxRingEntries = 0x68;  // entries (power of two)
constexpr uint64_t kRegTxProducer = 0x6C;     // doorbell: descriptors posted (free-running)
constexpr uint64_t kRegTxHeadAddr = 0x70;     // 64-bit: host address of the head write-back
constexpr uint64_t kRegTxHead = 0x78;         // read-only: the NIC's consumer index
constexpr uint64_t kRegTxMaxFrame = 0x7C;     // read-only: the longest frame a descriptor takes
// The MSI-X table (PCI 3.0 layout): per vector message address low, high, message data, vector
// control (bit 0 masked; every vector is masked at reset).
constexpr uint64_t kRegMsixTable = 0x100;
constexpr uint64_t kMsixEntrySize = 16;
constexpr uint32_t kMsixMaxVectors = 16;
constexpr uint32_t kMsixCtrlMasked = 0x1;
constexpr uint64_t kRegSpace = kRegMsixTable + kMsixMaxVectors * kMsixEntrySize;
constexpr bool reg_read_only(uint64_t off) {
  return (off >= kRegLimitMaxSg && off <= kRegLimitMaxIoLen) || off == kRegMsixVectors ||
         off == kRegMsixPba || off == kRegMsixPba + 4 || off == kRegTxHead ||
         off == kRegTxMaxFrame;
}

// x86 message-signalled interrupts: a 32-bit write to [kMsiAddrBase, + kMsiAddrBytes) (the
// local APICs' window, destination APIC id in bits 19..12) with the vector in data bits 7..0.
// Host memory never sees these writes: the root complex hands them to the interrupt controller.
constexpr uint64_t kMsiAddrBase = 0xFEE00000;
constexpr uint64_t kMsiAddrBytes = 0x100000;
constexpr uint64_t msi_address(uint8_t apic_id) { return kMsiAddrBase | uint64_t(apic_id) << 12; }
constexpr bool is_msi_address(uint64_t a) { return a >= kMsiAddrBase && a < kMsiAddrBase + kMsiAddrBytes; }

// Host memory the host sets aside for the NIC's offload contexts (ConnectX's ICM): the NIC
// reads a flow's context from it on a cache miss and writes a dirty one back. Fixed below
// 4 GiB, clear of the driver's rings and SGLs.
constexpr uint64_t kCtxBackingBase = 0xE0000000;
constexpr uint64_t kCtxBackingBytes = 0x10000000;
// Host memory the host leaves to the NIC for DDP registrations and their SGLs when they live
// behind on-chip caches (ddp_cache): registration (flow-table slot f, DDP slot s) is line
// f * kDdpSlotsMax + s of the lower half, its SGL the same index of the upper half at the SGL's
// stride. Far above the read buffers (the driver's allocator spans [4 GiB, 4 GiB + 1 TiB));
// host memory is sparse, so only what the NIC writes takes room.
constexpr uint64_t kDdpBackingBase = 1ull << 48;
constexpr uint64_t kDdpBackingBytes = 1ull << 48;
constexpr uint64_t kDdpSglBackingBase = kDdpBackingBase + kDdpBackingBytes / 2;
constexpr uint32_t kDdpSlotsMax = 1u << 16;  // SkAdd's largest queue size

// --- Commands (64-byte entries in the command ring) ---------------------------------------
enum class CmdOp : uint8_t {
  SkAdd = 1,        // start offloading a connection
  SkDel = 2,        // stop
  DdpSetup = 3,     // register an I/O tag's buffer (SGL in host memory)
  DdpTeardown = 4,  // release it; completes with TeardownDone when no DMA is in flight
  Resync = 5,       // confirm a resync request at a TCP sequence
};
constexpr size_t kCmdSize = 64;

// The storage protocol an offloaded connection speaks (SkAdd).
enum class Ulp : uint8_t { NvmeTcp = 0, Iscsi = 1 };
constexpr bool known_ulp(Ulp u) { return u == Ulp::NvmeTcp || u == Ulp::Iscsi; }

struct Cmd {
  CmdOp op = CmdOp::SkAdd;
  uint8_t flags = 0;      // SkAdd: bit0 header, bit1 data digest; DdpSetup: kSetupInlineSgl
  uint8_t pda = 0;        // SkAdd, NVMe/TCP: host PDA (C2H alignment)
  Ulp ulp = Ulp::NvmeTcp;  // SkAdd
  uint32_t io_tag = 0;    // DdpSetup/Teardown: the I/O tag (NVMe/TCP: CID; iSCSI: ITT)
  uint32_t flow = 0;      // driver's flow handle, echoed in completions
  // SkAdd: TCP sequence of the next PDU start; Resync: the confirmed header's sequence;
  // DdpSetup: the driver's parse position, from which the read's bytes can arrive.
  uint32_t seq = 0;
  uint32_t queue_size = 0;  // SkAdd: sizes the flow's DDP slots (see TagSlotRule)
  uint32_t sg_count = 0;  // DdpSetup: entries at sgl_addr (16 bytes each: addr u64, len u32, 0)
  uint64_t sgl_addr = 0;
  uint32_t io_len = 0;    // DdpSetup: total bytes of the read
  uint64_t tag = 0;       // echoed in the command's completion
  // SkAdd, iSCSI: the initiator's MaxRecvDataSegmentLength, the largest data segment the
  // target may send (0: the RFC's default, 8192).
  uint32_t max_data_seg = 0;
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

// How a flow's I/O tags map to its DDP slots: tag t uses slot (t >> shift) & (slots - 1). A
// slot holds one registration at a time and the whole 32-bit tag it was registered with, so a
// tag sharing the slot is never matched; registering it while the slot is taken is Busy. The
// rule is the protocol's (its slot index is where its tags keep one, as Chelsio's DDP tags
// keep an index above colour bits); the driver applies the same rule to know which
// registrations exclude each other.
struct TagSlotRule {
  uint32_t slots = 1;  // a power of two
  uint8_t shift = 0;
  constexpr uint32_t slot_of(uint32_t tag) const { return (tag >> shift) & (slots - 1); }
};

// Queue size Q rounded up to a power of two.
constexpr uint32_t ddp_slots(uint32_t queue_size) {
  uint32_t n = 1;
  while (n < queue_size) n <<= 1;
  return n;
}

// NVMe/TCP: CID c uses slot c % ddp_slots(Q), so CIDs below Q, and Linux's
// tag | generation << 12 CIDs with a tag below Q (Q <= 4096), each have a slot of their own.
constexpr TagSlotRule nvme_tcp_slot_rule(uint32_t queue_size) {
  return {ddp_slots(queue_size), 0};
}
// iSCSI: the same on the ITT, whose low bits index the initiator's tasks (open-iscsi keeps a
// session age above them; libiscsi counts up).
constexpr TagSlotRule iscsi_slot_rule(uint32_t queue_size) {
  return {ddp_slots(queue_size), 0};
}

// --- Transmit descriptors (16-byte entries in the transmit ring) --------------------------
// Layout (little-endian byte offsets): 0 buffer address (64), 8 length (32), 12 flags (32).
// One descriptor carries one whole frame, without FCS (the MAC appends it): `len` bytes at
// `addr`, at most kRegTxMaxFrame. No flag is defined yet (checksum and segmentation offloads
// would take them); the driver writes 0 and the NIC ignores them. A descriptor of length 0 or
// above the limit is skipped: consumed, nothing sent.
constexpr size_t kTxDescSize = 16;

struct TxDesc {
  uint64_t addr = 0;
  uint32_t len = 0;
  uint32_t flags = 0;

  void encode(uint8_t* p) const {  // kTxDescSize bytes
    st_le64(p, addr);
    st_le32(p + 8, len);
    st_le32(p + 12, flags);
  }
  static TxDesc decode(const uint8_t* p) { return {ld_le64(p), ld_le32(p + 8), ld_le32(p + 12)}; }
};

// --- Completions (64-byte entries in the completion ring) ---------------------------------
enum class CqeType : uint8_t {
  RxPacket = 1,      // a received frame: kept bytes are in the receive ring
  CmdDone = 2,       // a command finished (status says how)
  TeardownDone = 3,  // the NIC will never write this I/O tag's buffer again
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
// went to buffer offset buf_off of the buffer registered for `io_tag`.
struct PlacedRun {
  uint16_t payload_off = 0;
  uint16_t len = 0;
  uint32_t io_tag = 0;
  uint32_t buf_off = 0;
};

// Completion entry layout (little-endian byte offsets):
//   0 type, 1 owner, 2 flags (16), 4 flow (32), 8 rx_off (32), 12 frame_len (32),
//   16 kept_len (32), 20 seq (32), 24 status, 25 nruns, 26 l4_off (16),
//   28.. by type: RxPacket with RESYNC: resync_seq (32); other RxPacket: nruns runs of
//   12 bytes (payload_off 16, len 16, io_tag 32, buf_off 32); CmdDone/TeardownDone:
//   io_tag (32) at 28, the command's tag (64) at 32.

struct Cqe {
  CqeType type = CqeType::RxPacket;
  uint8_t owner = 0;        // phase bit: flips each time the ring wraps
  uint16_t flags = 0;
  uint32_t flow = 0;        // driver flow handle (offloaded flows), else 0
  uint32_t rx_off = 0;      // RxPacket: receive-ring byte offset of the kept bytes
  // 32 bits: a loopback or GRO frame reaches 64 KiB plus headers. A run's payload_off and len
  // stay 16-bit: IP's length fields bound a TCP payload below 64 KiB.
  uint32_t frame_len = 0;   // RxPacket: frame length on the wire (without FCS)
  uint16_t l4_off = 0;      // RxPacket: offset of the TCP payload in the frame (parsed frames)
  uint32_t kept_len = 0;    // RxPacket: bytes written to the receive ring
  uint32_t seq = 0;         // RxPacket: TCP seq of the packet
  uint32_t resync_seq = 0;  // RxPacket with RESYNC: the candidate header's first byte
  uint64_t tag = 0;         // CmdDone/TeardownDone: the command's tag
  uint8_t status = 0;       // CmdDone: CmdStatus
  uint8_t nruns = 0;
  uint32_t io_tag = 0;      // CmdDone of a DDP command, TeardownDone: its I/O tag
  PlacedRun runs[kMaxRunsPerCqe];

  void encode(uint8_t* p) const;  // kCqeSize bytes
  static Cqe decode(const uint8_t* p);
};

}  // namespace nic::abi
