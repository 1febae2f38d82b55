// The operator's /health answer: whether the node serves, and if not, why.
#include "node/http/health.hpp"

#include <nlohmann/json.hpp>

namespace irsp::http {

health_report evaluate(const std::vector<health_check>& checks) {
  auto body = nlohmann::ordered_json::object();
  auto results = nlohmann::ordered_json::object();
  std::string reason;
  for (const auto& c : checks) {
    auto problem = c.problem();
    results[c.name] = problem ? *problem : "ok";
    if (problem && reason.empty())
      reason = c.name + ": " + *problem;
  }
  body["status"] = reason.empty() ? "ok" : "unavailable";
  if (!reason.empty())
    body["reason"] = reason;
  body["checks"] = std::move(results);
  return {reason.empty(), body.dump()};
}

} // namespace irsp::http
