// The isolation checker flags every DMA write outside a live registration of the CID it was
// placed for, outside the rings, or after the TeardownDone entry landed.
#include <catch2/catch.hpp>
#include <tlm>

#include "hw/abi/nic_abi.hpp"
#include "hw/pcie/DmaTag.hpp"
#include "tb/replay/IsolationChecker.hpp"

using namespace nic;

namespace {
struct Write {
  tlm::tlm_generic_payload gp;
  hw::DmaTag tag;
  Bytes data;
  Write(uint64_t addr, size_t len, bool placement, uint32_t flow = 0, uint16_t cid = 0)
      : data(len, 0xAB) {
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(data.data());
    gp.set_data_length(unsigned(len));
    if (placement) {
      tag.kind = hw::DmaTag::Kind::Placement;
      tag.flow = flow;
      tag.io_tag = cid;
      gp.set_extension(&tag);
    }
  }
  ~Write() { gp.clear_extension(&tag); }
};
}  // namespace

TEST_CASE("isolation: placements inside a live SG element pass, anything else is flagged", "[isolation]") {
  tb::IsolationChecker chk({0x2000'0000, 4096 * 64}, {0x4000'0000, 1 << 20});
  chk.registered(7, 3, {{0x1'0000'0100, 100}, {0x1'0000'9000, 4096}});
  auto write = [&](uint64_t addr, size_t len, bool placement, uint32_t flow = 7, uint16_t cid = 3) {
    Write w(addr, len, placement, flow, cid);
    chk.on_write(addr, len, w.gp);
    return chk.violations();
  };
  CHECK(write(0x1'0000'0100, 100, true) == 0);       // exactly the first element
  CHECK(write(0x1'0000'9000 + 10, 4000, true) == 0);  // inside the second
  CHECK(write(0x1'0000'0100 + 50, 51, true) == 1);    // one byte past the first element
  CHECK(write(0x1'0000'0100, 100, true, 7, 4) == 2);  // right place, wrong CID
  CHECK(write(0x1'0000'0100, 100, true, 8, 3) == 3);  // wrong flow
  CHECK(write(0x4000'0000 + 5, 1000, false) == 3);    // receive ring
  CHECK(write(0x1'0000'0100, 16, false) == 4);        // not a placement, not a ring
  // TeardownDone for (7, 3) lands: the buffer is off limits from then on.
  abi::Cqe td;
  td.type = abi::CqeType::TeardownDone;
  td.flow = 7;
  td.io_tag = 3;
  Write cqe(0x2000'0000 + 64, abi::kCqeSize, false);
  td.encode(cqe.data.data());
  chk.on_write(0x2000'0000 + 64, abi::kCqeSize, cqe.gp);
  CHECK(chk.violations() == 4);
  CHECK(write(0x1'0000'9000, 64, true) == 5);
  REQUIRE(chk.reports().size() == 5);
  CHECK(chk.reports().back().find("no live registration") != std::string::npos);
}
