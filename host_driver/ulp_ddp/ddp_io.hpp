// What the offload core (host_driver/ulp_ddp/ulp_ddp) keeps per request and per socket. The
// protocol above embeds these in its own connection and request (NVMe/TCP: DriverConn and
// DriverRead), as a Linux ULP embeds its ulp_ddp context: the core sees a tag and a buffer
// list, never the protocol's types.
#pragma once
#include <algorithm>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "hw/abi/nic_abi.hpp"
#include "hw/offload/sgl.hpp"

namespace nic::host {

using hw::SgEntry;

// A request's buffer as a scatter-gather list, as the block layer hands it down.
struct Buffer {
  std::vector<SgEntry> sgl;  // empty: no buffer
  uint64_t length() const {
    uint64_t n = 0;
    for (const SgEntry& e : sgl) n += e.len;
    return n;
  }
};

// True when the list has more entries than a NIC accepts: the request then goes software-only.
inline bool exceeds_sg_limit(const std::vector<SgEntry>& sgl, size_t max_entries) {
  return sgl.size() > max_entries;
}

// Calls f(addr, n, at) for each host memory run of buffer bytes [off, off + len), `at`
// counting from 0.
template <class F>
void for_each_run(const Buffer& b, uint32_t off, uint32_t len, F&& f) {
  uint32_t at = 0;
  for (const SgEntry& e : b.sgl) {
    if (!len) return;
    if (off >= e.len) {
      off -= e.len;
      continue;
    }
    const uint32_t n = std::min(len, e.len - off);
    f(e.addr + off, n, at);
    at += n;
    len -= n;
    off = 0;
  }
}

// One request whose data the NIC may place.
struct DdpIo {
  uint64_t id = 0;      // the protocol's name for it; placed ranges name its buffer so
  uint32_t tag = 0;     // what the NIC places by (NVMe/TCP: the CID; iSCSI: the ITT)
  uint32_t length = 0;
  Buffer buf;
  bool want = false;    // eligible, waiting for its NIC slot or for the socket's sk_add
  bool posted = false;  // setup posted; false again once the NIC released the buffer
  bool teardown_posted = false;
  bool rx_done = false;  // the protocol received all of it: no setup is wanted any more
};

// One offloaded socket.
struct DdpSock {
  // Failed: sk_add refused; Removing/Removed: SkDel after the protocol gave the socket up.
  enum class Off : uint8_t { None, Adding, On, Failed, Removing, Removed } off = Off::None;
  uint32_t handle = 0;     // the NIC's flow handle, from sk_add
  abi::TagSlotRule slot_rule;  // the protocol's: which NIC DDP slot a tag uses
  bool remove = false;     // the protocol gave the socket up: SkDel once no buffer is registered
  std::deque<uint64_t> waiting_setup;  // request ids waiting for sk_add
  // A NIC slot holds one registered buffer (`registered`, by slot); a request whose slot
  // another tag holds waits in `slot_waiters`.
  std::unordered_map<uint32_t, uint64_t> registered;
  std::unordered_map<uint32_t, std::deque<uint64_t>> slot_waiters;
  bool trust_next_crc = true;  // false right after a resync confirmation

  uint32_t slot_of(uint32_t tag) const { return slot_rule.slot_of(tag); }
};

}  // namespace nic::host
