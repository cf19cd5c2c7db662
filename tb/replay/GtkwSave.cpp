#include "tb/replay/GtkwSave.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "hw/offload/pdu_tracker.hpp"

namespace nic::tb {

namespace {

// GTKWave's trace flags (its analysis.h), written in hex after '@'.
constexpr unsigned kDec = 0x4, kBin = 0x8, kRightJustify = 0x20, kBlank = 0x200;
constexpr unsigned kTranslated = 0x2000, kAnalogStep = 0x8000, kAnalogHeight = 0x20000;
constexpr unsigned kGroupBegin = 0x800000, kGroupEnd = 0x1000000;

// The window the save file asks for, and the width of its waveform pane: the signal tree,
// names and values, borders and scrollbar take the rest (GTKWave 3.3.118 gives the pane
// 760 pixels at this size; a little less is assumed so that the span fits).
constexpr int kWindowWidth = 1400, kWindowHeight = 900, kTreeWidth = 180, kNamesWidth = 340;
constexpr int kWavePixels = 740;

enum class Show {
  Number,  // decimal
  Bit,     // one wire
  Level,   // a FIFO's occupancy: analog steps, two rows high
  State,   // the PDU tracker's state, by name through the translate file
};

struct Sig {
  std::string name;  // below SystemC.top.nic
  int bits;
  Show show;
};

struct Group {
  std::string title;
  std::vector<Sig> sigs;
};

// A StreamChannel's handshake, level and head-of-line frame (hw/common/StreamChannel.hpp).
Group channel(const char* title, const std::string& name) {
  return {title,
          {{name + "_valid", 1, Show::Bit},
           {name + "_ready", 1, Show::Bit},
           {name + "_level", 32, Show::Level},
           {name + "_head", 64, Show::Number}}};
}

std::vector<Group> groups(bool rtl) {
  std::vector<Group> g = {
      // Both clocked domains: `edge` toggles at each edge evaluated.
      {"clocks",
       {{"clk.edge", 1, Show::Bit},
        {"clk.active_cycles", 64, Show::Number},
        {"mac_clk.edge", 1, Show::Bit},
        {"mac_clk.active_cycles", 64, Show::Number}}},
      // The receive FIFO and its crossing: the write pointer (MAC domain), the read pointer
      // (core domain) and the read pointer as the MAC domain sees it, in RAM words.
      {"MAC",
       {{"mac.fifo_bytes", 32, Show::Level},
        {"mac.fifo_wr_ptr", 64, Show::Number},
        {"mac.fifo_rd_ptr", 64, Show::Number},
        {"mac.fifo_rd_ptr_sync", 64, Show::Number},
        {"mac.frames_in", 64, Show::Number},
        {"mac.drops", 64, Show::Number}}},
      channel("MAC -> L2-L4", "mac_to_l3"),
      channel("L2-L4 -> flow", "l3_to_flow"),
      channel("flow -> parser", "flow_to_parser"),
      {"PDU parser",
       {{"pdu_parser.flow_valid", 1, Show::Bit},
        {"pdu_parser.flow", 32, Show::Number},
        {"pdu_parser.tracker_state", 8, Show::State},
        {"pdu_parser.resync_requests", 64, Show::Number}}},
      channel("parser -> CRC", "parser_to_crc"),
      channel("CRC -> placement", "crc_to_placement"),
      {"DMA", {{"dma.queued", 32, Show::Level}, {"dma.write_ops", 32, Show::Level},
               {"dma.read_ops", 32, Show::Level}, {"dma.rx_ram_bytes", 32, Show::Level}}},
      // The completion interrupt: messages sent (steps at each MSI-X write), armed until one.
      {"Interrupt", {{"msix.messages", 32, Show::Number}, {"msix.armed", 1, Show::Bit}}},
      // The transmit path: its buffer's bytes, frames from their read's issue to the wire.
      {"Transmit", {{"tx.buffer_bytes", 32, Show::Level}, {"tx.frames_in_flight", 32, Show::Level}}},
  };
  if (rtl)  // the Verilated CRC32C pipeline (crc.impl=rtl), beside the model's CRC stage
    g.push_back({"CRC32C RTL",
                 {{"crc_rtl.in_state", 32, Show::Number},
                  {"crc_rtl.in_keep", 64, Show::Number},
                  {"crc_rtl.out_state", 32, Show::Number},
                  {"crc_rtl.beats", 64, Show::Number},
                  {"crc_rtl.crc32c_pipe.v_q", 2, Show::Number}}});
  return g;
}

// Every value of hw::TrackerState with its name, from the code's own to_string (which
// answers "?" for a value the enum does not define).
void write_tracker_states(const std::string& path) {
  std::ofstream f(path);
  f << "# pdu_parser.tracker_state: hw::TrackerState (hw/offload/pdu_tracker.hpp)\n";
  for (unsigned v = 0; v <= 0xff; ++v) {
    const char* name = hw::to_string(hw::TrackerState(v));
    if (std::strcmp(name, "?") != 0) f << v << ' ' << name << '\n';
  }
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace

void write_gtkw(const std::string& base, const std::string& dumpfile, bool rtl,
                const GtkwView& view) {
  namespace fs = std::filesystem;
  const std::string gtkw = fs::absolute(base + ".gtkw").string();
  const std::string states = fs::absolute(base + ".tracker_state.txt").string();
  write_tracker_states(states);
  std::ofstream g(gtkw);
  g << "[dumpfile] \"" << fs::absolute(dumpfile).string() << "\"\n";
  g << "[savefile] \"" << gtkw << "\"\n";
  g << "[size] " << kWindowWidth << ' ' << kWindowHeight << "\n[pos] -1 -1\n";
  if (view.to_ps > view.from_ps) {
    // A tenth of the span either side; GTKWave shows 2^-zoom time units per 200 pixels.
    const uint64_t margin = (view.to_ps - view.from_ps) / 10;
    const uint64_t left = view.from_ps - std::min(margin, view.from_ps);
    const double zoom = -std::log2(200.0 * double(view.to_ps + margin - left) / kWavePixels);
    g << "*" << std::to_string(zoom) << ' ' << view.from_ps << ' ' << view.from_ps << ' '
      << view.to_ps << '\n';  // zoom, primary marker, named markers A and B
    g << "[timestart] " << left << "\n[markername] Awire\n[markername] Blanded\n";
  }
  g << "[sst_width] " << kTreeWidth << "\n[signals_width] " << kNamesWidth
    << "\n[sst_expanded] 1\n";
  const auto flags = [&](unsigned f) { g << '@' << std::hex << f << std::dec << '\n'; };
  for (const Group& gr : groups(rtl)) {
    flags(kGroupBegin | kBlank);
    g << '-' << gr.title << '\n';
    for (const Sig& s : gr.sigs) {
      if (s.show == Show::State) g << "^1 " << states << '\n';  // the translate file
      flags(s.show == Show::Bit      ? kBin | kRightJustify
            : s.show == Show::Level  ? kAnalogStep | kDec | kRightJustify
            : s.show == Show::State  ? kTranslated | kDec | kRightJustify
                                     : kDec | kRightJustify);
      g << "SystemC.top.nic." << s.name;
      if (s.bits > 1) g << '[' << s.bits - 1 << ":0]";
      g << '\n';
      if (s.show == Show::Level) {  // one blank row under it makes the analog trace taller
        flags(kBlank | kAnalogHeight);
        g << "-\n";
      }
    }
    flags(kGroupEnd | kBlank);
    g << '-' << gr.title << '\n';
  }
  if (!g) throw std::runtime_error("cannot write " + gtkw);
}

}  // namespace nic::tb
