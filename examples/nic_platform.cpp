// A virtual platform of its own around the nicsim NIC (nic::hw::Nic): the memory and the host
// CPU are written here, as a platform would bring its own, and the NIC sits between them.
//
//   Host --MMIO, b_transport--> nic.commands.regs
//   nic.dma.socket --DMA, nb_transport--> Memory
//   wire frames --Mac::Source--> nic.mac
//
// The host programs the NIC through its registers and command ring (hw/abi/nic_abi.hpp): the
// three rings, an SkAdd that offloads one NVMe/TCP connection with data digests, a DdpSetup that
// registers a buffer for read CID 5. The wire then brings the read's C2HData PDU and its
// CapsuleResp, cut into TCP frames. After the run the buffer must hold the read's data, placed
// there by the NIC with every digest checked, and every frame must have its completion; the
// exit status is 0 only then.
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "hw/top/Nic.hpp"
#include "hw/abi/nic_abi.hpp"
#include "proto/net.hpp"
#include "proto/nvme_tcp.hpp"

using namespace sc_core;
using namespace nic;

// Host memory map.
constexpr uint64_t kCmdRing = 0x0000, kCq = 0x1000, kRxRing = 0x10000, kBuffer = 0x20000;
constexpr uint32_t kCmdEntries = 16, kCqEntries = 64, kRxBytes = 0x10000, kMemBytes = 0x30000;
// The connection and its one read.
constexpr uint32_t kFlow = 1;     // the host's handle, echoed in completions
constexpr uint32_t kSeq = 1000;   // TCP sequence of the read's first PDU
constexpr uint16_t kCid = 5;
constexpr uint32_t kReadBytes = 8192;
const net::FiveTuple kTuple{net::IpAddr::v4(10, 0, 0, 2), net::IpAddr::v4(10, 0, 0, 1), 4420,
                            50000};  // controller -> host

// Plain memory with b_transport only. The NIC's DMA engine speaks the approximately-timed
// protocol; the socket's built-in adapter turns each request into a b_transport call.
struct Memory : sc_module {
  tlm_utils::simple_target_socket<Memory> socket{"socket"};
  std::vector<uint8_t> bytes = std::vector<uint8_t>(kMemBytes);

