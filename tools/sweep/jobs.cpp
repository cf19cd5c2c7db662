#include "tools/sweep/jobs.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <sstream>

#include "tools/sweep/sweep_dir.hpp"

namespace nic::sweep {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum((unsigned char)c) || std::strchr("/._-+=:,@%", c);
      }))
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string jobs_file(const Plan& plan, const fs::path& abs_dir, const std::string& nicsim) {
  // Inside "${NICSIM:-...}" only $ ` " \ are special.
  std::string program;
  for (char c : nicsim) {
    if (std::strchr("$`\"\\", c)) program += '\\';
    program += c;
  }
  std::ostringstream out;
  for (const auto& p : plan.points) {
    out << "\"${NICSIM:-" << program << "}\"";
    for (const auto& a : point_args(p, plan.line_rate, abs_dir)) out << ' ' << shell_quote(a);
    out << " > " << shell_quote(log_path(abs_dir, p).string()) << " 2>&1\n";
  }
  return out.str();
}

std::string slurm_script(size_t jobs, const fs::path& abs_dir) {
  std::ostringstream out;
  out << "#!/bin/bash\n"
      << "# nicsim sweep: one point per array task, task i runs line i+1 of " << kJobsFile << ".\n"
      << "# Submit with `sbatch " << shell_quote((abs_dir / kSlurmFile).string())
      << "`, then build the results with\n"
      << "# `nicsim sweep --merge " << shell_quote(abs_dir.string()) << " --out OUT`.\n"
      << "#SBATCH --job-name=nicsim-sweep\n"
      << "#SBATCH --array=0-" << (jobs ? jobs - 1 : 0) << "\n"
      << "#SBATCH --ntasks=1\n"
      << "#SBATCH --cpus-per-task=1\n"
      << "set -eu\n"
      << "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" "
      << shell_quote((abs_dir / kJobsFile).string()) << ")\n"
      << "exec bash -c \"$line\"\n";
  return out.str();
}

void write_job_files(const Plan& plan, const fs::path& abs_dir, const std::string& nicsim) {
  write_file(abs_dir / kJobsFile, jobs_file(plan, abs_dir, nicsim));
  write_file(abs_dir / kSlurmFile, slurm_script(plan.points.size(), abs_dir));
  fs::permissions(abs_dir / kSlurmFile, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
}

}  // namespace nic::sweep
