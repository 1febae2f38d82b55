// Holds this node's etcd lease and member key; reads who else holds one.
#include "cluster/lease_keeper.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "actors/atoms.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/lease_fence.hpp"
#include "cluster/store_primary.hpp"

namespace irsp::cluster {

namespace {

using clock = std::chrono::steady_clock;

// Covers the rate difference between our clock and etcd's over one lease.
constexpr auto safety_margin = std::chrono::milliseconds(500);

std::string digest(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names)
    out += n + "\n";
  return out;
}

} // namespace

lease_keeper::lease_keeper(lease_keeper_config config)
  : cfg_(std::move(config)), thread_([this] { run(); }) {
}

lease_keeper::~lease_keeper() {
  stop_ = true;
  thread_.join();
}

void lease_keeper::run() {
  etcd_client etcd{cfg_.endpoint, std::chrono::milliseconds(1000)};
  std::int64_t lease = 0;
  std::unique_ptr<lease_fence> fence;
  std::vector<std::string> told;
  bool first = true;
  bool serving = false;
  std::size_t serving_owners = 0;
  // prefix is ".../members/"; the digests live beside it
  auto applied_prefix = cfg_.prefix.substr(0, cfg_.prefix.rfind('/', cfg_.prefix.size() - 2) + 1)
                        + "applied/";
  auto renew_every = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.ttl) / 3;
  auto next_renewal = clock::now();
  auto log = [this](const std::string& what) {
    std::fprintf(stderr, "irsp-node: etcd: %s: %s\n", cfg_.name.c_str(), what.c_str());
  };
  // Tells the router (through the view) to route by `names`; true once it does.
  auto route_by = [this](const std::vector<std::string>& names) {
    caf::scoped_actor self{cfg_.view.home_system()};
    bool applied = false;
    self->request(cfg_.view, std::chrono::seconds(5), owners_atom::value, names)
      .receive([&](bool) { applied = true; }, [](caf::error&) {});
    return applied;
  };
  while (!stop_) {
    auto now = clock::now();
    if (fence && !fence->valid(now)) {
      // Stopped, or etcd unreachable, past the deadline: others may own our
      // accounts already. Stop serving before anything else.
      cfg_.fence->revoke();
      for (auto& shard : cfg_.store)
        shard->lapsed(); // our backups may take our shards over any moment
      fence.reset();
      etcd.revoke(lease); // if etcd still has it: the others need not wait for it
      lease = 0;
      log("lease lapsed: no longer serving accounts");
      // The router drops every actor it holds before we take any account on
      // again: meanwhile others may have served them, and an actor kept
      // from before would speak with its old epoch.
      std::vector<std::string> without;
      for (auto& n : told)
        if (n != cfg_.name)
          without.push_back(n);
      route_by(without);
      told = std::move(without);
    }
    if (!fence) {
      auto sent = clock::now();
      auto granted = etcd.grant(cfg_.ttl.count());
      if (granted) {
        auto made = etcd.create(cfg_.prefix + cfg_.name, cfg_.address, granted->id);
        if (made && made->applied) {
          lease = granted->id;
          fence = std::make_unique<lease_fence>(lease, granted->revision, sent,
                                                std::chrono::seconds(granted->ttl),
                                                safety_margin);
          cfg_.fence->until(fence->deadline());
          // Our applied digest went with the old lease: write it again.
          told.clear();
          log("holding lease " + std::to_string(lease) + " (ttl " + std::to_string(granted->ttl)
              + " s)");
          next_renewal = clock::now() + renew_every;
        } else {
          // Our previous incarnation's key lives until its lease expires.
          etcd.revoke(granted->id);
          if (first)
            log(made ? "member key still held by an earlier lease; waiting"
                     : made.error());
          first = false;
        }
      } else if (first) {
        log(granted.error());
        first = false;
      }
    } else if (clock::now() >= next_renewal) {
      auto sent = clock::now();
      auto left = etcd.keep_alive(lease);
      if (left && *left > 0) {
        fence->renewed(sent, std::chrono::seconds(*left));
        cfg_.fence->until(fence->deadline());
      } else if (left) {
        fence->lost(); // expired in etcd: revoked at the top of the loop
      }
      next_renewal = clock::now() + renew_every;
    }
    if (auto members = etcd.range(cfg_.prefix)) {
      std::vector<std::string> names;
      for (auto& kv : members->kvs) {
        auto name = kv.key.substr(cfg_.prefix.size());
        if (name != cfg_.name || (fence && fence->valid(clock::now())))
          names.push_back(std::move(name));
      }
      auto ours = digest(names);
      if (names != told) {
        cfg_.fence->agreed(false);
        if (route_by(names) && fence
            && (!fence->valid(clock::now()) || etcd.put(applied_prefix + cfg_.name, ours, lease)))
          told = names;
      }
      // Serve only while every owner routes by the same set as we do. With
      // a lease, `names` holds this node, so it equals `told` only once the
      // router routes by it.
      bool agreed = fence != nullptr && names == told;
      if (agreed) {
        auto applied = etcd.range(applied_prefix);
        agreed = static_cast<bool>(applied);
        std::size_t seen = 0;
        for (auto& kv : applied ? applied->kvs : std::vector<key_value>{}) {
          auto who = kv.key.substr(applied_prefix.size());
          if (std::find(names.begin(), names.end(), who) == names.end())
            continue; // a node that left
          ++seen;
          agreed = agreed && kv.value == ours;
        }
        agreed = agreed && seen == names.size();
      }
      cfg_.fence->agreed(agreed);
      if (agreed != serving || (agreed && names.size() != serving_owners)) {
        serving = agreed;
        serving_owners = names.size();
        log(agreed ? "serving accounts, owners " + std::to_string(names.size())
                   : std::string{"not serving while the owners change"});
      }
    }
    for (auto& shard : cfg_.store)
      shard->step(etcd, lease, fence && fence->valid(clock::now()));
    std::this_thread::sleep_for(cfg_.poll);
  }
  if (lease != 0)
    etcd.revoke(lease); // a clean stop hands our accounts over at once
}

} // namespace irsp::cluster
