// Issue 15: the lifecycle stream from the command line.
#include "node/events_cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

#include "actors/account/account_store.hpp"
#include "actors/lifecycle/lifecycle_store.hpp"
#include "node/account_cli.hpp"
#include "schema/enum_names.hpp"

namespace irsp::cli {

namespace {

struct events_query {
  std::uint64_t after = 0;
  std::string account;
  std::uint64_t limit = 0; // 0: all
};

} // namespace

void add_events_command(CLI::App& events, const store_location& where, int& exit_code) {
  auto q = std::make_shared<events_query>();
  events.add_option("--after", q->after, "only transitions with a cursor above this");
  events.add_option("--account", q->account, "only this account's transitions (name@domain)");
  events.add_option("--limit", q->limit, "at most this many lines (0: all)");
  events.callback([q, &where, &exit_code] {
    account::store_options o;
    o.path = (std::filesystem::path(where.data_dir) / "accounts").string();
    o.domain = where.domain;
    std::string error;
    std::shared_ptr<account::account_store> store = account::account_store::open(o, error);
    if (!store) {
      std::cerr << "irsp-node: error: " << error << "\n";
      exit_code = 2;
      return;
    }
    std::string only;
    if (!q->account.empty()) {
      auto normal = store->normalise(q->account);
      if (!normal) {
        std::cerr << "irsp-node: error: --account: not an address of " << where.domain << "\n";
        exit_code = 2;
        return;
      }
      only = *normal;
    }
    lifecycle::lifecycle_store stream{store};
    std::uint64_t after = q->after, printed = 0;
    for (;;) {
      std::vector<message::presence_event> batch;
      if (!stream.read(after, 4096, batch)) {
        std::cerr << "irsp-node: error: the lifecycle stream could not be read\n";
        exit_code = 2;
        return;
      }
      if (batch.empty())
        return;
      for (auto& ev : batch) {
        after = ev.cursor;
        if (!only.empty() && ev.address != only)
          continue;
        nlohmann::json j{{"cursor", ev.cursor},
                         {"account", ev.address},
                         {"kind", schema::enum_name(ev.kind)},
                         {"state", schema::enum_name(ev.state)},
                         {"epoch", ev.epoch},
                         {"sequence", ev.sequence},
                         {"at_ms", ev.at_ms}};
        std::cout << j.dump() << "\n";
        if (q->limit != 0 && ++printed >= q->limit)
          return;
      }
    }
  });
}

} // namespace irsp::cli
