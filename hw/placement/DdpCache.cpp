#include "hw/placement/DdpCache.hpp"

#include "hw/offload/flow_context.hpp"

#include "util/bytes.hpp"

namespace nic::hw {

namespace {

// Where in a registration (DdpContext's layout) its state writes land.
constexpr uint32_t kCompletionOffset = 16, kCompletionBytes = 12;  // completion end, tag, flags
constexpr uint32_t kStateOffset = 24, kStateBytes = 4;              // length, state and flags

BackedCacheShape shape(const DdpCacheParams& p, uint32_t entries, uint64_t base,
                       uint32_t line_bytes) {
  BackedCacheShape s;
  s.entries = entries;
  s.ways = p.ways;
  s.mshrs = p.mshrs;
  s.replacement = replacement_from(p.replacement);
  s.index = SetIndex::Hashed;  // a key packs the flow slot above the DDP slot
  s.base = base;
  s.line_bytes = line_bytes;
  return s;
}

// A frame's look at one line: counted the first time, re-checked (and re-requested after a
// full MSHR set) while the frame waits, unless the frame holds it.
bool look(BackedCache& c, uint64_t key, FrameLookups& f) {
  const uint32_t i = f.n++;
  if (i < f.held) return true;
  bool on_chip;
  if (f.count) {
    on_chip = c.access(key, false) == SetAssocCache::Lookup::Hit;
  } else {
    on_chip = c.touch(key, false);
    if (!on_chip) c.request(key, false);
  }
  f.all &= on_chip;
  if (f.all) f.held = i + 1;
  return on_chip;
}

}  // namespace

DdpCache::DdpCache(ClockDomain& clk, DmaEngine& dma, FlowContexts& flows,
                   const DdpCacheParams& p, uint32_t max_sg_entries)
    : regs_(clk, dma, shape(p, p.entries, abi::kDdpBackingBase, p.transfer_bytes())),
      sg_per_line_(p.sg_per_line()), sgl_stride_(p.sgl_lines(max_sg_entries)),
      hit_cycles_(p.hit_cycles), bypass_(p.miss == "bypass"), dma_(dma) {
  const auto count = [&flows](uint64_t reg) {
    if (FlowContext* f = flows.get(int32_t(reg / abi::kDdpSlotsMax))) ++f->counters.ddp_misses;
  };
  regs_.set_miss_hook(count);
  if (p.sgl_enabled()) {
    sgl_ = std::make_unique<BackedCache>(
        clk, dma, shape(p, p.sgl_entries, abi::kDdpSglBackingBase, p.sgl_line_bytes));
    sgl_->set_miss_hook([count, stride = sgl_stride_](uint64_t line) { count(line / stride); });
  }
}

bool DdpCache::registration(int32_t flow, uint32_t ddp_slot, FrameLookups& f) {
  return look(regs_, reg_key(flow, ddp_slot), f);
}

bool DdpCache::sgl(int32_t flow, uint32_t ddp_slot, uint32_t first, uint32_t last,
                   uint32_t entries, FrameLookups& f) {
  if (!sgl_) return true;
  const uint64_t r = reg_key(flow, ddp_slot);
  bool on_chip = true;
  // Every line is asked for, so the misses of one segment overlap.
  for (uint32_t l = first / sg_per_line_; l <= last / sg_per_line_; ++l)
    on_chip &= look(*sgl_, line_key(r, l), f);
  // Only on the first look: a waiting frame's looks are not all seen with the clock gated.
  const uint32_t next = last / sg_per_line_ + 1;
  if (f.count && next * sg_per_line_ < entries) {
    const uint64_t k = line_key(r, next);
    if (!sgl_->contains(k) && !sgl_->pending(k) && sgl_->mshr_free()) sgl_->access(k, false);
  }
  return on_chip;
}

void DdpCache::state_written(int32_t flow, uint32_t ddp_slot, uint32_t offset, uint32_t bytes) {
  const uint64_t k = reg_key(flow, ddp_slot);
  if (!regs_.touch(k, true)) regs_.write_home(k, offset, bytes);
}

void DdpCache::completion_written(int32_t flow, uint32_t ddp_slot) {
  state_written(flow, ddp_slot, kCompletionOffset, kCompletionBytes);
}

void DdpCache::teardown_written(int32_t flow, uint32_t ddp_slot) {
  state_written(flow, ddp_slot, kStateOffset, kStateBytes);
}

void DdpCache::registered(int32_t flow, uint32_t ddp_slot, const std::vector<SgEntry>& sgl) {
  const uint64_t r = reg_key(flow, ddp_slot);
  regs_.install(r, true);
  if (!sgl_ || sgl.size() < 2) return;  // a one-entry SGL lives in the registration
  sg_image_.assign(sgl.size() * abi::kSgEntrySize, 0);
  for (size_t i = 0; i < sgl.size(); ++i) {
    st_le64(sg_image_.data() + i * abi::kSgEntrySize, sgl[i].addr);
    st_le32(sg_image_.data() + i * abi::kSgEntrySize + 8, sgl[i].len);
  }
  DmaTag tag;
  tag.kind = DmaTag::Kind::Context;
  dma_.write(sgl_->addr(line_key(r, 0)), sg_image_.data(), uint32_t(sg_image_.size()), {}, tag);
  sgl_->install(line_key(r, 0), false);  // written through: clean
}

void DdpCache::released(int32_t flow, uint32_t ddp_slot, uint32_t sg_entries) {
  const uint64_t r = reg_key(flow, ddp_slot);
  regs_.drop(r);
  if (!sgl_ || sg_entries < 2) return;
  for (uint32_t l = 0; l * sg_per_line_ < sg_entries; ++l) sgl_->drop(line_key(r, l));
}

}  // namespace nic::hw
