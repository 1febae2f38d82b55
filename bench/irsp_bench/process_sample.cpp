#include "bench/irsp_bench/process_sample.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace irsp::bench {

std::optional<process_sample> sample_process(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  process_sample out;
  bool have_rss = false;
  {
    std::ifstream status{dir + "/status"};
    for (std::string line; std::getline(status, line);) {
      if (line.compare(0, 6, "VmRSS:") == 0) {
        out.rss_kib = std::stol(line.substr(6));
        have_rss = true;
        break;
      }
    }
  }
  std::ifstream stat_file{dir + "/stat"};
  std::string stat;
  if (!have_rss || !std::getline(stat_file, stat))
    return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses; the fields
  // after its last ')' are plain numbers. utime and stime are fields 14, 15.
  auto close = stat.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream fields{stat.substr(close + 2)};
  std::string skip;
  for (int field = 3; field < 14; ++field)
    fields >> skip;
  unsigned long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime))
    return std::nullopt;
  out.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return out;
}

double own_cpu_seconds() {
  rusage use{};
  getrusage(RUSAGE_SELF, &use);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(use.ru_utime) + seconds(use.ru_stime);
}

} // namespace irsp::bench
