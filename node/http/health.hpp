// The operator's /health answer: whether the node serves, and if not, why.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace irsp::http {

/// One condition of serving: `problem` returns nullopt when it holds, else
/// one line saying what is wrong. Called from the listener's thread.
struct health_check {
  std::string name;
  std::function<std::optional<std::string>()> problem;
};

/// What /health answers.
struct health_report {
  bool ok = false;
  /// `{"status":"ok","checks":{...}}` or `{"status":"unavailable",
  /// "reason":"<first failing check>: <problem>","checks":{...}}`.
  std::string json;
};

/// Runs every check, in order.
health_report evaluate(const std::vector<health_check>& checks);

} // namespace irsp::http
