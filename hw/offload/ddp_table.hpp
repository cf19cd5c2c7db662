// Per-flow table of direct data placement (DDP) contexts, as the driver registers them with
// setup(cid, SGL) before sending each read and releases them with teardown(cid).
// Capacity follows the queue size given at sk_add: abi::ddp_slots(queue size) slots, CID c in
// slot c % slots (hw/abi/nic_abi.hpp). Any 16-bit CID may be registered; a slot holds one
// registration at a time and remembers its CID, so a CID sharing the slot is never matched.
// Memory: one 28-byte slot per CID slot; a one-entry SGL lives in its slot, a longer one in
// the table's SglPool (16 bytes per entry), whose freed runs are reused, so steady-state setup
// does not allocate.
// Plain C++ (no SystemC).
#pragma once
#include <cstdint>
#include <vector>

#include "hw/offload/sgl.hpp"

namespace nic::hw {

enum class DdpState : uint8_t {
  Free,
  Registered,       // placement allowed
  TeardownPending,  // teardown requested: no new placement, in-flight DMA may still drain
};
const char* to_string(DdpState s);

// One slot. Every field is 32 bits or less (the one-entry address is kept as two halves), so
// the slot packs into 28 bytes.
struct DdpContext {
  union {
    uint32_t addr_half[2] = {0, 0};  // a one-entry SGL: its host address (its length is io_len)
    SglPool::List list;              // a longer one, in the table's pool (pooled)
  };
  uint32_t io_len = 0;
  // Buffer bytes below this were placed: placement never starts below it, so the NIC writes
  // each byte of a registration at most once, in offset order (a controller sends a read's
  // data once, in offset order; anything else is for software to judge).
  uint32_t placed_end = 0;
  // TCP sequence from which this registration's read can have bytes on the wire (the driver's
  // parse position when it registered): earlier bytes of the CID belong to an older read.
  uint32_t valid_from = 0;
  // End of the last completion the NIC saw in order for a CID of this slot (completion_seen),
  // whatever was registered then. A registration whose driver had not parsed it yet is created
  // closed: its read, or one sharing the slot, already completed.
  uint32_t completion_end = 0;
  uint16_t cid = 0;  // the CID registered (unless Free)
  DdpState state = DdpState::Free;
  // The NIC saw the read complete in order (CapsuleResp, or SUCCESS on its last PDU): nothing
  // more is placed into this buffer, even before the driver's teardown arrives, so data of a
  // later read that reuses the CID cannot land in it.
  bool closed : 1;
  bool completion_seen : 1;
  bool pooled : 1;  // the SGL has more than one entry: `list`

  DdpContext() : closed(false), completion_seen(false), pooled(false) {}
  uint64_t addr() const { return uint64_t(addr_half[1]) << 32 | addr_half[0]; }
  void set_addr(uint64_t a) {
    addr_half[0] = uint32_t(a);
    addr_half[1] = uint32_t(a >> 32);
  }
};
static_assert(sizeof(DdpContext) == 28, "a DDP slot is 28 bytes");

enum class DdpError : uint8_t {
  None,
  Busy,            // setup: the CID's slot is registered or still tearing down
  NotRegistered,   // teardown: the CID is not registered; finish_teardown: no teardown pending
  BadSgl,          // setup: see the SglError returned alongside
};
const char* to_string(DdpError e);

struct DdpSetupResult {
  DdpError err = DdpError::None;
  SglError sgl_err = SglError::None;
};

class DdpTable {
 public:
  // sk_add: slots for `queue_size` CIDs, all Free; SGLs are limited to `max_sg_entries`.
  void reset(uint32_t queue_size, uint32_t max_sg_entries);

  // Registers the buffer for `cid`; the SGL must describe exactly `io_len` bytes. On any
  // error the slot is unchanged (a busy slot keeps its buffer, a free one stays Free).
  DdpSetupResult setup(uint16_t cid, const SgEntry* entries, size_t n, uint32_t io_len,
                       uint32_t valid_from = 0);
  DdpSetupResult setup(uint16_t cid, const std::vector<SgEntry>& e, uint32_t io_len,
                       uint32_t valid_from = 0) {
    return setup(cid, e.data(), e.size(), io_len, valid_from);
  }
  // A completion of `cid` (CapsuleResp, or SUCCESS on the last data PDU) ending just before
  // TCP sequence `end` passed in order: closes a registration it belongs to, i.e. one of this
  // CID whose driver had not parsed that completion when it registered (end after valid_from).
  // True if it closed one.
  bool note_completion(uint32_t io_tag, uint32_t end);
  // Stops placement for `cid` at once (Registered -> TeardownPending). The caller reports
  // teardown_done once its in-flight DMA has drained, then calls finish_teardown.
  DdpError teardown(uint16_t cid);
  // TeardownPending -> Free: the slot can be registered again.
  DdpError finish_teardown(uint16_t cid);

  // The context placement may use for the I/O tagged `io_tag`: null unless it is Registered.
  // Slots hold 16-bit tags (NVMe/TCP CIDs): a wider tag is never registered, so its data is
  // left to software.
  DdpContext* lookup(uint32_t io_tag);
  // Where `cid` is: Free when another CID holds its slot.
  DdpState state(uint16_t cid) const;

  // Calls emit(addr, len) for each host memory run of buffer bytes [buf_off, buf_off + len)
  // of a registration, one run per SG entry touched (SglPool::translate).
  template <class Emit>
  SglError translate(DdpContext& c, uint64_t buf_off, uint32_t len, Emit&& emit) const;

  uint32_t capacity() const { return uint32_t(slots_.size()); }
  uint32_t registered() const { return registered_; }  // slots in state Registered
  // Heap bytes the table holds (slots and pool).
  size_t heap_bytes() const {
    return slots_.capacity() * sizeof(DdpContext) + pool_.heap_bytes();
  }

 private:
  DdpContext& slot_of(uint32_t tag) { return slots_[tag & mask_]; }
  const DdpContext& slot_of(uint32_t tag) const { return slots_[tag & mask_]; }

  std::vector<DdpContext> slots_;
  uint32_t mask_ = 0;
  uint32_t max_sg_entries_ = 0;
  uint32_t registered_ = 0;
  SglPool pool_;  // SGLs of more than one entry
};

template <class Emit>
SglError DdpTable::translate(DdpContext& c, uint64_t buf_off, uint32_t len, Emit&& emit) const {
  if (c.pooled) return pool_.translate(c.list, buf_off, len, emit);
  if (buf_off > c.io_len || len > c.io_len - buf_off) return SglError::OutOfRange;
  if (len) emit(c.addr() + buf_off, len);
  return SglError::None;
}

}  // namespace nic::hw
