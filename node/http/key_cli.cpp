// IRSP §8.8.3 API keys from the command line (see key_cli.hpp). The secret
// is printed once, by `create`, and never logged or listed.
#include "node/http/key_cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

#include "actors/account/account_store.hpp"
#include "node/account_cli.hpp"
#include "node/http/api_keys.hpp"
#include "node/http/secret_box.hpp"
#include "node/node_local_store.hpp"

namespace irsp::cli {

namespace {

struct create_args {
  std::string name;
  std::string application;
};

} // namespace

void add_key_commands(CLI::App& key, const store_location& where, int& exit_code) {
  key.require_subcommand(1);

  auto args = std::make_shared<create_args>();
  auto* create = key.add_subcommand("create", "make an API key; prints its id, then its "
                                              "secret (shown only now)");
  create->add_option("--name", args->name, "whose server it is (a label)")->required();
  create->add_option("--app", args->application,
                     "the one application it may send to (default: any)");
  create->callback([args, &where, &exit_code] {
    auto store = open_node_local_store(where.data_dir, where.domain, exit_code);
    if (!store)
      return;
    std::string error;
    auto box = http::secret_box::open(http::api_key_file(where.data_dir), true, error);
    if (!box) {
      std::cerr << "irsp-node: error: " << error << "\n";
      exit_code = 2;
      return;
    }
    http::api_keys keys{*store, std::move(box)};
    auto made = keys.create(args->name, args->application, error);
    if (!made) {
      std::cerr << error << "\n";
      exit_code = 1;
      return;
    }
    std::cout << made->first.id << "\n" << made->second << "\n";
  });

  auto* list = key.add_subcommand("list", "print every key as a JSON line (never its secret)");
  list->callback([&where, &exit_code] {
    auto store = open_node_local_store(where.data_dir, where.domain, exit_code);
    if (!store)
      return;
    http::api_keys keys{*store, nullptr};
    std::string error;
    for (auto& k : keys.list(error))
      std::cout << nlohmann::json{{"id", k.id},
                                  {"name", k.name},
                                  {"application", k.application},
                                  {"created_ms", k.created_ms},
                                  {"revoked", k.revoked_ms != 0},
                                  {"revoked_ms", k.revoked_ms}}
                     .dump()
                << "\n";
    if (!error.empty()) {
      std::cerr << error << "\n";
      exit_code = 1;
    }
  });

  auto id = std::make_shared<std::string>();
  auto* revoke = key.add_subcommand("revoke", "revoke a key for good (its secret is erased)");
  revoke->add_option("id", *id, "the key's id")->required();
  revoke->callback([id, &where, &exit_code] {
    auto store = open_node_local_store(where.data_dir, where.domain, exit_code);
    if (!store)
      return;
    http::api_keys keys{*store, nullptr};
    using r = http::api_keys::revoke_result;
    switch (keys.revoke(*id)) {
      case r::revoked:
        return;
      case r::already_revoked:
        std::cerr << "already-revoked\n";
        break;
      case r::no_such_key:
        std::cerr << "no-such-key\n";
        break;
      case r::storage_failure:
        std::cerr << "storage-failure\n";
        break;
    }
    exit_code = 1;
  });
}

} // namespace irsp::cli
