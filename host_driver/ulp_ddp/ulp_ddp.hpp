// The receive-offload core between a protocol and the NIC's device driver: what Linux's
// net/core/ulp_ddp and the mlx5e nvmeotcp glue do together. Per socket: sk_add and sk_del; per
// request: setup before its data can arrive and teardown when the protocol is done with it,
// which completes only when the NIC confirms it will not write the buffer again; resync
// requests up to the protocol and its confirmations down; the NIC's slots (one registered
// buffer each, tag t in slot t & mask) with the requests waiting for one; and, per received
// frame, the frame rebuilt from the bytes the NIC kept and those it placed.
//
// Protocol-neutral: it sees a tag and a buffer list (DdpIo), never NVMe. What it needs of the
// protocol it asks through UlpOps; commands go to the NIC through a CommandQueue. Plain C++.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "host_driver/host_access.hpp"
#include "host_driver/nic/nic_interfaces.hpp"
#include "host_driver/ulp_ddp/ddp_io.hpp"
#include "proto/net.hpp"
#include "util/bytes.hpp"

namespace nic::host {

// What the core asks of the protocol above it (as Linux's ulp_ddp_ulp_ops).
class UlpOps {
 public:
  // The live request of this id; null once the protocol completed it.
  virtual DdpIo* io(uint64_t id) = 0;
  // `io` may register now (its socket came up, or its slot came free): the protocol calls
  // UlpDdp::setup if it still wants to.
  virtual void try_setup(DdpIo& io) = 0;
  // The registration of `io` ended: the protocol's next request of its tag may register.
  virtual void tag_free(DdpIo& io) = 0;
  // The NIC will not write the buffer of `io` again: the protocol may complete it.
  virtual void released(DdpIo& io) = 0;
  // The NIC asks whether a message starts at TCP sequence `seq`; the protocol answers only
  // yes, through UlpDdp::resync.
  virtual void resync_request(DdpSock& s, uint32_t seq) = 0;

 protected:
  ~UlpOps() = default;
};

struct SkConfig {
  net::FiveTuple c2h;       // as the peer sends (src = the peer)
  uint32_t seq = 0;         // TCP sequence where the next message starts
  uint8_t flags = 0;        // abi SkAdd flags: which digests the NIC checks
  uint8_t pda = 0;          // data alignment of the peer's messages
  uint32_t queue_size = 0;  // the NIC sizes the socket's DDP slots by it
  abi::TagSlotRule slot_rule;  // the protocol's rule for them (the NIC applies the same)
  abi::Ulp ulp = abi::Ulp::NvmeTcp;  // how the NIC frames the socket's stream
  uint32_t max_data_seg = 0;  // iSCSI: the largest data segment the host accepts
};

// The SkAdd command for a socket.
abi::Cmd sk_add_command(const SkConfig& cfg, uint32_t handle);
// An SGL as the NIC reads it from host memory (abi::kSgEntrySize bytes per entry).
Bytes encode_sgl(const std::vector<SgEntry>& sgl);

// The names Linux exposes for the offload (rx_nvmeotcp_*), plus the core's own.
struct DdpCounters {
  uint64_t sk_add = 0, sk_add_fail = 0, sk_del = 0;
  uint64_t ddp_setup = 0, ddp_setup_fail = 0, ddp_teardown = 0;
  uint64_t resync = 0;  // resync requests received
  uint64_t resync_confirmed = 0;
  uint64_t packets = 0, bytes = 0;  // frames/bytes of offloaded flows received
  uint64_t ddp_skipped_sg_limit = 0, ddp_skipped_no_offload = 0;
  // Requests whose setup waited for another tag's registration in the same NIC slot.
  uint64_t ddp_slot_waits = 0;
  uint64_t untrusted_crc = 0;  // crc-ok marks masked (first after a resync)
};

class UlpDdp {
 public:
  // SGLs of more than one entry go to host memory from `sgl_area` on.
  UlpDdp(CommandQueue& nic, HostAccess& host, UlpOps& ulp, uint64_t sgl_area);

  // The NIC's limit of SG entries per buffer (the device driver's probe).
  void set_max_sg(uint32_t n) { max_sg_ = n; }

