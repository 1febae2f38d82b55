// IRSP §8.3.1/§8.3.3 (echo: upload, push back); RFC 6121 §8.5.2 (message to
// one's own bare JID, delivered to the available resource).
#include "bench/irsp_bench/load_worker.hpp"

#include <algorithm>
#include <cstdlib>

namespace irsp::bench {

namespace {

constexpr std::string_view ns_irsp = "urn:irsp:0";
constexpr auto scan_interval = std::chrono::milliseconds(100);
constexpr auto close_grace = std::chrono::seconds(5);

/// The timestamp a body, payload or id starts with; 0 if there is none.
std::int64_t leading_stamp(std::string_view text) {
  std::int64_t value = 0;
  std::size_t i = 0;
  for (; i < text.size() && i < 19 && text[i] >= '0' && text[i] <= '9'; ++i)
    value = value * 10 + (text[i] - '0');
  return i == 0 ? 0 : value;
}

} // namespace

load_worker::load_worker(const bench_options& options, const connection_plan& plan,
                         run_control& control, worker_status& status,
                         const tls::client_context& tls,
                         const std::vector<target_endpoint>& targets,
                         std::vector<sockaddr_in> sources, const scram_key_cache* loaded_keys,
                         int worker_index)
  : options_(options),
    plan_(plan),
    control_(control),
    status_(status),
    worker_index_(worker_index) {
  env_.options = &options_;
  env_.targets = &targets;
  env_.sources = std::move(sources);
  if (loaded_keys != nullptr)
    env_.keys = key_caches{loaded_keys, &learned_keys_};
  env_.tls = &tls;
  env_.sasl = &sasl_;
  env_.loop = &loop_;
}

bool load_worker::run() {
  if (!loop_.ok() || !sasl_.ok()) {
    result_.login_failures[!loop_.ok() ? "epoll_create failed" : "gsasl_init failed"] = 1;
    status_.settled = status_.drained = status_.finished = true;
    return false;
  }
  for (int i = worker_index_; i < plan_.connections(); i += plan_.workers())
    clients_.push_back(std::make_unique<xmpp_client>(
      env_, *this, static_cast<int>(clients_.size()),
      options_.prefix + std::to_string(plan_.account(i)), plan_.target(i),
      env_.sources.empty() ? 0 : plan_.source(i)));
  traffic_.resize(clients_.size());
  next_scan_ = bench_clock::now();
  bool drain_begun = false;
  bool close_begun = false;
  bench_clock::time_point drain_deadline;
  bench_clock::time_point close_deadline;
  for (;;) {
    const auto now = bench_clock::now();
    if (now >= next_scan_) {
      scan_deadlines(now);
      next_scan_ = now + scan_interval;
    }
    switch (control_.phase.load()) {
      case run_phase::connect:
        open_due(now);
        break;
      case run_phase::hold:
        break;
      case run_phase::traffic:
        if (!traffic_begun_)
          begin_traffic(now);
        send_due(now);
        break;
      case run_phase::drain:
        if (!drain_begun) {
          drain_begun = true;
          drain_deadline = now + std::chrono::duration_cast<bench_clock::duration>(
                                   std::chrono::duration<double>(options_.reply_timeout));
        }
        if (outstanding_ == 0 || now >= drain_deadline)
          status_.drained = true;
        break;
      case run_phase::close:
        if (!close_begun) {
          close_begun = true;
          close_deadline = now + close_grace;
          for (auto& c : clients_)
            c->close();
        }
        if (now >= close_deadline
            || std::all_of(clients_.begin(), clients_.end(),
                           [](const auto& c) { return c->ended() || c->current_state() == xmpp_client::state::idle; })) {
          for (auto& c : clients_)
            c->abort();
          status_.finished = true;
          return true;
        }
        break;
    }
    if (!status_.settled && opened_ == clients_.size()
        && resolved_ == static_cast<int>(clients_.size()))
      status_.settled = true;
    loop_.poll(poll_timeout_ms(now));
  }
}

void load_worker::open_due(bench_clock::time_point now) {
  const std::int64_t start = control_.ramp_start_ns.load();
  const std::int64_t now_ns = to_ns(now);
  while (opened_ < clients_.size()) {
    // Connection i of the whole run opens at start + i / ramp, whichever
    // thread or process owns it, so that together they keep the one ramp.
    const auto i = static_cast<double>(connection_number(opened_));
    if (start + static_cast<std::int64_t>(i * 1e9 / options_.ramp) > now_ns)
      break;
    ++result_.attempted;
    if (result_.first_start_ns == 0)
      result_.first_start_ns = now_ns;
    clients_[opened_++]->start();
  }
}

void load_worker::scan_deadlines(bench_clock::time_point now) {
  const auto login_timeout = std::chrono::duration_cast<bench_clock::duration>(
    std::chrono::duration<double>(options_.login_timeout));
  const auto reply_timeout = std::chrono::duration_cast<bench_clock::duration>(
    std::chrono::duration<double>(options_.reply_timeout));
  for (std::size_t k = 0; k < opened_; ++k) {
    auto& c = *clients_[k];
    if (c.logging_in()) {
      c.check_login_deadline(now, c.times().started + login_timeout);
      continue;
    }
    // Closed loop: a round trip that never comes back must not idle its
    // connection for the rest of the run.
    auto& t = traffic_[k];
    if (t.in_flight_stamp != 0 && now - t.in_flight_since > reply_timeout) {
      ++result_.timeouts;
      t.in_flight_stamp = 0;
      if (t.outstanding > 0) {
        --t.outstanding;
        --outstanding_;
      }
      if (sending(now))
        send_one(static_cast<int>(k), to_ns(now), now);
    }
  }
}

void load_worker::begin_traffic(bench_clock::time_point now) {
  traffic_begun_ = true;
  traffic_start_ns_ = control_.traffic_start_ns.load();
  traffic_end_ns_ = control_.traffic_end_ns.load();
  window_start_ns_ = traffic_start_ns_ + static_cast<std::int64_t>(options_.warmup * 1e9);
  if (options_.scenario == scenario_kind::connect)
    return;
  for (std::size_t k = 0; k < clients_.size(); ++k) {
    if (clients_[k]->current_state() != xmpp_client::state::ready)
      continue;
    if (options_.rate > 0) {
      // Spread the connections' first sends evenly over one period so that
      // the offered load is smooth rather than N-message bursts.
      period_ns_ = static_cast<std::int64_t>(1e9 / options_.rate);
      const double global = connection_number(k);
      const auto offset = static_cast<std::int64_t>(static_cast<double>(period_ns_) * (global + 0.5)
                                                    / plan_.connections());
      schedule_.emplace(traffic_start_ns_ + offset, static_cast<int>(k));
    } else {
      send_one(static_cast<int>(k), to_ns(now), now);
    }
  }
}

void load_worker::send_due(bench_clock::time_point now) {
  const std::int64_t now_ns = to_ns(now);
  while (!schedule_.empty() && schedule_.top().first <= now_ns) {
    auto [due, k] = schedule_.top();
    schedule_.pop();
    if (due >= traffic_end_ns_)
      continue;
    // Stamped with the time it was due, not the time it went: a late send
    // (this loop fell behind) then shows as latency instead of being hidden
    // (coordinated omission).
    send_one(k, due, now);
    schedule_.emplace(due + period_ns_, k);
  }
}

void load_worker::send_one(int k, std::int64_t stamp, bench_clock::time_point now) {
  auto& c = *clients_[k];
  if (c.current_state() != xmpp_client::state::ready)
    return;
  std::string text = std::to_string(stamp);
  if (text.size() < static_cast<std::size_t>(options_.payload_bytes)) {
    text += ' ';
    text.append(static_cast<std::size_t>(options_.payload_bytes) - text.size(), 'x');
  }
  xmpp::element stanza;
  if (options_.scenario == scenario_kind::echo) {
    stanza = xmpp::element{"iq", std::string{xmpp::ns_client}};
    stanza.set_attr("type", "set");
    stanza.set_attr("to", "echo@apps." + options_.echo_domain);
    stanza.set_attr("id", "e" + std::to_string(stamp));
    stanza.add_child("upload", std::string{ns_irsp}).add_text(text);
  } else {
    stanza = xmpp::element{"message", std::string{xmpp::ns_client}};
    stanza.set_attr("to", c.bare_jid());
    stanza.set_attr("type", "chat");
    stanza.set_attr("id", "m" + std::to_string(stamp));
    stanza.add_child("body").add_text(text);
  }
  auto& t = traffic_[k];
  ++result_.sent;
  ++t.outstanding;
  ++outstanding_;
  if (options_.rate == 0) {
    t.in_flight_stamp = stamp;
    t.in_flight_since = now;
  }
  c.send(stanza);
}

void load_worker::complete(int k, std::int64_t stamp, bool ok, bench_clock::time_point now) {
  auto& t = traffic_[k];
  const bool closed_loop = options_.rate == 0;
  // In the closed loop only the reply to the one in flight settles it; a
  // reply that comes after its timeout still counts, and shows its latency.
  const bool settles = !closed_loop || stamp == t.in_flight_stamp;
  if (settles && t.outstanding > 0) {
    --t.outstanding;
    --outstanding_;
  }
  if (ok) {
    ++result_.replies;
    if (stamp >= window_start_ns_ && stamp < traffic_end_ns_) {
      ++result_.measured;
      result_.round_trip.add(to_ns(now) - stamp);
    }
  }
  if (closed_loop && settles) {
    t.in_flight_stamp = 0;
    if (sending(now))
      send_one(k, to_ns(now), now);
  }
}

bool load_worker::sending(bench_clock::time_point now) const {
  return traffic_begun_ && control_.phase.load() == run_phase::traffic && to_ns(now) < traffic_end_ns_;
}

int load_worker::poll_timeout_ms(bench_clock::time_point now) const {
  std::int64_t wait_ns = 10'000'000;
  const std::int64_t now_ns = to_ns(now);
  if (control_.phase.load() == run_phase::connect && opened_ < clients_.size()) {
    const auto i = static_cast<double>(connection_number(opened_));
    const std::int64_t due =
      control_.ramp_start_ns.load() + static_cast<std::int64_t>(i * 1e9 / options_.ramp);
    wait_ns = std::min(wait_ns, due - now_ns);
  }
  if (!schedule_.empty())
    wait_ns = std::min(wait_ns, schedule_.top().first - now_ns);
  if (wait_ns <= 0)
    return 0;
  // Round up: waking a little late is fine, spinning at 0 ms is not.
  return static_cast<int>((wait_ns + 999'999) / 1'000'000);
}

void load_worker::on_ready(xmpp_client& client) {
  ++result_.ready;
  ++status_.ready;
  ++resolved_;
  const auto& t = client.times();
  auto ns = [](bench_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  };
  result_.login.add(ns(t.ready - t.started - t.registration));
  result_.login_tcp.add(ns(t.tcp_done - t.started));
  result_.login_tls.add(ns(t.tls_done - t.tcp_done));
  result_.login_auth.add(ns(t.auth_done - t.tls_done - t.registration));
  result_.login_bind.add(ns(t.bound - t.auth_done));
  if (options_.legacy_session)
    result_.login_session.add(ns(t.ready - t.bound));
  if (t.registration.count() > 0)
    result_.registration.add(ns(t.registration));
  result_.last_ready_ns = std::max(result_.last_ready_ns, to_ns(t.ready));
  if (result_.first_ready_ns == 0 || to_ns(t.ready) < result_.first_ready_ns)
    result_.first_ready_ns = to_ns(t.ready);
  if (client.key_source() == key_use::cached)
    ++result_.key_cache_hits;
  else if (client.key_source() == key_use::computed)
    ++result_.key_cache_misses;
  ++result_.mechanisms[client.mechanism()];
  ++result_.tls_versions[client.tls_version()];
}

void load_worker::on_failed(xmpp_client& client, const std::string& reason) {
  const int k = client.index();
  if (client.times().ready != bench_clock::time_point{}) {
    // A session lost after login. Its replies will not come: stop waiting.
    // RFC 6120 §7.7.2.2: a later login of the same resource replaced it.
    if (reason == "stream error: conflict")
      ++result_.replaced;
    else if (control_.phase.load() != run_phase::close)
      ++result_.dropped[reason];
    outstanding_ -= traffic_[k].outstanding;
    traffic_[k] = traffic_state{};
    return;
  }
  ++resolved_;
  if (reason == "stream error: conflict" && plan_.replacements > 0) {
    // Its account's second login bound first: the race tsung's logins have too.
    ++result_.replaced_in_login;
    return;
  }
  ++result_.login_failures[reason];
  ++status_.failed;
}

void load_worker::on_stanza(xmpp_client& client, const xmpp::element& stanza) {
  const auto now = bench_clock::now();
  const int k = client.index();
  if (options_.scenario == scenario_kind::message) {
    if (stanza.name() != "message")
      return;
    const bool error = stanza.attr("type") == "error";
    const xmpp::element* body = stanza.child("body");
    std::int64_t stamp = body != nullptr ? leading_stamp(body->text()) : 0;
    // An error need not echo the body (RFC 6120 §8.3.1 says it MAY); the id
    // carries the same stamp.
    const auto id = stanza.attr("id");
    if (stamp == 0 && error && id.size() > 1 && id[0] == 'm')
      stamp = leading_stamp(id.substr(1));
    if (stamp == 0)
      return; // chat states, server notices: not ours
    if (error) {
      ++result_.errors;
      ++result_.error_conditions[stanza_error_condition(stanza)];
    }
    complete(k, stamp, !error, now);
  } else if (options_.scenario == scenario_kind::echo) {
    if (stanza.name() == "message") {
      const xmpp::element* push = stanza.child("push", ns_irsp);
      const std::int64_t stamp = push != nullptr ? leading_stamp(push->text()) : 0;
      if (stamp != 0)
        complete(k, stamp, true, now);
    } else if (stanza.name() == "iq") {
      const auto id = stanza.attr("id");
      if (id.size() < 2 || id[0] != 'e')
        return;
      if (stanza.attr("type") == "result") {
        ++result_.acks;
      } else if (stanza.attr("type") == "error") {
        // No push will follow a refused upload.
        ++result_.errors;
        ++result_.error_conditions[stanza_error_condition(stanza)];
        complete(k, leading_stamp(id.substr(1)), false, now);
      }
    }
  }
}

} // namespace irsp::bench
