#include "util/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace nic {

std::string sha256_hex(ByteView data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the implementation up on every call,
  // which costs as much as hashing a few KiB.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  if (!sha256 || EVP_Digest(data.data, data.size, md, &md_len, sha256, nullptr) != 1)
    throw std::runtime_error("SHA-256 failed (OpenSSL EVP_Digest)");
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < md_len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace nic