  // Told about every buffer registration posted (sgl set) and every one the NIC refused
  // (sgl null), e.g. for the isolation checker.
  using RegistrationHook =
      std::function<void(uint32_t flow, uint32_t tag, const std::vector<SgEntry>* sgl)>;
  void set_registration_hook(RegistrationHook h) { reg_hook_ = std::move(h); }

  // ---- The protocol's calls.
  void sk_add(DdpSock& s, const SkConfig& cfg);
  // The protocol gave the socket up: SkDel as soon as the NIC holds no buffer of it (the NIC
  // refuses SkDel while any is registered).
  void sk_del(DdpSock& s);
  // Whether `io` (already within the protocol's own size rule) can be offloaded: false if
  // its SGL is over the NIC's limit or the socket's sk_add failed; otherwise it is marked
  // wanted, and true means the protocol may try setup now, false that it waits for sk_add.
  bool want(DdpSock& s, DdpIo& io);
  // Registers the buffer of `io` unless its slot holds another buffer (of the same tag: its
  // end retries `io` through UlpOps::tag_free; of another tag: `io` waits for the slot).
  // `seq`: from where the request's data can arrive.
  void setup(DdpSock& s, DdpIo& io, uint32_t seq);
  void teardown(DdpSock& s, DdpIo& io);  // completes with UlpOps::released
  void resync(DdpSock& s, uint32_t seq);  // confirms a resync request
  bool offloaded(const DdpSock& s) const { return s.off == DdpSock::Off::On; }
  // The socket of a NIC flow handle, if any.
  DdpSock* sock_of(uint32_t handle) const;
  // The request registered for exactly `tag`.
  DdpIo* registered(const DdpSock& s, uint32_t tag);

  // ---- A received frame of socket `s`, with its completion `c`, as the protocol takes it.
  void count_rx(const DdpSock& s, size_t frame_bytes);
  // Hands a resync request the completion carries to the protocol, before the frame's bytes
  // reach its parse (so a header in them can be confirmed).
  void rx_resync(DdpSock& s, const abi::Cqe& c);
  // Whether the frame's crc-ok mark may be believed: not the first after a resync.
  bool trust_crc(DdpSock& s, const abi::Cqe& c);

  // ---- The device driver's completions.
  // The frame as the stack sees it: the kept bytes with the placed runs read back from the
  // buffers they went to (valid until the next call).
  ByteView rebuild(const abi::Cqe& c, ByteView kept);
  void cmd_done(const abi::Cqe& c);
  void teardown_done(const abi::Cqe& c);

  const DdpCounters& counters() const { return ctr_; }

 private:
  enum class Kind : uint8_t { SkAdd, SkDel, Setup, Teardown, Resync };
  struct Pending {
    Kind kind;
    DdpSock* sock;
    uint64_t io;  // request id (Setup, Teardown)
  };

  void post(const abi::Cmd& m, Kind kind, DdpSock& s, uint64_t io);
  void maybe_remove(DdpSock& s);
  void unregister(DdpSock& s, DdpIo& io);
  DdpIo* io_in(const std::unordered_map<uint32_t, uint64_t>& by_slot, uint32_t slot);
  void read_buffer(const DdpIo* io, uint32_t off, uint8_t* out, size_t n) const;  // none: no-op
  // Where a request's SGL goes when it does not fit in the setup command itself.
  uint64_t sgl_slot_bytes() const { return uint64_t(max_sg_) * abi::kSgEntrySize; }
  uint64_t sgl_slot(uint64_t io) const { return sgl_area_ + (io % 65536) * sgl_slot_bytes(); }

  CommandQueue& nic_;
  HostAccess& host_;
  UlpOps& ulp_;
  const uint64_t sgl_area_;
  uint32_t max_sg_ = 0;
  uint32_t next_handle_ = 1;
  std::unordered_map<uint32_t, DdpSock*> by_handle_;
  std::unordered_map<uint64_t, Pending> pending_;  // by command tag
  Bytes frame_;  // a rebuilt frame, its storage kept for the next one
  RegistrationHook reg_hook_;
  DdpCounters ctr_;
};

}  // namespace nic::host
