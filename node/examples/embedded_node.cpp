// How a hosting platform embeds IRSP: configure, start, use, stop. This file
// includes nothing of IRSP but the public header.
#include <irsp/node.hpp>

#include <iostream>

// A hosting platform's own application: it counts uploads and answers each
// with the count so far. Handlers run one at a time, so no lock is needed.
class counter_app : public irsp::application {
public:
  irsp::app_reply on_upload(irsp::app_context&, const irsp::upload& u) override {
    return irsp::app_reply::accept(u.from + " #" + std::to_string(++count_));
  }

private:
  unsigned count_ = 0;
};

int main(int argc, char** argv) {
  irsp::node_options options;
  options.data_dir = argc > 1 ? argv[1] : "embedded-irsp-data";
  options.domain = "home.example";
  options.c2s_port = 0;      // ask for any free port when listeners are on
  options.c2s_tls_port = 0;

  irsp::node node{options};
  if (!node.start()) {
    std::cerr << "could not start: " << node.error() << "\n";
    return 1;
  }
  std::cout << "node running for " << node.options().domain << "\n";

  irsp::account_spec tv;
  tv.name = "livingroom-tv";
  tv.device = true;
  tv.password = "factory-secret-1";
  tv.model = "TV-55";
  tv.manufacturer = "Acme";
  tv.serial = "SN0001";
  auto result = node.register_account(tv);
  std::cout << "register " << tv.name << ": " << result.status;
  if (result.ok)
    std::cout << " as " << result.address << ", code " << result.verification_code;
  std::cout << "\n";

  if (!node.add_application("counter", std::make_shared<counter_app>()))
    std::cerr << "could not add the counter application\n";
  // The device is offline, so a push is queued for it (status `queued`).
  auto pushed = node.push("counter", "livingroom-tv@home.example", "hello from the host");
  std::cout << "push to livingroom-tv: " << pushed.status << "\n";

  node.stop();
  std::cout << "node stopped\n";
  return result.ok || result.status == "exists" ? 0 : 1;
}
