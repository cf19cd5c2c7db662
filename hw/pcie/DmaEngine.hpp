// The NIC's single DMA master towards the PCIe link. Blocks queue jobs (host writes with a
// copy of their bytes, host reads with a completion callback) and the engine issues them to
// the link strictly in submission order: PCIe posted writes then land in that order too, which
// is what lets a completion entry land after the data it describes.
//
// Timing: a job submitted in cycle t can be issued from cycle t+1 (two-phase, so the result
// never depends on which block SystemC evaluates first); at most one BEGIN_REQ per cycle,
// never before the previous request's END_REQ, and at most `max_outstanding` jobs between
// BEGIN_REQ and BEGIN_RESP. A job is not split: the link cuts it into TLPs (MPS, MRRS, 4 KiB
// boundaries) itself. Completions (BEGIN_RESP: write landed / read data arrived) are recorded
// by the TLM backward path and delivered to the job's callback at the next clock edge, in
// arrival order. Throughput: one job per cycle while the link accepts.
//
// Job slots (payload, byte buffer) are pooled: steady-state traffic does not allocate.
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
#include "util/bytes.hpp"

namespace nic::hw {

struct DmaParams {
  uint32_t max_outstanding = 32;  // jobs between BEGIN_REQ and BEGIN_RESP
  uint32_t queue_depth = 64;      // jobs waiting to issue before has_room() says no
};

struct DmaStats {
  uint64_t write_jobs = 0, read_jobs = 0;
  uint64_t bytes_written = 0, bytes_read = 0;
  uint64_t errors = 0;                // completions whose response was not OK
  uint64_t stall_outstanding = 0;     // cycles a job waited because max_outstanding were out
  uint64_t stall_end_req = 0;         // cycles a job waited for the link's END_REQ
  uint32_t max_in_flight = 0;
  uint32_t max_queued = 0;
};

class DmaEngine : public sc_core::sc_module, public ClockDomain::Clocked {
 public:
  // Called at the clock edge after the job completed. Writes: `data` is what was written.
  // Reads: the bytes read. `ok` is false when the host returned an error. `times`: when the
  // job issued, landed and was done in host memory.
  using Done = std::function<void(ByteView data, bool ok, const DmaTimes& times)>;

  tlm_utils::simple_initiator_socket<DmaEngine> socket;  // bind to PcieLink::dma_target

  DmaEngine(sc_core::sc_module_name name, ClockDomain& clk, const DmaParams& params);

  // Back-pressure hint for producers: fewer than queue_depth jobs wait to issue. Submission
  // itself never fails, so a producer may queue a whole packet's jobs after one check.
  bool has_room() const { return queued_ < p_.queue_depth; }
  // `tag` says what the write is for; it travels with the payload as a TLM extension.
  void write(uint64_t addr, const uint8_t* data, uint32_t len, Done done = {},
             const DmaTag& tag = {});
  void read(uint64_t addr, uint32_t len, Done done);

  uint32_t queued() const { return queued_; }
  uint32_t in_flight() const { return in_flight_; }
  bool idle() const { return queued_ == 0 && in_flight_ == 0; }
  const DmaStats& stats() const { return stats_; }
  size_t slots_allocated() const { return slots_.size(); }  // pooled jobs ever needed at once
  // Waveform: jobs waiting to issue, and jobs issued whose completion has not been delivered.
  void trace(sc_core::sc_trace_file* tf) const {
    sc_core::sc_trace(tf, queued_, std::string(name()) + ".queued");
    sc_core::sc_trace(tf, in_flight_, std::string(name()) + ".in_flight");
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
    Done done;
    uint64_t submitted = 0;  // cycle
    Job* next = nullptr;     // FIFO link: waiting, then landed
  };

  enum class Stall : uint8_t { None, EndReq, Outstanding };

  void tick() override;
  Job& submit(bool is_write, uint64_t addr, uint32_t len, Done done);
  void issue(Job& j);
  void landed(Job& j);
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
  Fifo landed_fifo_;   // BEGIN_RESP seen, callback not yet run
  uint32_t queued_ = 0, in_flight_ = 0;  // in_flight_ counts issued jobs until their callback
  tlm::tlm_generic_payload* req_open_ = nullptr;  // BEGIN_REQ sent, END_REQ awaited
  Stall stall_ = Stall::None;  // why the head job could not issue, since stall_from_
  uint64_t stall_from_ = 0;
  DmaStats stats_;
};

}  // namespace nic::hw
