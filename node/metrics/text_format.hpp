// Prometheus exposition format 0.0.4 (text): names, label values, numbers.
#pragma once

#include <string>
#include <string_view>

namespace irsp::metrics {

/// Whether `name` is a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_name(std::string_view name);

/// Whether `name` is a valid label name: [a-zA-Z_][a-zA-Z0-9_]*, not
/// starting with `__` (reserved).
bool valid_label_name(std::string_view name);

/// A label value as written between double quotes: `\`, `"` and newline
/// escaped.
std::string escape_label_value(std::string_view value);

/// HELP text with `\` and newline escaped.
std::string escape_help(std::string_view help);

/// A sample value or bucket bound: the shortest decimal that reads back
/// the same double; `+Inf`, `-Inf`, `NaN` as the format spells them.
std::string format_number(double v);

} // namespace irsp::metrics
