// Job files that run a sweep's points on other machines: jobs.txt, one shell command per
// point for GNU parallel, and slurm.sh, a Slurm array job over its lines. Their results come
// back with merge.hpp.
#pragma once
#include <filesystem>
#include <string>

#include "tools/sweep/plan.hpp"

namespace nic::sweep {

inline constexpr const char* kJobsFile = "jobs.txt";
inline constexpr const char* kSlurmFile = "slurm.sh";

// `s` as one word of a POSIX shell command line, quoted only when it must be.
std::string shell_quote(const std::string& s);
// One line per point with absolute paths; the program is "${NICSIM:-<nicsim>}" so that the
// nodes can use another install.
std::string jobs_file(const Plan& plan, const std::filesystem::path& abs_dir, const std::string& nicsim);
std::string slurm_script(size_t jobs, const std::filesystem::path& abs_dir);
// Writes both into `abs_dir`, slurm.sh executable.
void write_job_files(const Plan& plan, const std::filesystem::path& abs_dir, const std::string& nicsim);

}  // namespace nic::sweep
