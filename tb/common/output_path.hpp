// Output paths checked before a run starts, so that a path that cannot be written costs one
// line and no simulation, instead of an error after it. Plain C++.
#pragma once
#include <string>

namespace nic::tb {

// Throws std::invalid_argument("OPTION PATH: why") when a file cannot be written at `path`:
// its folder is missing, it is a folder, or it cannot be opened or created for writing.
// Leaves nothing behind: an existing file is not truncated, a probe file is removed.
void check_output_file(const std::string& option, const std::string& path);
// Creates the folder `path` (and its parents) when missing; throws std::invalid_argument as
// above when that fails or no file can be created in it.
void make_output_dir(const std::string& option, const std::string& path);

}  // namespace nic::tb
