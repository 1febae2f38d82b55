// The store's primary role in etcd: read, told, taken over by the backup.
#include "cluster/store_primary.hpp"

#include <caf/all.hpp>

#include <cstdio>

#include "cluster/cluster_atoms.hpp"
#include "cluster/etcd_client.hpp"

namespace irsp::cluster {

store_keys store_keys::of(const std::string& domain, std::size_t shard) {
  auto prefix = "/irsp/" + domain + "/store/" + std::to_string(shard) + "/";
  return {prefix + "primary", prefix + "backup"};
}

bool may_take_store(const std::optional<std::string>& backup, const std::string& me,
                    bool named_by_operator) {
  return backup ? *backup == me : named_by_operator;
}

store_primary_watch::store_primary_watch(store_primary_config config) : cfg_(std::move(config)) {
}

void store_primary_watch::tell(const std::string& name, std::int64_t epoch) {
  if (name == told_ && epoch == told_epoch_)
    return;
  caf::scoped_actor self{cfg_.view.home_system()};
  bool acted = false;
  self->request(cfg_.view, std::chrono::seconds(10), store_primary_atom::value, cfg_.shard, name,
                static_cast<std::uint64_t>(epoch))
    .receive([&](bool) { acted = true; }, [](caf::error&) {});
  if (acted) {
    told_ = name;
    told_epoch_ = epoch;
  }
}

void store_primary_watch::lapsed() {
  if (told_ == cfg_.name)
    tell("", 0);
}

void store_primary_watch::step(etcd_client& etcd, std::int64_t lease, bool valid) {
  auto primary = etcd.get(cfg_.keys.primary);
  if (!primary)
    return; // etcd unreachable: the lease fence stops us serving in time
  if (!primary->kvs.empty()) {
    auto& kv = primary->kvs.front();
    // Our name under another lease (an earlier run of this node, until it
    // expires) or under ours once it is no longer valid: nobody serves.
    if (kv.value == cfg_.name && (kv.lease != lease || !valid))
      return tell("", 0);
    return tell(kv.value, kv.create_revision);
  }
  tell("", 0);
  if (lease == 0 || !valid)
    return;
  auto backup = etcd.get(cfg_.keys.backup);
  if (!backup)
    return;
  std::optional<std::string> named;
  if (!backup->kvs.empty())
    named = backup->kvs.front().value;
  if (!may_take_store(named, cfg_.name, cfg_.named_by_operator))
    return;
  if (!cfg_.complete()) {
    if (!refused_logged_)
      std::fprintf(stderr,
                   "irsp-node: account store shard %u: %s is named to take over but holds a "
                   "half-received copy: not serving it\n",
                   static_cast<unsigned>(cfg_.shard), cfg_.name.c_str());
    refused_logged_ = true;
    return;
  }
  auto made = etcd.create_guarded(cfg_.keys.primary, cfg_.name, lease, cfg_.keys.backup,
                                  named ? *named : std::string{});
  if (made && made->applied)
    tell(cfg_.name, made->revision);
}

} // namespace irsp::cluster
