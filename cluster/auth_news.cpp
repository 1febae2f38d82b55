// Batches this node's password-check news to its peers; applies theirs.
#include "cluster/auth_news.hpp"

#include <caf/all.hpp>

#include <unordered_map>
#include <vector>

#include "cluster/cluster_atoms.hpp"
#include "cluster/member_info.hpp"

namespace irsp::cluster {

namespace {

using flush_atom = caf::atom_constant<caf::atom("authflush")>;

struct auth_news_state {
  auth_news_config cfg;
  std::unordered_map<std::string, caf::actor> peers; // by member name
  std::vector<std::string> batch;                    // triples
  bool flush_pending = false;

  static inline const char* name = "irsp.auth_news";
};

using auth_news_actor = caf::stateful_actor<auth_news_state>;

void flush(auth_news_actor* self) {
  auto& st = self->state;
  st.flush_pending = false;
  if (st.batch.empty())
    return;
  auto out = caf::make_message(auth_news_atom::value, std::move(st.batch));
  st.batch.clear();
  for (auto& [name, peer] : st.peers)
    self->send(peer, out);
}

} // namespace

caf::actor spawn_auth_news(caf::actor_system& system, auth_news_config config) {
  return system.spawn([config](auth_news_actor* self) -> caf::behavior {
    self->state.cfg = config;
    self->set_default_handler(caf::drop);
    return {
      [self](auth_news_atom, bool failed, std::string& address, std::string& account) {
        auto& st = self->state;
        if (st.peers.empty() || st.batch.size() / 3 >= st.cfg.max_batch)
          return;
        st.batch.push_back(failed ? "f" : "s");
        st.batch.push_back(std::move(address));
        st.batch.push_back(std::move(account));
        if (!std::exchange(st.flush_pending, true))
          self->delayed_send(self, st.cfg.batch_every, flush_atom::value);
      },
      [self](auth_news_atom, const std::vector<std::string>& news) {
        auto& st = self->state;
        for (std::size_t i = 0; i + 2 < news.size(); i += 3)
          st.cfg.apply(news[i] == "f", news[i + 1], news[i + 2]);
      },
      [self](flush_atom) { flush(self); },
      [self](member_up_atom, const member_info& m) {
        if (m.auth)
          self->state.peers[m.name] = m.auth;
      },
      [self](member_down_atom, const member_info& m) { self->state.peers.erase(m.name); },
    };
  });
}

} // namespace irsp::cluster
