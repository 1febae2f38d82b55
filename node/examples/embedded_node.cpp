// How a hosting platform embeds IRSP: configure, start, use, stop. This file
// includes nothing of IRSP but the public header.
#include <irsp/node.hpp>

#include <iostream>

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

  node.stop();
  std::cout << "node stopped\n";
  return result.ok || result.status == "exists" ? 0 : 1;
}
