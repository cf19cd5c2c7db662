// Serial software CRC32C throughput (the SSE4.2 path when the CPU has it) over a buffer of
// the given size: the ceiling for any simulator that touches each byte once.
// Usage: crc_serial_bench BYTES  -> prints bytes per second
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "proto/crc32c.hpp"

int main(int argc, char** argv) {
  const size_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : (256u << 20);
  std::vector<uint8_t> buf(size_t(1) << 20);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = uint8_t(i * 131 + 7);
  uint32_t reg = nic::crc32c::kInit;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t done = 0; done < total; done += buf.size())
    reg = nic::crc32c::update(reg, buf.data(), std::min(buf.size(), total - done));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.0f %08x %s\n", double(total) / s, reg, nic::crc32c::hw_accelerated() ? "sse4.2" : "table");
  return 0;
}
