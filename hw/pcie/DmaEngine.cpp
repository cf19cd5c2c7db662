#include "hw/pcie/DmaEngine.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace nic::hw {

DmaEngine::DmaEngine(sc_core::sc_module_name name, ClockDomain& clk, const DmaParams& params)
    : sc_module(name), socket("socket"), clk_(clk), p_(params) {
  if (p_.queue_depth == 0 || p_.engines == 0 || p_.write_ops == 0 || p_.read_ops == 0 ||
      p_.rx_ram_bytes == 0)
    throw std::invalid_argument("DmaEngine: every dma parameter must be > 0");
  socket.register_nb_transport_bw(this, &DmaEngine::nb_transport_bw);
  clk.attach(*this);
}

void DmaEngine::Fifo::push(Job* j) {
  j->next = nullptr;
  (tail ? tail->next : head) = j;
  tail = j;
}

DmaEngine::Job* DmaEngine::Fifo::pop() {
  Job* j = head;
  head = j->next;
  if (!head) tail = nullptr;
  return j;
}

DmaEngine::Job& DmaEngine::submit(bool is_write, uint64_t addr, uint32_t len, Done done) {
  if (free_.empty()) {
    slots_.push_back(std::make_unique<Job>());
    free_.push_back(slots_.back().get());
  }
  Job& j = *free_.back();
  free_.pop_back();
  j.tag.kind = DmaTag::Kind::Other;
  j.times = {};
  j.buf.resize(len);  // keeps its capacity across jobs
  j.set_command(is_write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  j.set_address(addr);
  j.set_data_ptr(j.buf.data());
  j.set_data_length(len);
  j.set_streaming_width(len);
  j.set_byte_enable_ptr(nullptr);
  j.set_byte_enable_length(0);
  j.done = std::move(done);
  j.landed = nullptr;
  j.submitted = clk_.cycle();
  waiting_.push(&j);
  stats_.max_queued = std::max(stats_.max_queued, ++queued_);
  clk_.request_next();
  return j;
}

void DmaEngine::write(uint64_t addr, const uint8_t* data, uint32_t len, Done done,
                      const DmaTag& tag, Done landed) {
  Job& j = submit(true, addr, len, std::move(done));
  j.landed = std::move(landed);
  j.tag.kind = tag.kind;
  j.tag.flow = tag.flow;
  j.tag.io_tag = tag.io_tag;
  j.tag.packet = tag.packet;
  if (len) std::memcpy(j.buf.data(), data, len);
  ram_used_ += len;
  stats_.max_rx_ram_bytes = std::max(stats_.max_rx_ram_bytes, ram_used_);
  ++stats_.write_jobs;
  stats_.bytes_written += len;
}

void DmaEngine::read(uint64_t addr, uint32_t len, Done done) {
  submit(false, addr, len, std::move(done));
  ++stats_.read_jobs;
  stats_.bytes_read += len;
}

DmaEngine::Stall DmaEngine::blocked(const Job& head) const {
  if (req_open_) return Stall::EndReq;
  if (head.is_write()) return write_ops_ >= p_.write_ops ? Stall::WriteOps : Stall::None;
  return read_ops_ >= p_.read_ops ? Stall::ReadOps : Stall::None;
}

void DmaEngine::tick() {
  const uint64_t now = clk_.cycle();
  // Writes whose last TLP has left, then arrived responses: both free operations for this
  // cycle's issue.
  const uint64_t now_ps = clk_.now_ps();
  if (sending_.head && sending_.head->times.sent_ps <= now_ps) {
    while (sending_.head && sending_.head->times.sent_ps <= now_ps) sent(*sending_.pop());
    // Sent times only grow: the new head's is the next edge this queue needs.
    if (sending_.head) clk_.wake_at(sc_core::sc_time::from_value(sending_.head->times.sent_ps));
  }
  while (landed_fifo_.head) complete(*landed_fifo_.pop());

  Stall stall = Stall::None;
  for (uint32_t issued = 0; issued < p_.engines && waiting_.head; ++issued) {
    if (waiting_.head->submitted >= now) break;
    stall = blocked(*waiting_.head);
    if (stall != Stall::None) break;
    issue(*waiting_.pop());
  }
  account_stall(stall, now);
  // A blocked head is woken by the backward path (END_REQ, BEGIN_RESP) or a write's sent
  // time, so only an unblocked queue keeps the clock running.
  if (waiting_.head && stall == Stall::None) clk_.request_next();
}

// Blocked cycles are summed per interval rather than counted per tick, so a stalled engine
// does not need the clock to run.
void DmaEngine::account_stall(Stall s, uint64_t now) {
  const uint64_t n = now - stall_from_;
  if (stall_ == Stall::EndReq) stats_.stall_end_req += n;
  if (stall_ == Stall::WriteOps) stats_.stall_write_ops += n;
  if (stall_ == Stall::ReadOps) stats_.stall_read_ops += n;
  stall_ = s;
  stall_from_ = now;
}

void DmaEngine::issue(Job& j) {
  --queued_;
  ++in_flight_;
  if (j.is_write())
    stats_.max_write_ops = std::max(stats_.max_write_ops, ++write_ops_);
  else
    stats_.max_read_ops = std::max(stats_.max_read_ops, ++read_ops_);
  j.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  j.times.issued_ps = clk_.now_ps();
  tlm::tlm_phase phase = tlm::BEGIN_REQ;
  sc_core::sc_time delay = clk_.lead();  // the request leaves in the domain's cycle
  const tlm::tlm_sync_enum r = socket->nb_transport_fw(j, phase, delay);
  if (r == tlm::TLM_ACCEPTED)
    req_open_ = &j;  // END_REQ follows on the backward path
  if (j.is_write()) {
    // The link stamped when the write's last TLP leaves (END_REQ may follow later only for a
    // read waiting for a tag, so a write's time is known now).
    const bool first = !sending_.head;
    sending_.push(&j);
    if (first) clk_.wake_at(sc_core::sc_time::from_value(j.times.sent_ps));
  }
  if (r == tlm::TLM_COMPLETED || (r == tlm::TLM_UPDATED && phase == tlm::BEGIN_RESP)) landed(j);
}

void DmaEngine::landed(Job& j) {
  landed_fifo_.push(&j);
  clk_.request_next();
}

void DmaEngine::sent(Job& j) {
  --write_ops_;
  ram_used_ -= uint32_t(j.buf.size());
  if (j.done) j.done(ByteView(j.buf), true, j.times);
  j.done = nullptr;
}

void DmaEngine::complete(Job& j) {
  --in_flight_;
  const bool ok = j.is_response_ok();
  stats_.errors += !ok;
  // The slot is freed only after the callback, which may read its buffer and submit jobs.
  if (j.is_write()) {
    if (j.landed) j.landed(ByteView(j.buf), ok, j.times);
    j.landed = nullptr;
  } else {
    --read_ops_;
    if (j.done) j.done(ByteView(j.buf), ok, j.times);
    j.done = nullptr;
  }
  free_.push_back(&j);
}

// The link annotates no delay on the backward path, so phases take effect now.
tlm::tlm_sync_enum DmaEngine::nb_transport_bw(tlm::tlm_generic_payload& gp,
                                              tlm::tlm_phase& phase, sc_core::sc_time&) {
  if (phase == tlm::END_REQ) {
    req_open_ = nullptr;
    clk_.request_next();
    return tlm::TLM_ACCEPTED;
  }
  if (phase == tlm::BEGIN_RESP) {
    if (&gp == req_open_) req_open_ = nullptr;  // BEGIN_RESP implies END_REQ
    landed(static_cast<Job&>(gp));
    return tlm::TLM_COMPLETED;
  }
  SC_REPORT_ERROR(name(), "unexpected phase on the backward path");
  return tlm::TLM_COMPLETED;
}

}  // namespace nic::hw
