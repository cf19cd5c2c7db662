// Per-flow table of direct data placement (DDP) contexts, indexed by command ID, as the driver
// registers them with setup(cid, SGL) before sending each read and releases them with
// teardown(cid). Capacity is the queue size given at sk_add: CIDs 0..size-1 (like ConnectX-7,
// which does not accept the full 16-bit range); any other CID is never registered.
// Plain C++ (no SystemC). Slots keep their SGL storage, so steady-state setup does not allocate.
#pragma once
#include <cstdint>
#include <vector>

#include "hw/placement/sgl.hpp"

namespace nic::hw {

enum class DdpState : uint8_t {
  Free,
  Registered,       // placement allowed
  TeardownPending,  // teardown requested: no new placement, in-flight DMA may still drain
};
const char* to_string(DdpState s);

struct DdpContext {
  DdpState state = DdpState::Free;
  // The NIC saw the read complete in order (CapsuleResp, or SUCCESS on its last PDU): nothing
  // more is placed into this buffer, even before the driver's teardown arrives, so data of a
  // later read that reuses the CID cannot land in it.
  bool closed = false;
  // TCP sequence from which this registration's read can have bytes on the wire (the driver's
  // parse position when it registered): earlier bytes of the CID belong to an older read.
  uint32_t valid_from = 0;
  // The last completion of this CID the NIC saw in order, whatever was registered then. A
  // registration that arrives after its read already completed is created closed.
  bool completion_seen = false;
  uint32_t completion_end = 0;
  uint32_t io_len = 0;
  Sgl sgl;
};

enum class DdpError : uint8_t {
  None,
  CidOutOfRange,   // CID >= queue size
  Busy,            // setup: slot registered or still tearing down
  NotRegistered,   // teardown: nothing registered; finish_teardown: no teardown pending
  BadSgl,          // setup: see the SglError returned alongside
};
const char* to_string(DdpError e);

struct DdpSetupResult {
  DdpError err = DdpError::None;
  SglError sgl_err = SglError::None;
};

class DdpTable {
 public:
  // sk_add: `queue_size` slots, all Free; SGLs are limited to `max_sg_entries`.
  void reset(uint32_t queue_size, uint32_t max_sg_entries);

  // Registers the buffer for `cid`; the SGL must describe exactly `io_len` bytes. On any
  // error the slot's state is unchanged (a busy slot keeps its buffer, a free one stays Free).
  DdpSetupResult setup(uint16_t cid, const SgEntry* entries, size_t n, uint32_t io_len,
                       uint32_t valid_from = 0);
  DdpSetupResult setup(uint16_t cid, const std::vector<SgEntry>& e, uint32_t io_len,
                       uint32_t valid_from = 0) {
    return setup(cid, e.data(), e.size(), io_len, valid_from);
  }
  // A completion of `cid` (CapsuleResp, or SUCCESS on the last data PDU) ending just before
  // TCP sequence `end` passed in order: closes a registration it belongs to, i.e. one whose
  // driver had not parsed that completion when it registered (end after valid_from). True if
  // it closed one.
  bool note_completion(uint16_t cid, uint32_t end);
  // Stops placement for `cid` at once (Registered -> TeardownPending). The caller reports
  // teardown_done once its in-flight DMA has drained, then calls finish_teardown.
  DdpError teardown(uint16_t cid);
  // TeardownPending -> Free: the CID can be registered again.
  DdpError finish_teardown(uint16_t cid);

  // The context placement may use for `cid`: null unless Registered.
  DdpContext* lookup(uint16_t cid);
  // The slot in any state (null when out of range), e.g. to see a pending teardown.
  const DdpContext* slot(uint16_t cid) const;

  uint32_t capacity() const { return size_; }
  uint32_t registered() const { return registered_; }  // slots in state Registered

 private:
  // Slots grow up to the highest CID used: CIDs from slots_.size() to size_ are Free and have
  // seen no completion, so an sk_add for a 64K-entry queue touches no memory.
  DdpContext& grow_to(uint16_t cid);
  std::vector<DdpContext> slots_;
  uint32_t size_ = 0;
  uint32_t max_sg_entries_ = 0;
  uint32_t registered_ = 0;
};

}  // namespace nic::hw
