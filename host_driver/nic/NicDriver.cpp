#include "host_driver/nic/NicDriver.hpp"

#include <algorithm>
#include <stdexcept>

namespace nic::host {

using namespace sc_core;

NicDriver::NicDriver(sc_module_name name, HostMemory& mem, const NicRings& rings,
                     NicDriverClient& client, InterruptController* intc, bool irq_masked)
    : sc_module(name), mmio_port("mmio"), mem_(mem), rings_(rings), client_(client), intc_(intc),
      irq_masked_(irq_masked) {}

// One 32-bit register access through the PCIe link: writes are posted, a read waits for its
// completion (the annotated delay).
bool NicDriver::mmio(tlm::tlm_command cmd, uint64_t off, uint8_t* buf) {
  tlm::tlm_generic_payload& gp = mmio_gp_;
  gp.set_command(cmd);
  gp.set_address(off);
  gp.set_data_ptr(buf);
  gp.set_data_length(4);
  gp.set_streaming_width(4);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = SC_ZERO_TIME;
  mmio_port->b_transport(gp, delay);
  if (delay != SC_ZERO_TIME) wait(delay);
  return gp.is_response_ok();
}

uint32_t NicDriver::mmio_read32(uint64_t off) {
  uint8_t buf[4] = {};
  return mmio(tlm::TLM_READ_COMMAND, off, buf) ? ld_le32(buf) : 0;
}

void NicDriver::mmio_write32(uint64_t off, uint32_t v) {
  uint8_t buf[4];
  st_le32(buf, v);
  mmio(tlm::TLM_WRITE_COMMAND, off, buf);
}

uint32_t NicDriver::probe() {
  const uint32_t max_sg = mmio_read32(abi::kRegLimitMaxSg);
  auto w64 = [&](uint64_t off, uint64_t v) {
    mmio_write32(off, uint32_t(v));
    mmio_write32(off + 4, uint32_t(v >> 32));
  };
  w64(abi::kRegCmdRingBase, rings_.cmd_base);
  mmio_write32(abi::kRegCmdRingEntries, rings_.cmd_entries);
  w64(abi::kRegCqBase, rings_.cq_base);
  mmio_write32(abi::kRegCqEntries, rings_.cq_entries);
  w64(abi::kRegRxRingBase, rings_.rx_base);
  mmio_write32(abi::kRegRxRingBytes, rings_.rx_bytes);
  if (rings_.tx_entries) {
    tx_max_frame_ = std::min(mmio_read32(abi::kRegTxMaxFrame), rings_.tx_buf_bytes);
    w64(abi::kRegTxRingBase, rings_.tx_base);
    mmio_write32(abi::kRegTxRingEntries, rings_.tx_entries);
    w64(abi::kRegTxHeadAddr, rings_.tx_head);
  }
  if (intc_) {
    // pci_alloc_irq_vectors + request_irq: table entry 0 for the completion ring, a message
    // to APIC 0 carrying our vector; unmasked, then armed at consumer index 0.
    vector_ = intc_->allocate_vector();
    if (!vector_) throw std::runtime_error("no free interrupt vector on the host");
    intc_->request_irq(vector_, [this] { msi(); });
    const uint64_t entry = abi::kRegMsixTable;  // vector 0
    w64(entry, abi::msi_address(0));
    mmio_write32(entry + 8, vector_);
    mmio_write32(abi::kRegCqMsixVector, 0);
    mmio_write32(entry + 12, irq_masked_ ? abi::kMsixCtrlMasked : 0);
    mmio_write32(abi::kRegCqArm, cq_consumed_);
  }
  return max_sg;
}

uint64_t NicDriver::post(const abi::Cmd& c) {
  Queued q{c, uint32_t(abi::cmd_entries(c.op))};
  // Tags count commands in posting order, which the backlog keeps.
  q.cmd.tag = next_tag_++;
  backlog_.push_back(q);
  flush_backlog();
  return q.cmd.tag;
}

void NicDriver::flush_backlog() {
  while (!backlog_.empty()) {
    const Queued& q = backlog_.front();
    if (cmd_entries_busy_ + q.entries > rings_.cmd_entries) return;  // wait for CmdDone
    uint8_t buf[2 * abi::kCmdSize];
    abi::encode_cmd(q.cmd, buf);
    for (uint32_t i = 0; i < q.entries; ++i) {
      const uint64_t slot = (cmd_posted_ + i) % rings_.cmd_entries;
      mem_.write(rings_.cmd_base + slot * abi::kCmdSize, buf + i * abi::kCmdSize, abi::kCmdSize);
    }
    cmd_posted_ += q.entries;
    cmd_entries_busy_ += q.entries;
    entries_of_tag_[q.cmd.tag] = q.entries;
    backlog_.pop_front();
    doorbell_due_ = true;
  }
}

void NicDriver::kick() {
  flush_backlog();
  if (doorbell_due_) {
    doorbell_due_ = false;
    mmio_write32(abi::kRegCmdProducer, cmd_posted_);
  }
  flush_tx();
  if (tx_doorbell_due_) {
    tx_doorbell_due_ = false;
    ++ctr_.tx_doorbells;
    mmio_write32(abi::kRegTxProducer, tx_posted_);
  }
}

void NicDriver::send(ByteView frame) {
  if (!rings_.tx_entries) throw std::logic_error("NicDriver::send: no transmit ring");
  if (frame.size > tx_max_frame_) {
    ++ctr_.tx_too_long;
    return;
  }
  if (tx_backlog_.empty() && tx_room()) {
    post_tx(frame);
    return;
  }
  tx_backlog_.emplace_back(frame.begin(), frame.end());
  ++ctr_.tx_backlogged;
}

bool NicDriver::tx_room() {
  if (tx_posted_ - tx_done_ < rings_.tx_entries) return true;
  uint8_t head[4];
  mem_.read(rings_.tx_head, head, 4);  // the NIC's head write-back
  tx_done_ = ld_le32(head);
  return tx_posted_ - tx_done_ < rings_.tx_entries;
}

void NicDriver::post_tx(ByteView frame) {
  const uint32_t slot = tx_posted_ % rings_.tx_entries;
  abi::TxDesc d;
  d.addr = rings_.tx_bufs + uint64_t(slot) * rings_.tx_buf_bytes;
  d.len = uint32_t(frame.size);
  mem_.write(d.addr, frame.data, frame.size);
  uint8_t raw[abi::kTxDescSize];
  d.encode(raw);
  mem_.write(rings_.tx_base + uint64_t(slot) * abi::kTxDescSize, raw, sizeof raw);
  ++tx_posted_;
  ++ctr_.tx_posted;
  tx_doorbell_due_ = true;
}

void NicDriver::flush_tx() {
  while (!tx_backlog_.empty() && tx_room()) {
    post_tx(tx_backlog_.front());
    tx_backlog_.pop_front();
  }
}

void NicDriver::msi() {
  ++ctr_.msis;
  irq_pending_ = true;
  irq_ev_.notify(SC_ZERO_TIME);  // the handler runs in the host thread
}

void NicDriver::service_irq() {
  if (!irq_pending_) return;
  irq_pending_ = false;
  ++ctr_.irqs;
  if (!poll()) ++ctr_.irq_empty_polls;
  mmio_write32(abi::kRegCqArm, cq_consumed_);  // napi_complete: re-arm
}

uint32_t NicDriver::poll() {
  const uint32_t n = rings_.cq_entries;
  uint8_t raw[abi::kCqeSize];
  uint32_t handled = 0;
  for (;;) {
    const uint32_t slot = cq_consumed_ % n;
    const uint8_t phase = uint8_t(((cq_consumed_ / n) & 1) ? 0 : 1);
    mem_.read(rings_.cq_base + uint64_t(slot) * abi::kCqeSize, raw, abi::kCqeSize);
    const abi::Cqe c = abi::Cqe::decode(raw);
    if (c.owner != phase) break;
    ++cq_consumed_;
    ++handled;
    ++ctr_.cqes;
    switch (c.type) {
      case abi::CqeType::RxPacket: on_rx(c, slot); break;
      case abi::CqeType::CmdDone: on_cmd_done(c); break;
      case abi::CqeType::TeardownDone: client_.teardown_done(c); break;
    }
  }
  if (handled) {
    mmio_write32(abi::kRegCqConsumer, cq_consumed_);
    mmio_write32(abi::kRegRxConsumer, rx_freed_);
  }
  return handled;
}

void NicDriver::on_rx(const abi::Cqe& c, uint32_t slot) {
  ++ctr_.rx_frames;
  // The kept bytes, copied out of the receive ring (wrapping at its end), free it at once.
  kept_.resize(c.kept_len);
  const uint64_t ring = rings_.rx_bytes;
  for (uint32_t done = 0; done < c.kept_len;) {
    const uint64_t off = (c.rx_off + done) % ring;
    const uint32_t n = uint32_t(std::min<uint64_t>(c.kept_len - done, ring - off));
    mem_.read(rings_.rx_base + off, kept_.data() + done, n);
    done += n;
  }
  rx_freed_ += c.kept_len;
  client_.rx(c, slot, kept_);
}

void NicDriver::on_cmd_done(const abi::Cqe& c) {
  auto it = entries_of_tag_.find(c.tag);
  if (it == entries_of_tag_.end()) return;
  cmd_entries_busy_ -= it->second;
  entries_of_tag_.erase(it);
  client_.cmd_done(c);
}

}  // namespace nic::host
