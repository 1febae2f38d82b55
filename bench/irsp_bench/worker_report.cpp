#include "bench/irsp_bench/worker_report.hpp"

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace irsp::bench {

namespace {

constexpr std::string_view tag = "irsp-bench report 2\n";

class writer {
public:
  template <class T>
  bool number(T value) {
    static_assert(std::is_arithmetic_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof value);
    return true;
  }
  bool text(const std::string& s) {
    number<std::uint64_t>(s.size());
    out_ += s;
    return true;
  }
  bool counts(const std::map<std::string, int>& m) {
    number<std::uint64_t>(m.size());
    for (const auto& [key, count] : m) {
      text(key);
      number(count);
    }
    return true;
  }
  bool samples(const latency_samples& s) {
    const auto& v = s.values();
    number<std::uint64_t>(v.size());
    out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int64_t));
    return true;
  }
  std::string& bytes() {
    return out_;
  }

private:
  std::string out_;
};

class reader {
public:
  explicit reader(std::string_view in) : in_(in) {
  }
  template <class T>
  bool number(T& value) {
    if (in_.size() < sizeof value)
      return false;
    std::memcpy(&value, in_.data(), sizeof value);
    in_.remove_prefix(sizeof value);
    return true;
  }
  bool text(std::string& s) {
    std::uint64_t size = 0;
    if (!number(size) || in_.size() < size)
      return false;
    s.assign(in_.data(), size);
    in_.remove_prefix(size);
    return true;
  }
  bool counts(std::map<std::string, int>& m) {
    std::uint64_t size = 0;
    if (!number(size))
      return false;
    for (std::uint64_t i = 0; i < size; ++i) {
      std::string key;
      int count = 0;
      if (!text(key) || !number(count))
        return false;
      m[key] += count;
    }
    return true;
  }
  bool samples(latency_samples& s) {
    std::uint64_t size = 0;
    if (!number(size) || in_.size() / sizeof(std::int64_t) < size)
      return false;
    for (std::uint64_t i = 0; i < size; ++i) {
      std::int64_t v = 0;
      number(v);
      s.add(v);
    }
    return true;
  }
  bool expect(std::string_view prefix) {
    if (in_.substr(0, prefix.size()) != prefix)
      return false;
    in_.remove_prefix(prefix.size());
    return true;
  }
  bool at_end() const noexcept {
    return in_.empty();
  }

private:
  std::string_view in_;
};

// One list of the fields, used both ways, so that encoder and decoder cannot
// drift apart.
template <class Io, class Result, class Keys>
bool fields(Io& io, Result& r, Keys keys) {
  bool ok = io.number(r.attempted) && io.number(r.ready) && io.number(r.replaced)
            && io.number(r.replaced_in_login)
            && io.counts(r.login_failures) && io.counts(r.dropped) && io.counts(r.mechanisms)
            && io.counts(r.tls_versions) && io.samples(r.login) && io.samples(r.login_tcp)
            && io.samples(r.login_tls) && io.samples(r.login_auth) && io.samples(r.login_bind)
            && io.samples(r.login_session) && io.samples(r.registration)
            && io.number(r.first_start_ns) && io.number(r.last_ready_ns)
            && io.number(r.first_ready_ns)
            && io.number(r.key_cache_hits) && io.number(r.key_cache_misses) && io.number(r.sent)
            && io.number(r.replies) && io.number(r.errors) && io.counts(r.error_conditions)
            && io.number(r.acks) && io.number(r.timeouts) && io.number(r.measured)
            && io.samples(r.round_trip);
  return ok && keys(io);
}

} // namespace

std::string encode_report(const worker_report& report) {
  writer w;
  w.bytes() = tag;
  fields(w, report.result, [&](writer& io) {
    io.number<std::uint64_t>(report.learned_keys.size());
    for (const auto& [id, value] : report.learned_keys.entries()) {
      io.text(id);
      io.text(value);
    }
    return true;
  });
  return std::move(w.bytes());
}

std::optional<worker_report> decode_report(std::string_view bytes) {
  reader in{bytes};
  worker_report report;
  if (!in.expect(tag))
    return std::nullopt;
  const bool ok = fields(in, report.result, [&](reader& io) {
    std::uint64_t size = 0;
    if (!io.number(size))
      return false;
    for (std::uint64_t i = 0; i < size; ++i) {
      std::string id, value;
      if (!io.text(id) || !io.text(value))
        return false;
      report.learned_keys.add(std::move(id), std::move(value));
    }
    return true;
  });
  if (!ok || !in.at_end())
    return std::nullopt;
  return report;
}

} // namespace irsp::bench
