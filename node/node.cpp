// irsp::node: assembles the servers of one IRSP node (DESIGN.md §2).
#include "irsp/node.hpp"

#include <caf/all.hpp>

#include <filesystem>

#include "actors/account/account_server.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/messages.hpp"
#include "node/tls/self_signed.hpp"

namespace irsp {

struct node::impl {
  node_options options;
  std::string error;
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<account::account_store> accounts;
  caf::actor account_server;

  template <class Response, class Request>
  Response ask(caf::actor dest, Request req) {
    caf::scoped_actor self{*sys};
    Response out{};
    self->request(dest, caf::infinite, std::move(req))
      .receive([&](Response& r) { out = std::move(r); }, [&](caf::error&) {});
    return out;
  }
};

node::node(node_options options) : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
}

node::~node() {
  stop();
}

bool node::start() {
  auto& d = *impl_;
  if (d.sys)
    return true;
  auto& o = d.options;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(o.data_dir, ec);
  if (ec || !fs::is_directory(o.data_dir)) {
    d.error = "cannot use data dir " + o.data_dir + ": "
              + (ec ? ec.message() : std::string{"not a directory"});
    return false;
  }
  account::store_options so;
  so.path = (fs::path(o.data_dir) / "accounts").string();
  so.domain = o.domain;
  so.open_registration = o.open_registration;
  so.scram_iterations = o.scram_iterations;
  d.accounts = account::account_store::open(so, d.error);
  if (!d.accounts)
    return false;
  o.domain = d.accounts->options().domain;
  if (o.cert_file.empty())
    o.cert_file = (fs::path(o.data_dir) / "tls" / "cert.pem").string();
  if (o.key_file.empty())
    o.key_file = (fs::path(o.data_dir) / "tls" / "key.pem").string();
  auto cert = tls::ensure_certificate(o.cert_file, o.key_file, o.domain);
  if (!cert) {
    d.error = cert.error;
    d.accounts.reset();
    return false;
  }
  d.cfg = std::make_unique<caf::actor_system_config>();
  if (o.threads > 0)
    d.cfg->set("scheduler.max-threads", static_cast<size_t>(o.threads));
  d.sys = std::make_unique<caf::actor_system>(*d.cfg);
  d.account_server = account::spawn_account_server(*d.sys, d.accounts,
                                                   std::max(1u, o.account_workers));
  return true;
}

void node::stop() {
  auto& d = *impl_;
  if (!d.sys)
    return;
  caf::anon_send_exit(d.account_server, caf::exit_reason::user_shutdown);
  d.account_server = nullptr;
  d.sys.reset(); // waits for every actor, detached workers included
  d.cfg.reset();
  d.accounts.reset();
}

bool node::running() const {
  return impl_->sys != nullptr;
}

const std::string& node::error() const {
  return impl_->error;
}

const node_options& node::options() const {
  return impl_->options;
}

account_result node::register_account(const account_spec& spec) {
  account_result out;
  if (!running()) {
    out.status = "not-running";
    return out;
  }
  account::register_request r;
  r.name = spec.name;
  r.kind = spec.device ? account::account_kind::DEVICE : account::account_kind::USER;
  r.password = spec.password;
  r.display_name = spec.display_name;
  r.device = {spec.model, spec.manufacturer, spec.serial};
  auto resp = impl_->ask<account::register_response>(impl_->account_server, std::move(r));
  out.ok = resp.status == account::register_status::OK;
  out.status = account::status_name(resp.status);
  out.address = resp.address;
  out.verification_code = resp.verification_code;
  return out;
}

account_result node::delete_account(const std::string& address) {
  account_result out;
  if (!running()) {
    out.status = "not-running";
    return out;
  }
  auto resp = impl_->ask<account::delete_response>(impl_->account_server,
                                                   account::delete_request{address, ""});
  out.ok = resp.status == account::delete_status::OK;
  out.status = account::status_name(resp.status);
  out.address = address;
  return out;
}

} // namespace irsp
