// etcd v3 client results: a value, or one line saying why there is none.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace irsp::cluster {

/// What an etcd call gives back: either a value or a one-line error such as
/// "etcd at http://127.0.0.1:2379: timed out after 2000 ms". Errors are values
/// here, as everywhere in IRSP; nothing throws.
template <class T>
class etcd_result {
public:
  /// A successful result.
  etcd_result(T value) : value_(std::move(value)) {}

  /// A failed result carrying `message`.
  static etcd_result failure(std::string message) {
    etcd_result r;
    r.error_ = std::move(message);
    return r;
  }

  /// True when the call succeeded.
  explicit operator bool() const { return value_.has_value(); }
  /// The value; only when the call succeeded.
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  /// The error line; empty when the call succeeded.
  const std::string& error() const { return error_; }

private:
  etcd_result() = default;
  std::optional<T> value_;
  std::string error_;
};

} // namespace irsp::cluster
