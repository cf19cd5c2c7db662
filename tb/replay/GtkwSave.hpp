// The GTKWave save file (.gtkw) written beside every replay waveform. It opens the signals
// grouped by block in pipeline order, draws FIFO levels as analog steps, names the PDU
// tracker's state through a translate file written beside it, and zooms onto one frame's way
// from the wire to host memory (named markers A and B) rather than onto the whole run.
#pragma once
#include <cstdint>
#include <string>

namespace nic::tb {

// Simulated time the save file opens on; from_ps == to_ps leaves GTKWave's default view.
struct GtkwView {
  uint64_t from_ps = 0, to_ps = 0;
};

// Writes BASE.gtkw for `dumpfile` (VCD or FST) and BASE.tracker_state.txt, the translate
// file it names. Paths inside are absolute, as GTKWave writes them: it finds the files again
// relative to the save file's new place when the directory is moved. `rtl` adds the
// Verilated CRC32C pipeline's signals (crc.impl=rtl).
void write_gtkw(const std::string& base, const std::string& dumpfile, bool rtl,
                const GtkwView& view);

}  // namespace nic::tb