  explicit Memory(sc_module_name n) : sc_module(n) {
    socket.register_b_transport(this, &Memory::access);
  }
  void access(tlm::tlm_generic_payload& gp, sc_time& delay) {
    const uint64_t a = gp.get_address();
    const unsigned n = gp.get_data_length();
    if (gp.get_byte_enable_ptr()) {
      gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
      return;
    }
    if (a + n > bytes.size()) {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (gp.is_write()) std::memcpy(&bytes[a], gp.get_data_ptr(), n);
    if (gp.is_read()) std::memcpy(gp.get_data_ptr(), &bytes[a], n);
    delay += sc_time(80, SC_NS);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// The host CPU: sets the NIC up at time zero and posts the two commands.
struct Host : sc_module {
  tlm_utils::simple_initiator_socket<Host> mmio{"mmio"};
  Memory& mem;
  uint32_t posted = 0;  // command-ring entries written

  SC_HAS_PROCESS(Host);
  Host(sc_module_name n, Memory& m) : sc_module(n), mem(m) { SC_THREAD(run); }

  void reg(uint64_t off, uint32_t value) {
    uint8_t b[4];
    st_le32(b, value);
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(off);
    gp.set_data_ptr(b);
    gp.set_data_length(4);
    gp.set_streaming_width(4);
    sc_time delay = SC_ZERO_TIME;
    mmio->b_transport(gp, delay);
    if (!gp.is_response_ok()) SC_REPORT_ERROR(name(), "MMIO write failed");
  }
  void post(const abi::Cmd& c) {
    uint8_t e[2 * abi::kCmdSize];  // SkAdd takes two entries
    abi::encode_cmd(c, e);
    for (size_t i = 0; i < abi::cmd_entries(c.op); ++i, ++posted)
      std::memcpy(&mem.bytes[kCmdRing + posted % kCmdEntries * abi::kCmdSize],
                  e + i * abi::kCmdSize, abi::kCmdSize);
    reg(abi::kRegCmdProducer, posted);  // the doorbell
  }
  void run() {
    reg(abi::kRegCmdRingBase, kCmdRing);  // ring bases below 4 GiB: the high halves stay 0
    reg(abi::kRegCmdRingEntries, kCmdEntries);
    reg(abi::kRegCqBase, kCq);
    reg(abi::kRegCqEntries, kCqEntries);
    reg(abi::kRegRxRingBase, kRxRing);
    reg(abi::kRegRxRingBytes, kRxBytes);

    abi::Cmd add;
    add.op = abi::CmdOp::SkAdd;
    add.flags = 2;  // data digests negotiated
    add.flow = kFlow;
    add.seq = kSeq;
    add.queue_size = 16;
    std::copy_n(kTuple.src.b.begin(), 4, add.src_ip);
    std::copy_n(kTuple.dst.b.begin(), 4, add.dst_ip);
    add.sport = kTuple.sport;
    add.dport = kTuple.dport;
    post(add);

    abi::Cmd setup;
    setup.op = abi::CmdOp::DdpSetup;
    setup.flags = abi::kSetupInlineSgl;  // one buffer, given in the command itself
    setup.flow = kFlow;
    setup.io_tag = kCid;
    setup.seq = kSeq;
    setup.sg_count = 1;
    setup.sgl_addr = kBuffer;
    setup.io_len = kReadBytes;
    post(setup);
  }
};

// The controller's answer to read CID 5, as TCP frames of at most 1448 payload bytes.
std::vector<Bytes> wire_frames(const Bytes& data) {
  nvme::ConnParams cp;
  cp.ddgst = true;
  nvme::DataHdr h;
  h.cccid = kCid;
  Bytes stream = nvme::encode_data(nvme::PduType::C2HData, h, nvme::pduflag::LAST_PDU, data, cp);
  nvme::Cqe done;
  done.cid = kCid;
  const Bytes resp = nvme::encode_capsule_resp(done, cp);
  stream.insert(stream.end(), resp.begin(), resp.end());

  std::vector<Bytes> frames;
  for (size_t off = 0; off < stream.size(); off += 1448) {
    net::FrameSpec s;
    s.tuple = kTuple;
    s.seq = kSeq + uint32_t(off);
    const size_t n = std::min<size_t>(1448, stream.size() - off);
    frames.push_back(net::build_frame(s, ByteView(stream).sub(off, n)));
  }
  return frames;
}

int sc_main(int, char*[]) {
  NicConfig cfg;
  cfg.flow.entries = 64;
  cfg.placement.cq_entries = kCqEntries;
  cfg.placement.rx_ring_bytes = kRxBytes;
  cfg.crc.impl = "rtl";  // digests checked by the Verilated CRC32C pipeline
  validate(cfg);

  Bytes data(kReadBytes);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + i / 256);
  const std::vector<Bytes> frames = wire_frames(data);

  // The wire: every frame due 2 us in, once the host has set the NIC up; the MAC receives
  // them back to back at line rate.
  hw::PacketPool pool;
  size_t next = 0;
  hw::Nic nic("nic", cfg, pool, [&](uint64_t& ts_ps) -> hw::PacketCtx* {
    if (next == frames.size()) return nullptr;
    hw::PacketCtx* p = pool.get();
    p->reset();
    p->index = next;
    p->frame = frames[next++];
    ts_ps = 2'000'000;
    return p;
  }, true);
  Memory mem("memory");
  Host host("host", mem);
  nic.dma.socket.bind(mem.socket);
  host.mmio.bind(nic.commands.regs);

  sc_start();  // until nothing is left to do

  // Read the completion ring as a driver would: an entry is new while its owner bit is 1.
  int fails = 0;
  unsigned cmds_ok = 0, packets = 0, crc_ok = 0;
  uint32_t placed = 0;
  for (uint32_t i = 0; i < kCqEntries; ++i) {
    const abi::Cqe c = abi::Cqe::decode(&mem.bytes[kCq + i * abi::kCqeSize]);
    if (c.owner != 1) break;
    if (c.type == abi::CqeType::CmdDone) cmds_ok += c.status == uint8_t(abi::CmdStatus::Ok);
    if (c.type != abi::CqeType::RxPacket) continue;
    ++packets;
    crc_ok += (c.flags & abi::cqeflag::CRC_OK) != 0;
    for (uint8_t r = 0; r < c.nruns; ++r) placed += c.runs[r].len;
  }
  auto check = [&](bool ok, const char* what) {
    if (!ok) std::fprintf(stderr, "nic_platform: FAIL: %s\n", what);
    fails += !ok;
  };
  check(cmds_ok == 2, "SkAdd and DdpSetup completed Ok");
  check(packets == frames.size(), "one RxPacket completion per frame");
  check(crc_ok == frames.size(), "every frame CRC-verified by the NIC");
  check(placed == kReadBytes, "the NIC placed every byte of the read");
  check(std::memcmp(&mem.bytes[kBuffer], data.data(), kReadBytes) == 0,
        "the buffer holds the read's data");
  std::printf("nic_platform: %zu frames, %u B placed by the NIC, %u frames CRC-verified, "
              "done at %s: %s\n",
              frames.size(), placed, crc_ok, sc_time_stamp().to_string().c_str(),
              fails ? "FAIL" : "ok");
  return fails ? 1 : 0;
}
