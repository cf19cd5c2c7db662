// nicsim's version (CMake project() VERSION) and the git commit CMake configured, empty
// outside a git checkout.
#pragma once

namespace nicsim {
extern const char* const kVersion;
extern const char* const kCommit;
}  // namespace nicsim
