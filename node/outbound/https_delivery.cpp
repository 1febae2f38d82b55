// IRSP §8.8.2 over HTTPS: libcurl multi on one thread. The certificate is
// always verified (CURLOPT_SSL_VERIFYPEER/VERIFYHOST), TLS 1.2 at least
// (RFC 9325), https only, redirects not followed; the decisions (what next,
// retry or not, when) are the delivery_plan's.
#include "node/outbound/https_delivery.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <cerrno>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "actors/outbox/delivery_plan.hpp"
#include "actors/outbox/outbox_store.hpp"

namespace irsp::outbound {

namespace {

void init_curl_once() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}

// The endpoint's answer body is not used; a little is kept for nothing, and
// a huge one is not stored.
size_t discard_body(char*, size_t size, size_t count, void*) {
  return size * count;
}

std::int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// One request in flight and what it owns.
struct transfer {
  outbox::delivery_job job;
  curl_slist* headers = nullptr;
  char error[CURL_ERROR_SIZE] = {0};
  ~transfer() { curl_slist_free_all(headers); }
};

} // namespace

struct https_delivery::impl {
  std::shared_ptr<outbox::outbox_store> store;
  delivery_options options;
  CURLM* multi = nullptr;
  std::unique_ptr<outbox::delivery_plan> plan;
  std::map<CURL*, std::unique_ptr<transfer>> transfers;
  std::atomic<bool> stopping{false};
  std::atomic<bool> poked{true};
  std::thread thread;

  ~impl() {
    for (auto& [easy, t] : transfers) {
      curl_multi_remove_handle(multi, easy);
      curl_easy_cleanup(easy);
    }
    if (multi != nullptr)
      curl_multi_cleanup(multi);
  }

  void begin(const outbox::delivery_job& job) {
    auto t = std::make_unique<transfer>();
    t->job = job;
    CURL* c = curl_easy_init();
    if (c == nullptr) {
      plan->finished(job, {0, "cannot create a curl handle"}, steady_ms(), wall_ms());
      return;
    }
    t->headers = curl_slist_append(t->headers, "Content-Type: application/octet-stream");
    t->headers = curl_slist_append(t->headers,
                                   ("Idempotency-Key: " + job.message.key).c_str());
    t->headers = curl_slist_append(t->headers,
                                   ("X-IRSP-Application: " + job.message.application).c_str());
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, job.endpoint.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->job.message.payload.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(t->job.message.payload.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!job.endpoint.ca_file.empty())
      curl_easy_setopt(c, CURLOPT_CAINFO, job.endpoint.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "irsp-node");
    if (curl_multi_add_handle(multi, c) != CURLM_OK) {
      curl_easy_cleanup(c);
      plan->finished(job, {0, "cannot start a request"}, steady_ms(), wall_ms());
      return;
    }
    transfers.emplace(c, std::move(t));
  }

  void end(CURL* c, CURLcode rc) {
    auto it = transfers.find(c);
    if (it == transfers.end())
      return;
    outbox::attempt_outcome o;
    if (rc == CURLE_OK) {
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &o.http_status);
    } else {
      long os_errno = 0;
      curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
      o.transport_error = rc == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED
                            ? "connection refused"
                          : rc == CURLE_OPERATION_TIMEDOUT ? "timed out"
                          : it->second->error[0] != 0      ? it->second->error
                                                           : curl_easy_strerror(rc);
    }
    curl_multi_remove_handle(multi, c);
    curl_easy_cleanup(c);
    auto job = std::move(it->second->job);
    transfers.erase(it);
    plan->finished(job, o, steady_ms(), wall_ms());
  }

  void run() {
    while (!stopping) {
      if (poked.exchange(false))
        plan->poke();
      for (auto& job : plan->due(steady_ms()))
        begin(job);
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left))
        if (m->msg == CURLMSG_DONE)
          end(m->easy_handle, m->data.result);
      // Until the next retry is due, a transfer moves, or wake() is called;
      // at most a second, as a floor under any lost wake-up.
      auto next = plan->next_due();
      auto now = steady_ms();
      auto wait = next == std::numeric_limits<std::int64_t>::max()
                    ? 1000
                    : std::clamp<std::int64_t>(next - now, 0, 1000);
      if (wait > 0 || !transfers.empty())
        curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait), nullptr);
    }
  }
};

https_delivery::https_delivery(std::unique_ptr<impl> d) : impl_(std::move(d)) {
}

std::unique_ptr<https_delivery> https_delivery::start(std::shared_ptr<outbox::outbox_store> store,
                                                      delivery_options options,
                                                      std::string& error) {
  init_curl_once();
  auto d = std::make_unique<impl>();
  d->store = std::move(store);
  d->options = options;
  d->multi = curl_multi_init();
  if (d->multi == nullptr) {
    error = "outbound delivery: cannot create a curl multi handle";
    return nullptr;
  }
  auto endpoints = d->store->endpoints();
  if (!endpoints) {
    error = "outbound delivery: the registered endpoints cannot be read";
    return nullptr;
  }
  auto orphans = d->store->dead_letter_orphans(wall_ms());
  if (orphans > 0)
    std::fprintf(stderr, "irsp-node: outbound: %zu undelivered messages of removed endpoints "
                         "dead-lettered\n", orphans);
  d->plan = std::make_unique<outbox::delivery_plan>(*d->store, std::move(*endpoints),
                                                    options.backoff, std::random_device{}());
  auto* raw = d.get();
  d->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<https_delivery>(new https_delivery(std::move(d)));
}

https_delivery::~https_delivery() {
  impl_->stopping = true;
  curl_multi_wakeup(impl_->multi);
  if (impl_->thread.joinable())
    impl_->thread.join();
}

void https_delivery::wake() {
  impl_->poked = true;
  curl_multi_wakeup(impl_->multi);
}

} // namespace irsp::outbound
