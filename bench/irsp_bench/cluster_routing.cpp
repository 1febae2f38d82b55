// irsp-bench: accounts to endpoints by the home of their actor on an IRSP
// cluster, with the node's own placement code (not a copy of it).
#include "bench/irsp_bench/cluster_routing.hpp"

#include <algorithm>
#include <cctype>

#include "cluster/placement.hpp"

namespace irsp::bench {

const char* to_string(connect_choice choice) noexcept {
  switch (choice) {
    case connect_choice::spread:
      return "spread";
    case connect_choice::home:
      return "home";
    case connect_choice::away:
      return "away";
  }
  return "?";
}

std::optional<std::vector<int>> account_targets(int users, const std::string& prefix,
                                                const std::string& domain,
                                                const std::vector<std::string>& nodes,
                                                connect_choice choice, std::string& error) {
  std::vector<int> out;
  if (choice == connect_choice::spread)
    return out;
  if (nodes.empty() || (choice == connect_choice::away && nodes.size() < 2)) {
    error = std::string("--connect-to ") + to_string(choice) + " needs --cluster-nodes"
            + (choice == connect_choice::away ? " with at least two nodes" : "");
    return std::nullopt;
  }
  // The router places the prepared address: nodeprep case-folds the
  // localpart, and the domain is compared as configured (lower case here).
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  const std::string suffix = "@" + lower(domain);
  const std::string stem = lower(prefix);
  out.reserve(static_cast<std::size_t>(users));
  for (int a = 0; a < users; ++a) {
    const auto* home = cluster::home_of(stem + std::to_string(a) + suffix, nodes);
    const auto k = static_cast<int>(home - nodes.data());
    out.push_back(choice == connect_choice::home ? k : (k + 1) % static_cast<int>(nodes.size()));
  }
  return out;
}

} // namespace irsp::bench
