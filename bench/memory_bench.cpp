// Memory of the model at full offload occupancy (docs/speed.md, "Memory"): builds the state the
// NIC model and the host driver model keep for --flows offloaded connections with --cmds
// registered read commands each, and prints what each part added to the resident set
// (VmRSS), per flow and per command. It uses the plain-C++ structures the SystemC modules
// hold, filled the way they fill them; 67M registrations through the MMIO command path would
// take hours.
//
//   NIC, every flow:  its FlowTable entry; its FlowContexts entry and the FlowContext that
//                     sk_add starts (PduTracker, CrcEngine with its open-PDU slots, DdpTable
//                     slots for the queue size); --cmds DdpTable setups of --io-bytes each,
//                     every --multi-every-th with a page-per-entry SGL (the table's pool), the
//                     others one entry (held in the slot).
//   Driver, the first --driver-flows flows: the connection (DriverConn with its offload
//                     state, TCP receiver, NVMe/TCP receive path and buffer access, in the
//                     connection map), and per read what the driver keeps once it registered
//                     it: the DriverRead, active[cid], registered[slot], the NvmeRx command and
//                     the buffer's reservation in the BufferAllocator (contiguous, or pages
//                     for the multi-entry reads). Figures for all flows are projected from
//                     these.
//
// Not included: state whose size does not depend on flows or commands (rings, channels,
// packet pool, DMA queue, the command window), host memory contents (buffers are reserved,
// never written), per-packet state, and the records of completed reads the report keeps.
//
//   memory_bench [--flows N] [--cmds N] [--io-bytes N] [--multi-every N] [--driver-flows N]
//                [--json FILE]
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "host_driver/ulp_rx/buffer_allocator.hpp"
#include "host_driver/nvme_tcp/nvme_rx.hpp"
#include "host_driver/nvme_tcp/nvme_tcp_session.hpp"
#include "host_driver/ulp_rx/driver_state.hpp"
#include "hw/flow/flow_table.hpp"
#include "hw/offload/flow_context.hpp"
#include "hw/abi/nic_abi.hpp"
#include "tb/config/sim_config.hpp"

using namespace nic;

namespace {

// VmRSS or VmHWM of this process, in bytes.
uint64_t status_kb(const char* field) {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(std::strlen(field))) * 1024;
  return 0;
}
uint64_t rss() { return status_kb("VmRSS:"); }

// The controller->host 5-tuple of connection i (distinct for every i < 2^32).
net::FiveTuple c2h_tuple(uint32_t i) {
  return {net::IpAddr::v4(0x0A000000u + (i >> 16)), net::IpAddr::v4(10, 1, 0, 1), 4420,
          uint16_t(i)};
}

// Stands in for the driver's per-connection buffer access (StorageHost::ConnIo: a vtable
// and two references), which only the host itself builds.
struct ConnIoSizedStub : host::BufferIo {
  void* driver = nullptr;
  void* conn = nullptr;
  void write(uint32_t, uint32_t, ByteView) override {}
  void read(uint32_t, uint32_t, uint8_t*, size_t) override {}
};

struct Part {
  std::string name;
  uint64_t bytes;
  uint64_t flows, cmds;  // what it was measured over
};

}  // namespace

