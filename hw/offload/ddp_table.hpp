// Per-flow table of direct data placement (DDP) contexts, as the driver registers them with
// setup(tag, SGL) before sending each read and releases them with teardown(tag).
// Capacity and the tag-to-slot mapping are the protocol's abi::TagSlotRule, given at sk_add
// (hw/abi/nic_abi.hpp). Any 32-bit tag may be registered; a slot holds one registration at a
// time and remembers its tag, so a tag sharing the slot is never matched.
// Memory: one 28-byte slot per slot of the rule; a one-entry SGL lives in its slot, a longer
// one in the table's SglPool (16 bytes per entry), whose freed runs are reused, so
// steady-state setup does not allocate.
// Plain C++ (no SystemC).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "hw/abi/nic_abi.hpp"
#include "hw/offload/sgl.hpp"

namespace nic::hw {

enum class DdpState : uint8_t {
  Free,
  Registered,       // placement allowed
  TeardownPending,  // teardown requested: no new placement, in-flight DMA may still drain
};
const char* to_string(DdpState s);

// One slot, packed into 28 bytes as a context RAM word would be: the one-entry address is
// kept as two halves, and the state and flags share a word with the buffer length, which
// leaves that 27 bits (kMaxIoLen).
struct DdpContext {
  static constexpr uint32_t kMaxIoLen = (1u << 27) - 1;

  union {
    uint32_t addr_half[2] = {0, 0};  // a one-entry SGL: its host address (its length is io_len)
    SglPool::List list;              // a longer one, in the table's pool (pooled)
  };
  // Buffer bytes below this were placed: placement never starts below it, so the NIC writes
  // each byte of a registration at most once, in offset order (a controller sends a read's
  // data once, in offset order; anything else is for software to judge).
  uint32_t placed_end = 0;
  // TCP sequence from which this registration's read can have bytes on the wire (the driver's
  // parse position when it registered): earlier bytes of the tag belong to an older I/O.
  uint32_t valid_from = 0;
  // End of the last completion the NIC saw in order for a tag of this slot (completion_seen),
  // whatever was registered then. A registration whose driver had not parsed it yet is created
  // closed: its I/O, or one sharing the slot, already completed.
  uint32_t completion_end = 0;
  uint32_t io_tag = 0;  // the tag registered (unless Free)
  uint32_t io_len : 27;
  DdpState state : 2;
  // The NIC saw the I/O complete in order (NVMe/TCP: CapsuleResp, or SUCCESS on its last
  // PDU): nothing more is placed into this buffer, even before the driver's teardown arrives,
  // so data of a later I/O that reuses the tag cannot land in it.
  bool closed : 1;
  bool completion_seen : 1;
  bool pooled : 1;  // the SGL has more than one entry: `list`

  DdpContext()
      : io_len(0), state(DdpState::Free), closed(false), completion_seen(false), pooled(false) {}
  uint64_t addr() const { return uint64_t(addr_half[1]) << 32 | addr_half[0]; }
  void set_addr(uint64_t a) {
    addr_half[0] = uint32_t(a);
    addr_half[1] = uint32_t(a >> 32);
  }
};
static_assert(sizeof(DdpContext) == 28, "a DDP slot is 28 bytes");

enum class DdpError : uint8_t {
  None,
  Busy,            // setup: the tag's slot is registered or still tearing down
  NotRegistered,   // teardown: the tag is not registered; finish_teardown: no teardown pending
  BadSgl,          // setup: see the SglError returned alongside
  TooLong,         // setup: io_len above DdpContext::kMaxIoLen
};
const char* to_string(DdpError e);

struct DdpSetupResult {
  DdpError err = DdpError::None;
  SglError sgl_err = SglError::None;
};

class DdpTable {
 public:
  // sk_add: the slots of `rule`, all Free; SGLs are limited to `max_sg_entries`.
  void reset(abi::TagSlotRule rule, uint32_t max_sg_entries);

  // Registers the buffer for `io_tag`; the SGL must describe exactly `io_len` bytes. On any
  // error the slot is unchanged (a busy slot keeps its buffer, a free one stays Free).
  DdpSetupResult setup(uint32_t io_tag, const SgEntry* entries, size_t n, uint32_t io_len,
                       uint32_t valid_from = 0);
  DdpSetupResult setup(uint32_t io_tag, const std::vector<SgEntry>& e, uint32_t io_len,
                       uint32_t valid_from = 0) {
    return setup(io_tag, e.data(), e.size(), io_len, valid_from);
  }
  // A completion of `io_tag` (the protocol's PduFields::ends_io) ending just before TCP
  // sequence `end` passed in order: closes a registration it belongs to, i.e. one of this tag
  // whose driver had not parsed that completion when it registered (end after valid_from).
  // True if it closed one.
  bool note_completion(uint32_t io_tag, uint32_t end);
  // Stops placement for `io_tag` at once (Registered -> TeardownPending). The caller reports
  // teardown_done once its in-flight DMA has drained, then calls finish_teardown.
  DdpError teardown(uint32_t io_tag);
  // TeardownPending -> Free: the slot can be registered again.
  DdpError finish_teardown(uint32_t io_tag);

  // The context placement may use for the I/O tagged `io_tag`: null unless it is Registered.
  DdpContext* lookup(uint32_t io_tag);
  // Where `io_tag` is: Free when another tag holds its slot.
  DdpState state(uint32_t io_tag) const;

  // Calls emit(addr, len) for each host memory run of buffer bytes [buf_off, buf_off + len)
  // of a registration, one run per SG entry touched (SglPool::translate).
  template <class Emit>
  SglError translate(DdpContext& c, uint64_t buf_off, uint32_t len, Emit&& emit) const;

  // The slot `io_tag` uses, and what it holds (whatever its state).
  uint32_t slot_index(uint32_t io_tag) const { return rule_.slot_of(io_tag); }
  // The slot holds a registration (of whichever tag): the valid bit a NIC keeps on chip per
  // slot, so that a free slot costs no fetch of its registration.
  bool slot_valid(uint32_t slot) const { return slots_[slot].state != DdpState::Free; }
  const DdpContext& slot(uint32_t io_tag) const { return slot_of(io_tag); }
  // SG entries of a registration: 1 when the address lives in the slot.
  static uint32_t sg_entries(const DdpContext& c) { return c.pooled ? c.list.size : 1; }
  // The first and last SG entry buffer bytes [buf_off, buf_off + len) of `c` touch (len >= 1,
  // within the buffer).
  std::pair<uint32_t, uint32_t> entries_touched(const DdpContext& c, uint64_t buf_off,
                                                uint32_t len) const {
    if (!c.pooled) return {0, 0};
    return {uint32_t(pool_.find(c.list, buf_off)), uint32_t(pool_.find(c.list, buf_off + len - 1))};
  }

  uint32_t capacity() const { return uint32_t(slots_.size()); }
  uint32_t registered() const { return registered_; }  // slots in state Registered
  // Heap bytes the table holds (slots and pool).
  size_t heap_bytes() const {
    return slots_.capacity() * sizeof(DdpContext) + pool_.heap_bytes();
  }

 private:
  DdpContext& slot_of(uint32_t tag) { return slots_[rule_.slot_of(tag)]; }
  const DdpContext& slot_of(uint32_t tag) const { return slots_[rule_.slot_of(tag)]; }

  std::vector<DdpContext> slots_;
  abi::TagSlotRule rule_;
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
