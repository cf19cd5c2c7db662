#include "host_driver/HostDriver.hpp"

#include "host_driver/iscsi/iscsi_session.hpp"
#include "host_driver/nvme_tcp/nvme_tcp_session.hpp"

namespace nic::host {

using namespace sc_core;

HostDriver::HostDriver(sc_module_name name, const DriverParams& cfg, uint32_t cq_entries,
                       uint32_t rx_ring_bytes, HostMemory& mem,
                       const net::PortList& nvme_ports, const net::PortList& iscsi_ports,
                       bool keep_data)
    : sc_module(name), mem_(mem),
      nic_("nic", mem,
           {kCmdRingBase, kCmdRingEntries, kCqBase, cq_entries, kRxRingBase, rx_ring_bytes},
           sc_time(cfg.irq_moderation_ns, SC_NS), *this),
      host_(cfg, *this, ddp_,
            [nvme_ports, iscsi_ports](uint16_t port) -> std::unique_ptr<UlpSession> {
              if (nvme_ports.has(port)) return std::make_unique<NvmeTcpSession>();
              if (iscsi_ports.has(port)) return std::make_unique<IscsiSession>();
              return nullptr;
            },
            keep_data),
      ddp_(nic_, *this, host_, kSglBase) {
  wake_ |= nic_.irq_event();
  wake_ |= tx_ev_;
  SC_HAS_PROCESS(HostDriver);
  SC_THREAD(run);
}

DriverCounters HostDriver::counters() const {
  DriverCounters c;
  static_cast<NicDriverCounters&>(c) = nic_.counters();
  static_cast<DdpCounters&>(c) = ddp_.counters();
  static_cast<HostCounters&>(c) = host_.counters();
  return c;
}

void HostDriver::transmit(ByteView frame) {
  Bytes b = tx_spare_.take();
  b.assign(frame.begin(), frame.end());
  tx_q_.push_back(std::move(b));
  tx_ev_.notify(SC_ZERO_TIME);
}

void HostDriver::run() {
  ddp_.set_max_sg(nic_.probe());
  for (;;) {
    wait(wake_);
    while (!tx_q_.empty()) {
      Bytes f = std::move(tx_q_.front());
      tx_q_.pop_front();
      host_.xmit(f);
      tx_spare_.give(std::move(f));  // its storage takes a later frame
    }
    nic_.service_irq();
    nic_.kick();
  }
}

}  // namespace nic::host
