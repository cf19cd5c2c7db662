// The NIC's DMA master towards the PCIe link. Blocks queue jobs (host writes with a copy of
// their bytes, host reads with a completion callback) and the engine issues them to the link
// strictly in submission order: PCIe posted writes then land in that order too, which is what
// lets a completion entry land after the data it describes.
//
// Timing: a job submitted in cycle t can be issued from cycle t+1 (two-phase, so the result
// never depends on which block SystemC evaluates first); at most `dma.engines` BEGIN_REQs per
// cycle, never before the previous request's END_REQ. A write is posted: it holds one of
// `dma.write_ops` operations and its bytes hold `dma.rx_ram_bytes` of receive RAM until its
// last TLP has left the device (the link stamps that time, DmaTimes::sent_ps, when it accepts
// the write), and then it is done for the device: its callback runs at the first edge at or
// after that time. A read holds one of `dma.read_ops` operations (and the link a tag) until
// its data has arrived (BEGIN_RESP), and its callback runs at the next edge. A job is not split:
// the link cuts it into TLPs (MPS, MRRS, 4 KiB boundaries) itself. A job whose head cannot
// issue (no operation free, END_REQ awaited) blocks those behind it.
//
// Job slots (payload, byte buffer) are pooled: steady-state traffic does not allocate. A
// write's slot lives until host memory has taken it (BEGIN_RESP), where its optional `landed`
// observer runs: when the bytes reached the host, for measurement only.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "hw/common/ClockDomain.hpp"
#include "hw/pcie/DmaTag.hpp"
#include "hw/pcie/dma_params.hpp"
#include "util/bytes.hpp"

namespace nic::hw {

struct DmaStats {
  uint64_t write_jobs = 0, read_jobs = 0;
  uint64_t bytes_written = 0, bytes_read = 0;
  uint64_t errors = 0;                // completions whose response was not OK
  uint64_t stall_write_ops = 0;  // cycles the head write waited for a write operation
  uint64_t stall_read_ops = 0;   // cycles the head read waited for a read operation
  uint64_t stall_end_req = 0;    // cycles a job waited for the link's END_REQ (a tag)
  uint32_t max_write_ops = 0, max_read_ops = 0;
  uint32_t max_queued = 0;
  uint32_t max_rx_ram_bytes = 0;  // most receive RAM in use
};

class DmaEngine : public sc_core::sc_module, public ClockDomain::Clocked {
 public:
  // Called at a clock edge once the job is done for the device: a write's last TLP has left
  // (`data` is what was written, `ok` true, `times` has issued_ps and sent_ps); a read's data
  // has arrived (`data` the bytes, `ok` false when the host returned an error, `times` all
  // stamps). A write's `landed` observer gets all its stamps once host memory has taken it.
  using Done = std::function<void(ByteView data, bool ok, const DmaTimes& times)>;

  tlm_utils::simple_initiator_socket<DmaEngine> socket;  // bind to PcieLink::dma_target

  DmaEngine(sc_core::sc_module_name name, ClockDomain& clk, const DmaParams& params);

  // Back-pressure hint for producers: fewer than queue_depth jobs wait to issue and the
  // receive RAM is not full. Submission itself never fails, so a producer may queue a whole
  // packet's jobs after one check (the RAM's and queue's figures may overshoot by that much).
  bool has_room() const { return queued_ < p_.queue_depth && ram_used_ < p_.rx_ram_bytes; }
  // `tag` says what the write is for; it travels with the payload as a TLM extension.
  void write(uint64_t addr, const uint8_t* data, uint32_t len, Done done = {},
             const DmaTag& tag = {}, Done landed = {});
  void read(uint64_t addr, uint32_t len, Done done);

  uint32_t queued() const { return queued_; }
  uint32_t in_flight() const { return in_flight_; }  // issued, slot not yet recycled
  bool idle() const { return queued_ == 0 && in_flight_ == 0; }
  const DmaParams& params() const { return p_; }
  const DmaStats& stats() const { return stats_; }
  size_t slots_allocated() const { return slots_.size(); }  // pooled jobs ever needed at once
  // Waveform: jobs waiting to issue, operations held, receive RAM in use.
  void trace(sc_core::sc_trace_file* tf) const {
    sc_core::sc_trace(tf, queued_, std::string(name()) + ".queued");
    sc_core::sc_trace(tf, write_ops_, std::string(name()) + ".write_ops");
    sc_core::sc_trace(tf, read_ops_, std::string(name()) + ".read_ops");
    sc_core::sc_trace(tf, ram_used_, std::string(name()) + ".rx_ram_bytes");
  }

 private:
  // The payload is the job's base, so the backward path finds the job from it.
  struct Job : tlm::tlm_generic_payload {
    Job() {
      set_extension(&tag);
      set_extension(&times);
    }
    ~Job() override {
      clear_extension(&tag);
      clear_extension(&times);
    }
    DmaTag tag;
    DmaTimes times;
    Bytes buf;
    Done done, landed;
    uint64_t submitted = 0;  // cycle
    Job* next = nullptr;     // FIFO link: waiting, sending (writes), then landed
  };

  enum class Stall : uint8_t { None, EndReq, WriteOps, ReadOps };

  void tick() override;
  Job& submit(bool is_write, uint64_t addr, uint32_t len, Done done);
  void issue(Job& j);
  Stall blocked(const Job& head) const;
  void landed(Job& j);
  void sent(Job& j);
  void complete(Job& j);
  void account_stall(Stall s, uint64_t now);
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay);

  ClockDomain& clk_;
  const DmaParams p_;

  // Intrusive FIFOs over pooled slots: no allocation per job once the pool has grown.
  struct Fifo {
    Job* head = nullptr;
    Job* tail = nullptr;
    void push(Job* j);
    Job* pop();
  };
  std::vector<std::unique_ptr<Job>> slots_;
  std::vector<Job*> free_;
  Fifo waiting_;       // submitted, not yet issued
  Fifo sending_;       // writes issued, their last TLP not yet out: in sent_ps order
  Fifo landed_fifo_;   // BEGIN_RESP seen, callback not yet run
  uint32_t queued_ = 0, in_flight_ = 0;  // in_flight_ counts issued jobs until recycled
  uint32_t write_ops_ = 0, read_ops_ = 0, ram_used_ = 0;
  tlm::tlm_generic_payload* req_open_ = nullptr;  // BEGIN_REQ sent, END_REQ awaited
  Stall stall_ = Stall::None;  // why the head job could not issue, since stall_from_
  uint64_t stall_from_ = 0;
  DmaStats stats_;
};

}  // namespace nic::hw