int main(int argc, char** argv) {
  uint32_t flows = 65536, cmds = 1024, io_bytes = 16384, multi_every = 8, driver_flows = 1024;
  std::string json_path;
  CLI::App app{"Memory of the NIC and driver models at full offload occupancy"};
  app.add_option("--flows", flows, "offloaded flows (flow-table entries)")->check(CLI::Range(4u, 1u << 20));
  app.add_option("--cmds", cmds, "registered read commands per flow (the queue depth)")
      ->check(CLI::Range(1u, 65536u));
  app.add_option("--io-bytes", io_bytes, "bytes per read")->check(CLI::Range(4096u, 1u << 24));
  app.add_option("--multi-every", multi_every,
                 "every Nth read has one SG entry per 4 KiB page (0: none)");
  app.add_option("--driver-flows", driver_flows,
                 "flows whose driver state is built (the rest is projected)");
  app.add_option("--json", json_path, "write the figures as JSON");
  CLI11_PARSE(app, argc, argv);
  driver_flows = std::min(driver_flows, flows);

  SimConfig cfg;
  cfg.flow.entries = (flows + cfg.flow.ways - 1) / cfg.flow.ways * cfg.flow.ways;
  cfg.driver.queue_depth = cmds;
  const auto multi = [&](uint32_t cid) { return multi_every && cid % multi_every == 0; };
  std::vector<Part> parts;
  uint64_t mark = rss();
  const auto measure = [&](const char* name, uint64_t nflows, uint64_t ncmds) {
    const uint64_t now = rss();
    parts.push_back({name, now - mark, nflows, ncmds});
    mark = now;
  };

  // ---- NIC ----
  hw::FlowTable table(cfg.flow.entries, cfg.flow.ways);
  std::vector<int32_t> slots;
  slots.reserve(flows);
  // Tuples whose set is full are skipped, so every entry can be used.
  for (uint32_t i = 0; slots.size() < flows; ++i)
    if (const int32_t s = table.insert(c2h_tuple(i)); s != hw::FlowTable::kMiss) slots.push_back(s);
  measure("NIC flow table", flows, 0);

  hw::FlowContexts contexts(cfg.flow.entries);
  for (uint32_t f = 0; f < flows; ++f) {
    hw::FlowStart st;
    st.hdgst = st.ddgst = true;
    st.queue_size = cmds;
    contexts.open(slots[f], f + 1).start(flow_limits(cfg), st);
  }
  measure("NIC flow contexts + DDP slots", flows, 0);

  std::vector<hw::SgEntry> sgl;
  uint64_t addr = 1ull << 32, registered = 0;
  for (uint32_t f = 0; f < flows; ++f) {
    hw::DdpTable& ddp = contexts.get(slots[f])->ddp;
    for (uint32_t cid = 0; cid < cmds; ++cid) {
      sgl.clear();
      if (multi(cid)) {
        for (uint32_t off = 0; off < io_bytes; off += 4096, addr += 2 * 4096)
          sgl.push_back({addr, std::min(4096u, io_bytes - off)});
      } else {
        sgl.push_back({addr, io_bytes});
        addr += io_bytes;
      }
      registered += ddp.setup(uint16_t(cid), sgl, io_bytes, 0).err == hw::DdpError::None;
    }
  }
  if (registered != uint64_t(flows) * cmds) {
    std::fprintf(stderr, "memory_bench: only %llu of %llu setups succeeded\n",
                 (unsigned long long)registered, (unsigned long long)flows * cmds);
    return 1;
  }
  measure("NIC DDP registrations", flows, uint64_t(flows) * cmds);

  // ---- Driver ----
  host::AllocatorConfig ac;
  // Room for every buffer; the span does not change what a reservation costs.
  ac.span = std::max<uint64_t>(ac.span, uint64_t(driver_flows) * cmds * io_bytes * 4);
  host::BufferAllocator alloc(ac);
  host::DriverConns conns;
  host::DriverReads reads;
  const abi::TagSlotRule slot_rule = abi::nvme_tcp_slot_rule(cfg.driver.queue_depth);
  for (uint32_t f = 0; f < driver_flows; ++f) {
    const net::FiveTuple h2c = c2h_tuple(f).reversed();
    host::DriverConn& k = *(conns[h2c] = std::make_unique<host::DriverConn>());
    k.h2c = h2c;
    k.name = net::endpoint_str(h2c.src, h2c.sport);
    // The driver's callbacks capture two pointers, which std::function holds inline as it
    // holds these.
    k.rx = std::make_unique<host::TcpReceiver>([](uint32_t, ByteView, const host::RangeAttrs&) {});
    k.rx->init(1);
    nvme::ConnParams cp;
    cp.hdgst = cp.ddgst = true;
    k.session = std::make_unique<host::NvmeTcpSession>();
    k.io = std::make_unique<ConnIoSizedStub>();
    k.reads = std::make_unique<host::NvmeRx>(cp, *k.io, 1 + uint32_t(nvme::kIcPduLen),
                                             [](const host::CmdResult&) {}, [](uint32_t) {});
    k.off = host::DriverConn::Off::On;
    k.handle = f + 1;
    k.slot_rule = slot_rule;
  }
  measure("driver connections", driver_flows, 0);

  uint64_t id = 1;
  for (auto& [tuple, kp] : conns) {
    host::DriverConn& k = *kp;
    for (uint32_t cid = 0; cid < cmds; ++cid) {
      host::DriverRead r;
      r.id = id++;
      r.conn = &k;
      r.tag = cid;
      r.order = k.next_order++;
      r.length = io_bytes;
      r.buf = alloc.alloc(io_bytes, multi(cid) ? host::SgMode::Pages : host::SgMode::Contiguous);
      r.posted = true;
      k.active[r.tag] = r.id;
      k.reads->add_command(r.tag, r.length, r.id);
      k.registered[k.slot_of(r.tag)] = r.id;
      reads.emplace(r.id, std::move(r));
    }
  }
  measure("driver reads", driver_flows, uint64_t(driver_flows) * cmds);

  // ---- Report ----
  const double mib = 1024.0 * 1024.0;
  const uint64_t total_cmds = uint64_t(flows) * cmds;
  uint64_t nic = 0, drv = 0;
  double drv_projected = 0;
  std::printf("%u flows x %u commands (%llu), %u B reads, every %u%s read multi-entry; "
              "driver state built for %u flows\n",
              flows, cmds, (unsigned long long)total_cmds, io_bytes, multi_every,
              multi_every == 1 ? "st" : "th", driver_flows);
  std::printf("%-32s %10s %12s %14s\n", "component", "RSS MiB", "B per flow", "B per command");
  nlohmann::json j;
  j["flows"] = flows;
  j["cmds_per_flow"] = cmds;
  j["io_bytes"] = io_bytes;
  j["multi_every"] = multi_every;
  j["driver_flows"] = driver_flows;
  j["sizeof"] = {{"DdpContext", sizeof(hw::DdpContext)},
                 {"FlowContext", sizeof(hw::FlowContext)},
                 {"DriverRead", sizeof(host::DriverRead)},
                 {"DriverConn", sizeof(host::DriverConn)}};
  for (const Part& p : parts) {
    const bool is_nic = p.name.rfind("NIC", 0) == 0;
    (is_nic ? nic : drv) += p.bytes;
    if (!is_nic) drv_projected += double(p.bytes) / p.flows * flows;
    std::printf("%-32s %10.1f %12.0f %14s\n", p.name.c_str(), p.bytes / mib,
                double(p.bytes) / p.flows,
                p.cmds ? std::to_string(llround(double(p.bytes) / p.cmds)).c_str() : "-");
    j["parts"].push_back({{"name", p.name}, {"rss_bytes", p.bytes}, {"flows", p.flows},
                          {"commands", p.cmds}});
  }
  const uint64_t hwm = status_kb("VmHWM:");
  const double projected = double(nic) + drv_projected;
  std::printf("%-32s %10.1f %12.0f %14.1f\n", "NIC total", nic / mib, double(nic) / flows,
              double(nic) / total_cmds);
  std::printf("%-32s %10.1f %12.0f %14.1f\n", "driver total, all flows (proj.)",
              drv_projected / mib, drv_projected / flows, drv_projected / total_cmds);
  std::printf("%-32s %10.1f %12.0f %14.1f\n", "model total (projected)", projected / mib,
              projected / flows, projected / total_cmds);
  const double gib = 1024.0 * mib;
  std::printf("under 1 GiB: NIC %s (%.2f GiB), NIC + driver %s (%.2f GiB); "
              "this process: VmHWM %.1f MiB\n",
              nic < gib ? "yes" : "no", nic / gib, projected < gib ? "yes" : "no",
              projected / gib, hwm / mib);
  j["nic_bytes"] = nic;
  j["driver_bytes_measured"] = drv;
  j["driver_bytes_projected"] = drv_projected;
  j["total_bytes_projected"] = projected;
  j["vm_hwm_bytes"] = hwm;
  if (!json_path.empty()) std::ofstream(json_path) << j.dump(2) << "\n";
  return 0;
}
