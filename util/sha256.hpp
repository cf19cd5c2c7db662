// SHA-256 (OpenSSL) as lowercase hex: how truth files, reports and verdicts name a buffer.
#pragma once
#include <string>

#include "util/bytes.hpp"

namespace nic {

std::string sha256_hex(ByteView data);

}  // namespace nic
