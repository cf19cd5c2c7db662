#include "hw/cmd/CommandProcessor.hpp"

#include <algorithm>
#include <cstring>

namespace nic::hw {

using abi::CmdOp;
using abi::CmdStatus;

namespace {

bool power_of_two(uint32_t v) { return v && (v & (v - 1)) == 0; }

net::IpAddr ip_from(uint8_t version, const uint8_t* b) {
  net::IpAddr a;
  a.version = version;
  std::memcpy(a.b.data(), b, a.size());  // an IPv4 address keeps bytes 4..15 zero
  return a;
}

CmdStatus setup_status(const DdpSetupResult& r) {
  switch (r.err) {
    case DdpError::None: return CmdStatus::Ok;
    case DdpError::Busy: return CmdStatus::Busy;
    case DdpError::BadSgl:
      return r.sgl_err == SglError::TooManyEntries ? CmdStatus::TooManySg : CmdStatus::Invalid;
    default: return CmdStatus::Invalid;
  }
}

}  // namespace

CommandProcessor::CommandProcessor(sc_core::sc_module_name name, ClockDomain& clk,
                                   const PlacementParams& cfg, uint32_t flow_entries,
                                   const FlowLimits& limits, DmaEngine& dma, CompletionRing& cq,
                                   PlacementEngine& placement, FlowTable& table,
                                   FlowContexts& flows)
    : sc_module(name), regs("regs"), clk_(clk), cfg_(cfg), limits_(limits), dma_(dma), cq_(cq),
      placement_(placement), table_(table), flows_(flows) {
  regs_[abi::kRegCqEntries / 4] = cfg.cq_entries;
  regs_[abi::kRegRxRingBytes / 4] = cfg.rx_ring_bytes;
  regs_[abi::kRegLimitMaxSg / 4] = cfg.max_sg_entries;
  regs_[abi::kRegLimitFlows / 4] = flow_entries;
  regs_[abi::kRegLimitFullTag / 4] = 1;
  regs_[abi::kRegLimitMaxIoLen / 4] = DdpContext::kMaxIoLen;
  cmdbuf_.reserve(size_t(cfg.cmd_fetch_entries) * abi::kCmdSize);
  regs.register_b_transport(this, &CommandProcessor::b_transport);
  clk.attach(*this);
}

// ---------------------------------------------------------------------------------------------
// Per-cycle behaviour

void CommandProcessor::tick() {
  // Nothing posted, fetched or decoded: the command steps would do nothing (most cycles; a
  // teardown waiting for its writes to drain only needs its own step).
  const bool commands = fetching_ || regs_[abi::kRegCmdProducer / 4] != cmd_fetched_ ||
                        cmdbuf_.size() != cmd_head_ || !window_.empty();
  if (!commands && teardowns_.empty()) return;
  if (commands) {
    fetch();
    // Each step first checks, cheaply, whether it has anything to do: most cycles it has not.
    if (cmdbuf_.size() - cmd_head_ >= abi::kCmdSize) decode();
    if (sgl_unasked_) prefetch_sgls();
  }
  finish_teardowns();
  const bool again = commands && execute();
  // Pending teardowns poll the placement engine's in-flight counts; an idle processor is woken
  // by a register write or a DMA completion.
  if (again || !teardowns_.empty()) clk_.request_next();
}

void CommandProcessor::fetch() {
  const uint32_t posted = regs_[abi::kRegCmdProducer / 4] - cmd_fetched_;
  const uint32_t room =
      cfg_.cmd_fetch_entries - uint32_t((cmdbuf_.size() - cmd_head_) / abi::kCmdSize);
  if (fetching_ || !cmd_entries_ || !posted || !room) return;
  const uint32_t idx = cmd_fetched_ % cmd_entries_;
  const uint32_t n = std::min({posted, room, cmd_entries_ - idx});  // no wrap within a read
  fetching_ = true;
  dma_.read(cmd_base_ + uint64_t(idx) * abi::kCmdSize, n * uint32_t(abi::kCmdSize),
            [this, n](ByteView d, bool ok, const DmaTimes&) {
              cmdbuf_.erase(cmdbuf_.begin(), cmdbuf_.begin() + std::ptrdiff_t(cmd_head_));
              cmd_head_ = 0;
              if (ok)
                cmdbuf_.insert(cmdbuf_.end(), d.begin(), d.end());
              else
                ++stats_.dma_errors;  // the entries are lost; the driver times out
              cmd_fetched_ += n;
              fetching_ = false;
              clk_.request_next();
            });
}

void CommandProcessor::finish_teardowns() {
  const uint64_t now = clk_.cycle();
  WritePort& port = flows_.ddp_write_port();
  for (auto it = teardowns_.begin(); it != teardowns_.end();) {
    if (placement_.writes_in_flight(it->slot, it->io_tag) || !cq_.can_post() || !port.free(now)) {
      ++it;
      continue;
    }
    port.book(now, cfg_.ddp_write_cycles);
    free_at_ = std::max(free_at_, now + cfg_.cqe_write_cycles);
    DdpTable& ddp = flows_.get(it->slot)->ddp;
    const uint32_t sg_entries = DdpTable::sg_entries(ddp.slot(it->io_tag));
    ddp.finish_teardown(it->io_tag);
    if (ddp_cache_) ddp_cache_->released(it->slot, ddp.slot_index(it->io_tag), sg_entries);
    abi::Cqe c;
    c.type = abi::CqeType::TeardownDone;
    c.flow = it->handle;
    c.io_tag = it->io_tag;
    c.tag = it->tag;
    cq_.post(c);
    ++stats_.teardowns_done;
    it = teardowns_.erase(it);
  }
}

void CommandProcessor::decode() {
  while (window_.size() < cfg_.cmd_window) {
    const size_t have = (cmdbuf_.size() - cmd_head_) / abi::kCmdSize;
    if (!have) return;
    const uint8_t* e = cmdbuf_.data() + cmd_head_;
    const size_t need = abi::cmd_entries(CmdOp(e[0]));
    if (have < need) return;  // rest of a two-entry command not fetched yet
    Pending p;
    p.cmd = abi::decode_cmd(e);
    cmd_head_ += need * abi::kCmdSize;
    // Setups the NIC will refuse on their counts alone never read host memory, nor do
    // one-entry SGLs the command carries inline.
    const bool inline_sgl = p.cmd.op == CmdOp::DdpSetup && (p.cmd.flags & abi::kSetupInlineSgl) &&
                            p.cmd.sg_count == 1;
    if (inline_sgl) {
      p.sgl.push_back({p.cmd.sgl_addr, p.cmd.io_len});
      p.sgl_ok = true;
    }
    p.sgl_wanted = p.cmd.op == CmdOp::DdpSetup && !inline_sgl && p.cmd.sg_count > 0 &&
                   p.cmd.sg_count <= cfg_.max_sg_entries;
    sgl_unasked_ += p.sgl_wanted;
    window_.push_back(std::move(p));
  }
}

void CommandProcessor::prefetch_sgls() {
  for (Pending& p : window_) {
    if (sgl_reads_ >= cfg_.cmd_window) return;
    if (!p.sgl_wanted || p.sgl_asked) continue;
    p.sgl_asked = true;
    --sgl_unasked_;
    ++sgl_reads_;
    Pending* slot = &p;  // deque elements stay put while others are added or retired
    dma_.read(p.cmd.sgl_addr, p.cmd.sg_count * uint32_t(abi::kSgEntrySize),
              [this, slot](ByteView d, bool ok, const DmaTimes&) {
                for (size_t off = 0; ok && off < d.size; off += abi::kSgEntrySize)
                  slot->sgl.push_back({ld_le64(d.data + off), ld_le32(d.data + off + 8)});
                slot->sgl_ok = ok;
                slot->sgl_arrived = true;
                stats_.dma_errors += !ok;
                --sgl_reads_;
                clk_.request_next();
              });
  }
}

bool CommandProcessor::execute() {
  if (window_.empty()) return false;
  Pending& p = window_.front();
  if (p.sgl_wanted && !p.sgl_arrived) return false;  // the read's completion wakes us
  const uint64_t now = clk_.cycle();
  if (!p.started) {
    p.started = true;
    p.due = std::max(now, free_at_) + cost(p);
    stats_.busy_cycles += p.due - now;
  }
  if (now < p.due) return true;
  if (!cq_.can_post()) {
    ++stats_.stall_cq_full;
    return true;
  }
  const abi::Cmd& c = p.cmd;
  const bool table_write = c.op == CmdOp::DdpSetup || c.op == CmdOp::DdpTeardown;
  WritePort& port = flows_.ddp_write_port();
  if (table_write && !port.free(now)) {
    ++stats_.stall_ddp_port;
    return true;
  }
  if (table_write) port.book(now, cfg_.ddp_write_cycles);
  CmdStatus s = CmdStatus::Invalid;
  switch (c.op) {
    case CmdOp::SkAdd: s = sk_add(c); break;
    case CmdOp::SkDel: s = sk_del(c); break;
    case CmdOp::DdpSetup: s = ddp_setup(p); break;
    case CmdOp::DdpTeardown: s = ddp_teardown(c); break;
    case CmdOp::Resync:
      // Invalid when no candidate was asked about at that sequence (stale or wrong).
      if (FlowContext* f = flows_.get(flows_.slot_of(c.flow)); f && f->tracker.confirm(c.seq))
        s = CmdStatus::Ok;
      break;
  }
  post_done(c, s);
  window_.pop_front();
  return !window_.empty() || cmdbuf_.size() > cmd_head_;
}

uint32_t CommandProcessor::cost(const Pending& p) const {
  const uint32_t entry = cfg_.cqe_write_cycles;
  switch (p.cmd.op) {
    case CmdOp::SkAdd: return entry + cfg_.sk_add_cycles;
    case CmdOp::SkDel: return entry + cfg_.sk_del_cycles;
    case CmdOp::DdpSetup:
      return entry + cfg_.setup_cycles + cfg_.setup_cycles_per_sg * uint32_t(p.sgl.size());
    default: return entry;
  }
}

void CommandProcessor::post_done(const abi::Cmd& cmd, CmdStatus s) {
  abi::Cqe c;
  c.type = abi::CqeType::CmdDone;
  c.status = uint8_t(s);
  c.flow = cmd.flow;
  c.io_tag = cmd.io_tag;
  c.tag = cmd.tag;
  cq_.post(c);
  ++stats_.commands;
  stats_.failed += s != CmdStatus::Ok;
}

// ---------------------------------------------------------------------------------------------
// Commands

CmdStatus CommandProcessor::sk_add(const abi::Cmd& c) {
  if ((c.ip_version != 4 && c.ip_version != 6) || c.queue_size == 0 || c.queue_size > 65536 ||
      !abi::known_ulp(c.ulp) || flows_.slot_of(c.flow) != FlowContexts::kNone)
    return CmdStatus::Invalid;
  net::FiveTuple t{ip_from(c.ip_version, c.src_ip), ip_from(c.ip_version, c.dst_ip), c.sport,
                   c.dport};
  if (table_.lookup(t) != FlowTable::kMiss) return CmdStatus::Invalid;
  const int32_t slot = table_.insert(t);
  if (slot == FlowTable::kMiss) return CmdStatus::Full;

  FlowStart st;
  st.ulp = c.ulp;
  st.max_data_seg = c.max_data_seg;
  st.seq = c.seq;
  st.hdgst = c.flags & 1;
  st.ddgst = c.flags & 2;
  st.hpda = c.pda;
  st.queue_size = c.queue_size;
  flows_.open(slot, c.flow).start(limits_, st);
  if (ctx_cache_) ctx_cache_->created(slot);
  return CmdStatus::Ok;
}

CmdStatus CommandProcessor::sk_del(const abi::Cmd& c) {
  const int32_t slot = flows_.slot_of(c.flow);
  if (slot == FlowContexts::kNone) return CmdStatus::Invalid;
  // The driver tears down every buffer first: placement must never outlive its flow.
  const bool tearing = std::any_of(teardowns_.begin(), teardowns_.end(),
                                   [slot](const Teardown& t) { return t.slot == slot; });
  if (tearing || flows_.get(slot)->ddp.registered()) return CmdStatus::Busy;
  table_.remove(slot);
  flows_.close(slot);
  if (ctx_cache_) ctx_cache_->drop(slot);
  return CmdStatus::Ok;
}

CmdStatus CommandProcessor::ddp_setup(const Pending& p) {
  const abi::Cmd& c = p.cmd;
  FlowContext* f = flows_.get(flows_.slot_of(c.flow));
  if (!f || c.sg_count == 0) return CmdStatus::Invalid;
  if (c.sg_count > cfg_.max_sg_entries) return CmdStatus::TooManySg;
  if (!p.sgl_ok) return CmdStatus::Invalid;
  const CmdStatus s = setup_status(f->ddp.setup(c.io_tag, p.sgl, c.io_len, c.seq));
  if (s == CmdStatus::Ok && ddp_cache_)
    ddp_cache_->registered(flows_.slot_of(c.flow), f->ddp.slot_index(c.io_tag), p.sgl);
  return s;
}

CmdStatus CommandProcessor::ddp_teardown(const abi::Cmd& c) {
  const int32_t slot = flows_.slot_of(c.flow);
  FlowContext* f = flows_.get(slot);
  if (!f || f->ddp.teardown(c.io_tag) != DdpError::None) return CmdStatus::Invalid;
  if (ddp_cache_) ddp_cache_->teardown_written(slot, f->ddp.slot_index(c.io_tag));
  stats_.teardowns_waited += placement_.writes_in_flight(slot, c.io_tag) > 0;
  teardowns_.push_back({slot, c.io_tag, c.flow, c.tag});
  return CmdStatus::Ok;
}

// ---------------------------------------------------------------------------------------------
// Registers

void CommandProcessor::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
  const uint64_t addr = gp.get_address();
  const unsigned len = gp.get_data_length();
  if (gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if ((len != 4 && len != 8) || addr % 4 || addr + len > abi::kRegSpace) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  uint8_t* p = gp.get_data_ptr();
  for (unsigned i = 0; i < len; i += 4) {
    const uint64_t off = addr + i;
    if (gp.is_read()) {
      st_le32(p + i, msix_ && MsixController::owns(off) ? msix_->reg_read(off)
                     : tx_ && TxEngine::owns(off)       ? tx_->reg_read(off)
                                                        : regs_[off / 4]);
    } else if (gp.is_write() && !abi::reg_read_only(off)) {
      regs_[off / 4] = ld_le32(p + i);
      reg_written(off);
    }
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void CommandProcessor::reg_written(uint64_t off) {
  using namespace abi;
  const uint64_t word = off & ~uint64_t(7);  // a 64-bit register's two halves act alike
  if (word == kRegCmdRingBase || off == kRegCmdRingEntries) {
    const uint32_t n = regs_[kRegCmdRingEntries / 4];
    cmd_base_ = reg64(kRegCmdRingBase);
    cmd_entries_ = power_of_two(n) ? n : 0;
    cmd_fetched_ = regs_[kRegCmdProducer / 4] = 0;
    cmdbuf_.clear();
    cmd_head_ = 0;
    if (off == kRegCmdRingEntries && !cmd_entries_)
      SC_REPORT_WARNING(name(), "command ring size is not a power of two");
  } else if (word == kRegCqBase || off == kRegCqEntries) {
    if (!cq_.configure(reg64(kRegCqBase), regs_[kRegCqEntries / 4]) && off == kRegCqEntries)
      SC_REPORT_WARNING(name(), "completion ring size is not a power of two");
    if (msix_) msix_->cq_restarted();
  } else if (off == kRegCqConsumer) {
    cq_.set_consumer(regs_[off / 4]);
  } else if (word == kRegRxRingBase || off == kRegRxRingBytes) {
    placement_.set_rx_ring(reg64(kRegRxRingBase), regs_[kRegRxRingBytes / 4]);
  } else if (off == kRegRxConsumer) {
    placement_.set_rx_consumer(regs_[off / 4]);
  } else if (msix_ && MsixController::owns(off)) {
    msix_->reg_write(off, regs_[off / 4]);
  } else if (tx_ && TxEngine::owns(off)) {
    tx_->reg_write(off, regs_[off / 4]);
  }
  // A doorbell or freed ring space may unblock work.
  clk_.request_next();
}

}  // namespace nic::hw
