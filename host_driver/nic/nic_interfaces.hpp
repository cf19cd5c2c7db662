// The NIC device driver's two faces toward the layers above it (host_driver/nic/NicDriver):
// the command queue they post offload commands to, and the client it hands every completion
// to. Plain C++ in terms of the NIC's ABI only: the device driver knows no protocol above TCP.
#pragma once
#include <cstdint>

#include "hw/abi/nic_abi.hpp"
#include "util/bytes.hpp"

namespace nic::host {

class CommandQueue {
 public:
  // Queues a command for the command ring (it waits there while the ring is full) and returns
  // the tag its CmdDone will carry.
  virtual uint64_t post(const abi::Cmd& c) = 0;

 protected:
  ~CommandQueue() = default;
};

// Called from the device driver's completion poll, in ring order.
class NicDriverClient {
 public:
  // RxPacket: a received frame; `kept` are the bytes the NIC wrote to the receive ring (valid
  // during the call only), its placed runs are in the buffers registered for their tags.
  // `slot`: the entry's completion-ring slot.
  virtual void rx(const abi::Cqe& c, uint32_t slot, ByteView kept) = 0;
  virtual void cmd_done(const abi::Cqe& c) = 0;       // of a command posted through post()
  virtual void teardown_done(const abi::Cqe& c) = 0;  // the NIC will not write a buffer again

 protected:
  ~NicDriverClient() = default;
};

}  // namespace nic::host
