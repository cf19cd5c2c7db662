#include "hw/tx/TxEngine.hpp"

#include <algorithm>
#include <string>

namespace nic::hw {

namespace {
bool power_of_two(uint32_t v) { return v && (v & (v - 1)) == 0; }
}  // namespace

TxEngine::TxEngine(sc_core::sc_module_name name, ClockDomain& clk, const ClockDomain& mac_clk,
                   const TxParams& params, const MacParams& mac, DmaEngine& dma)
    : sc_module(name), clk_(clk), mac_period_ps_(mac_clk.period().value()), p_(params), mac_(mac),
      ps_per_byte_(8000.0 / mac.line_rate_gbps), dma_(dma) {
  reg(abi::kRegTxMaxFrame) = p_.max_frame_bytes;
  clk.attach(*this);
}

// ---------------------------------------------------------------------------------------------
// Per-cycle behaviour

void TxEngine::tick() {
  const bool posted = entries_ && reg(abi::kRegTxProducer) != fetched_;
  if (!posted && descs_.empty() && frames_.empty()) return;  // most cycles
  const uint64_t now = clk_.cycle();
  if (!frames_.empty()) retire(now);
  if (posted) fetch();
  if (!descs_.empty()) issue_read(now);
}

// Frames whose wire slot has ended leave for the sink; their buffer space frees.
void TxEngine::retire(uint64_t now) {
  const uint64_t now_ps = clk_.now_ps();
  while (retired_ != head_) {  // frames up to the head have their slot (or are skipped)
    Frame& f = frames_.front();
    if (!f.skip && f.end_ps > now_ps) break;  // woken at its end
    if (f.skip) {
      buffer_used_ -= f.len;  // a failed read's space; a bad descriptor held none
    } else {
      ++stats_.frames;
      stats_.bytes += f.len;
      if (sink_) sink_(ByteView(f.data), f.start_ps, f.end_ps);
      // The MAC's read pointer reaches the core through its synchronisers.
      frees_.push_back({now + mac_.sync_stages, f.len});
    }
    spare_.give(std::move(f.data));
    frames_.pop_front();
    ++retired_;
  }
  in_flight_ = uint32_t(frames_.size());
}

void TxEngine::fetch() {
  const uint32_t posted = reg(abi::kRegTxProducer) - fetched_;
  const uint32_t room = p_.fetch_entries - uint32_t(descs_.size());
  if (fetching_ || !room) return;
  const uint32_t idx = fetched_ % entries_;
  const uint32_t n = std::min({posted, room, entries_ - idx});  // no wrap within a read
  fetching_ = true;
  ++stats_.fetches;
  dma_.read(base_ + uint64_t(idx) * abi::kTxDescSize, n * uint32_t(abi::kTxDescSize),
            [this, n](ByteView d, bool ok, const DmaTimes&) {
              const uint64_t ready = clk_.cycle() + 1;
              for (uint32_t i = 0; i < n; ++i) {
                // A failed read's descriptors are skipped: consumed, nothing sent.
                abi::TxDesc desc;
                if (ok) desc = abi::TxDesc::decode(d.data + i * abi::kTxDescSize);
                descs_.push_back({desc, ready});
              }
              stats_.dma_errors += !ok;
              stats_.descriptors += n;
              fetched_ += n;
              fetching_ = false;
              clk_.request_next();
            });
}

// The next descriptor's frame read, when its bytes fit in the transmit buffer.
void TxEngine::issue_read(uint64_t now) {
  const abi::TxDesc d = descs_.front().d;
  if (descs_.front().ready > now) return;  // its fetch's completion asked for that cycle
  const bool bad = d.len == 0 || d.len > p_.max_frame_bytes;
  if (!bad) {
    while (!frees_.empty() && frees_.front().cycle <= now) {
      buffer_used_ -= frees_.front().bytes;
      frees_.pop_front();
    }
    if (buffer_used_ + d.len > p_.buffer_bytes) {
      if (!stalled_) stalled_since_ = now;
      stalled_ = true;
      // Space comes back as frames leave the wire: retire's edges, then the crossing.
      if (!frees_.empty()) clk_.wake_at(clk_.time_of(frees_.front().cycle));
      return;
    }
    if (!dma_.has_room()) {
      ++stats_.stall_dma_cycles;
      clk_.request_next();  // nothing signals room in the DMA queue: look again
      return;
    }
    if (stalled_) stats_.stall_buffer_cycles += now - stalled_since_;
    stalled_ = false;
  }
  descs_.pop_front();
  const uint32_t index = retired_ + uint32_t(frames_.size());
  Frame& f = frames_.emplace_back();
  in_flight_ = uint32_t(frames_.size());
  f.data = spare_.take();
  if (bad) {
    f.skip = true;
    ++stats_.skipped;
    frame_read(index);
  } else {
    f.len = d.len;
    buffer_used_ += f.len;
    stats_.max_buffer_bytes = std::max(stats_.max_buffer_bytes, buffer_used_);
    dma_.read(d.addr, f.len, [this, index](ByteView data, bool ok, const DmaTimes&) {
      Frame& fr = frames_[index - retired_];
      if (ok)
        fr.data.assign(data.begin(), data.end());
      else
        fr.skip = true;
      stats_.dma_errors += !ok;
      frame_read(index);
    });
  }
  if (!descs_.empty()) clk_.request_next();
}

// Frame `index` is in the buffer (or will not be sent): the consumer index and the MAC's
// schedule advance over every frame read in ring order.
void TxEngine::frame_read(uint32_t index) {
  frames_[index - retired_].read = true;
  const uint64_t now_ps = clk_.now_ps();
  // The write pointer reaches the MAC domain through its synchronisers.
  const uint64_t seen_ps = (now_ps / mac_period_ps_ + 1 + mac_.sync_stages) * mac_period_ps_;
  while (head_ - retired_ < frames_.size() && frames_[head_ - retired_].read) {
    Frame& f = frames_[head_ - retired_];
    if (!f.skip) {
      f.start_ps = std::max(seen_ps, wire_free_ps_);
      f.end_ps = f.start_ps + uint64_t((f.len + mac_.wire_overhead_bytes) * ps_per_byte_);
      wire_free_ps_ = f.end_ps;
      clk_.wake_at(sc_core::sc_time::from_value(f.end_ps));
    } else {
      clk_.request_next();  // retired at the next edge
    }
    ++head_;
  }
  write_back();
}

// The consumer index to the host, one write-back in the DMA engine at a time.
void TxEngine::write_back() {
  if (wb_busy_ || !wb_addr_ || written_ == head_) return;
  wb_busy_ = true;
  written_ = head_;
  ++stats_.writebacks;
  uint8_t v[4];
  st_le32(v, written_);
  dma_.write(wb_addr_, v, 4, [this](ByteView, bool, const DmaTimes&) {
    wb_busy_ = false;
    write_back();
  });
}

// ---------------------------------------------------------------------------------------------
// Registers

uint32_t TxEngine::reg_read(uint64_t off) const {
  return off == abi::kRegTxHead ? head_ : reg(off);
}

void TxEngine::reg_write(uint64_t off, uint32_t v) {
  using namespace abi;
  reg(off) = v;
  const uint64_t word = off & ~uint64_t(7);  // a 64-bit register's two halves act alike
  if (word == kRegTxRingBase || off == kRegTxRingEntries) {
    restart();
    if (off == kRegTxRingEntries && !entries_)
      SC_REPORT_WARNING(name(), "transmit ring size is not a power of two");
  } else if (word == kRegTxHeadAddr) {
    wb_addr_ = uint64_t(reg(kRegTxHeadAddr + 4)) << 32 | reg(kRegTxHeadAddr);
  } else if (off == kRegTxProducer) {
    clk_.request_next();
  }
}

// The ring restarts empty at index 0 (the driver does this only while the ring is idle).
void TxEngine::restart() {
  using namespace abi;
  base_ = uint64_t(reg(kRegTxRingBase + 4)) << 32 | reg(kRegTxRingBase);
  const uint32_t n = reg(kRegTxRingEntries);
  entries_ = power_of_two(n) ? n : 0;
  reg(kRegTxProducer) = 0;
  fetched_ = retired_ = head_ = written_ = 0;
}

void TxEngine::trace(sc_core::sc_trace_file* tf) const {
  sc_core::sc_trace(tf, buffer_used_, std::string(name()) + ".buffer_bytes");
  sc_core::sc_trace(tf, in_flight_, std::string(name()) + ".frames_in_flight");
}

}  // namespace nic::hw
