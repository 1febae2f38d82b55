// IRSP §8.2.1–8.2.4 from the command line, straight on the account store: a
// running node holds the store's lock, so these work on a stopped node only.
#include "node/account_cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

#include "actors/account/account_store.hpp"

namespace irsp::cli {

namespace {

using namespace irsp::account;

std::unique_ptr<account_store> open_store(const store_location& where, int& exit_code) {
  store_options o;
  o.path = (std::filesystem::path(where.data_dir) / "accounts").string();
  o.domain = where.domain;
  o.scram_iterations = where.scram_iterations;
  std::string error;
  auto store = account_store::open(o, error);
  if (!store) {
    std::cerr << "irsp-node: error: " << error << "\n";
    exit_code = 2;
  }
  return store;
}

template <class Status>
int report(Status s) {
  if (static_cast<unsigned>(s) == 0)
    return 0;
  std::cerr << status_name(s) << "\n";
  return 1;
}

nlohmann::json to_json(const account_view& v) {
  nlohmann::json j{{"address", v.address},
                   {"kind", kind_name(v.kind)},
                   {"name", v.display_name},
                   {"created_ms", v.created_ms},
                   {"modified_ms", v.modified_ms},
                   {"version", v.version}};
  if (v.kind == account_kind::DEVICE)
    j["device"] = {{"model", v.device.model},
                   {"manufacturer", v.device.manufacturer},
                   {"serial", v.device.serial}};
  return j;
}

struct register_args {
  std::string kind;
  register_request request;
  bool password_stdin = false;
};

struct modify_args {
  std::string address;
  std::vector<std::string> sets;
  std::uint64_t expected_version = 0;
  bool password_stdin = false;
};

// The first line of stdin, without its newline: a password given this way
// stays out of argv, which every user of the machine can read (ps, /proc).
std::string read_password_line() {
  std::string line;
  std::getline(std::cin, line);
  return line;
}

} // namespace

void add_account_commands(CLI::App& account, const store_location& where, int& exit_code) {
  account.require_subcommand(1);

  auto reg = std::make_shared<register_args>();
  auto* r = account.add_subcommand("register", "register a user or device; prints its "
                                               "address, and a device's verification code");
  r->add_option("--kind", reg->kind, "user or device")->required()
    ->check(CLI::IsMember({"user", "device"}));
  r->add_option("--name", reg->request.name, "the name before @domain")->required();
  auto* pw = r->add_option("--password", reg->request.password, "the account's password");
  r->add_flag("--password-stdin", reg->password_stdin,
              "read the password from the first line of stdin (keeps it out of ps)")
    ->excludes(pw);
  r->add_option("--display-name", reg->request.display_name, "a name for people to read");
  r->add_option("--model", reg->request.device.model, "device model");
  r->add_option("--manufacturer", reg->request.device.manufacturer, "device manufacturer");
  r->add_option("--serial", reg->request.device.serial, "device serial number");
  r->callback([reg, &where, &exit_code] {
    if (reg->password_stdin)
      reg->request.password = read_password_line();
    parse_kind(reg->kind, reg->request.kind);
    auto store = open_store(where, exit_code);
    if (!store)
      return;
    auto resp = store->register_account(reg->request);
    if ((exit_code = report(resp.status)) == 0) {
      std::cout << resp.address << "\n";
      if (!resp.verification_code.empty())
        std::cout << resp.verification_code << "\n";
    }
  });

  auto show_address = std::make_shared<std::string>();
  auto* show = account.add_subcommand("show", "print an account as JSON (never a secret)");
  show->add_option("address", *show_address, "name@domain")->required();
  show->callback([show_address, &where, &exit_code] {
    auto store = open_store(where, exit_code);
    if (!store)
      return;
    auto normal = store->normalise(*show_address);
    account_record record;
    auto found = normal ? store->lookup(*normal, record) : lookup_status::missing;
    if (found != lookup_status::found) {
      // A read that failed is not "no such account".
      std::cerr << status_name(found == lookup_status::missing ? modify_status::NO_SUCH_ACCOUNT
                                                               : modify_status::STORAGE_FAILURE)
                << "\n";
      exit_code = 1;
      return;
    }
    std::cout << to_json(record.view).dump(2) << "\n";
  });

  auto* list = account.add_subcommand("list", "print every account's address and kind");
  list->callback([&where, &exit_code] {
    auto store = open_store(where, exit_code);
    if (!store)
      return;
    store->for_each([](const account_view& v) {
      std::cout << v.address << " " << kind_name(v.kind) << "\n";
      return true;
    });
  });

  auto mod = std::make_shared<modify_args>();
  auto* m = account.add_subcommand("modify", "change fields: name, model, manufacturer, "
                                             "serial, password");
  m->add_option("address", mod->address, "name@domain")->required();
  m->add_option("--set", mod->sets,
                "key=value, repeatable (for the password, prefer --password-stdin)");
  m->add_flag("--password-stdin", mod->password_stdin,
              "read the new password from the first line of stdin (keeps it out of ps)");
  m->add_option("--expect-version", mod->expected_version,
                "fail with version-conflict unless the account is at this version");
  m->callback([mod, &where, &exit_code] {
    if (mod->sets.empty() && !mod->password_stdin)
      throw CLI::RequiredError("--set or --password-stdin");
    modify_request req;
    req.address = mod->address;
    req.expected_version = mod->expected_version;
    for (const auto& kv : mod->sets) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) {
        std::cerr << "irsp-node: error: --set " << kv << ": expected key=value\n";
        exit_code = 2;
        return;
      }
      auto key = kv.substr(0, eq);
      if (key == "password") {
        if (mod->password_stdin)
          throw CLI::ValidationError("--password-stdin",
                                     "the password is given by --set password= already");
        std::cerr << "irsp-node: warning: --set password=... shows the password to every "
                     "user of this machine (ps, /proc); use --password-stdin\n";
      }
      req.changes.emplace_back(std::move(key), kv.substr(eq + 1));
    }
    if (mod->password_stdin)
      req.changes.emplace_back("password", read_password_line());
    auto store = open_store(where, exit_code);
    if (!store)
      return;
    auto resp = store->modify(req);
    if ((exit_code = report(resp.status)) == 0)
      std::cout << "version " << resp.version << "\n";
  });

  auto del_address = std::make_shared<std::string>();
  auto* del = account.add_subcommand("delete", "delete an account");
  del->add_option("address", *del_address, "name@domain")->required();
  del->callback([del_address, &where, &exit_code] {
    auto store = open_store(where, exit_code);
    if (store)
      exit_code = report(store->remove({*del_address, ""}).status);
  });

  auto reset_address = std::make_shared<std::string>();
  auto* reset = account.add_subcommand("reset-code", "give a device a new verification "
                                                     "code; prints it");
  reset->add_option("address", *reset_address, "name@domain")->required();
  reset->callback([reset_address, &where, &exit_code] {
    auto store = open_store(where, exit_code);
    if (!store)
      return;
    auto resp = store->reset_code({*reset_address, ""});
    if ((exit_code = report(resp.status)) == 0)
      std::cout << resp.verification_code << "\n";
  });
}

} // namespace irsp::cli
