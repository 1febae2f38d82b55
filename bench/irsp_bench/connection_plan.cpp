#include "bench/irsp_bench/connection_plan.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

namespace irsp::bench {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> pieces;
  std::string::size_type start = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    pieces.push_back(text.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos)
      return pieces;
    start = comma + 1;
  }
}

std::optional<std::vector<std::uint16_t>> parse_port_list(const std::string& text,
                                                          std::string& error) {
  std::vector<std::uint16_t> ports;
  std::set<std::uint16_t> seen;
  for (const auto& piece : split_list(text)) {
    if (piece.empty() || piece.size() > 5
        || piece.find_first_not_of("0123456789") != std::string::npos) {
      error = "not a port: '" + piece + "' (want e.g. 5222 or 5222,5322)";
      return std::nullopt;
    }
    const long value = std::stol(piece);
    if (value < 1 || value > 65535) {
      error = "port out of range: " + piece;
      return std::nullopt;
    }
    if (!seen.insert(static_cast<std::uint16_t>(value)).second) {
      error = "port listed twice: " + piece;
      return std::nullopt;
    }
    ports.push_back(static_cast<std::uint16_t>(value));
  }
  return ports;
}

std::optional<std::vector<target_endpoint>> make_targets(const std::vector<std::string>& hosts,
                                                         const std::vector<std::uint16_t>& ports,
                                                         std::string& error) {
  std::vector<target_endpoint> out;
  for (const auto& host : hosts) {
    for (auto port : ports) {
      target_endpoint t;
      std::memset(&t.address, 0, sizeof t.address);
      auto* v4 = reinterpret_cast<sockaddr_in*>(&t.address);
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&t.address);
      if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        t.length = sizeof(sockaddr_in);
        t.name = host + ":" + std::to_string(port);
      } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        t.length = sizeof(sockaddr_in6);
        t.name = "[" + host + "]:" + std::to_string(port);
      } else {
        error = "not an IP address: " + host;
        return std::nullopt;
      }
      out.push_back(std::move(t));
    }
  }
  if (out.empty()) {
    error = "no server address given";
    return std::nullopt;
  }
  return out;
}

sockaddr_in source_address(const in_addr& first, int i) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(ntohl(first.s_addr) + static_cast<std::uint32_t>(i));
  return a;
}

int connection_plan::account(int i) const noexcept {
  if (i < users)
    return i;
  // Replacement j logs in account floor(j * users / replacements): evenly
  // spread, each account at most once while replacements <= users.
  const auto j = static_cast<long long>(i - users);
  return static_cast<int>(j * users / replacements);
}

int connection_plan::connections_per_process() const noexcept {
  // Worker w holds connections w, w + W, …; a process holds its threads'.
  const int w = workers();
  const int per_worker = (connections() + w - 1) / w;
  return std::min(connections(), per_worker * threads);
}

std::optional<connection_plan> make_plan(int users, double replace_fraction, int targets,
                                         int processes, int threads, int sources,
                                         std::string& error) {
  connection_plan p;
  if (users < 0 || targets < 1 || threads < 1 || processes < 0 || sources < 0
      || !(replace_fraction >= 0 && replace_fraction <= 1)) {
    error = "invalid plan";
    return std::nullopt;
  }
  p.users = users;
  p.replacements = static_cast<int>(std::lround(replace_fraction * users));
  p.targets = targets;
  p.threads = threads;
  const int total = p.connections();
  p.processes = processes > 0 ? processes
                              : std::max(1, (total + max_connections_per_process - 1)
                                              / max_connections_per_process);
  p.sources = sources > 0 ? sources
                          : std::max(1, (total + connections_per_source_address - 1)
                                          / connections_per_source_address);
  // Rounding over threads can leave one process a connection over: add one.
  while (processes == 0 && p.connections_per_process() > max_connections_per_process)
    ++p.processes;
  if (p.connections_per_process() > max_connections_per_process) {
    error = std::to_string(total) + " connections over " + std::to_string(p.processes)
            + " processes is " + std::to_string(p.connections_per_process())
            + " per process, over the cap of " + std::to_string(max_connections_per_process)
            + " (use --processes 0 for enough of them)";
    return std::nullopt;
  }
  if (p.sources > 250) {
    error = "at most 250 source addresses";
    return std::nullopt;
  }
  return p;
}

} // namespace irsp::bench
