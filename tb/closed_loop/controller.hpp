// The controller side of one closed-loop connection, whatever its protocol (NvmeTarget,
// IscsiTarget): the network hands it the host's stream in order and asks it for the
// responses it has ready, which it writes to its TCP send stream. Plain C++.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "util/bytes.hpp"

namespace nic::loop {

struct ControllerStats {
  // success_flags: reads whose status rode on their last data PDU (NVMe/TCP's SUCCESS flag,
  // iSCSI's S bit) instead of a response PDU of its own.
  uint64_t commands = 0, reads = 0, data_bytes = 0, data_pdus = 0, success_flags = 0;
};

class Controller {
 public:
  using Write = std::function<void(ByteView)>;
  virtual ~Controller() = default;

  // The host's stream, in order, as it arrived at `now_ps`.
  virtual void on_host_bytes(ByteView bytes, uint64_t now_ps) = 0;
  // When the next response is ready, if one is waiting.
  virtual std::optional<uint64_t> next_ready() const = 0;
  // Hands every response ready at `now_ps` to `write` (the TCP send stream), in ready order.
  virtual void take_ready(uint64_t now_ps, const Write& write) = 0;
  // The host's stream could not be read (another protocol, or a command this controller does
  // not serve): why, empty while all is well.
  virtual const std::string& failure() const = 0;
  virtual const ControllerStats& stats() const = 0;
};

}  // namespace nic::loop
