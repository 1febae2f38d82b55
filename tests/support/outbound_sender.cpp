// IRSP §8.8.2 end-to-end: a hosting platform's application that sends to an
// external endpoint what a client uploads, and answers status queries, by
// pushes. Embeds a node through the public API only. Usage:
//   irsp-outbound-sender DATA_DIR C2S_PORT C2S_TLS_PORT BACKOFF_BASE_MS BACKOFF_MAX_MS
// Uploads to relay@apps.<domain>:
//   "send ENDPOINT KEY BODY" -> send_external; pushes "sent KEY STATUS"
//   "status KEY"             -> external_status; pushes
//                               "status KEY STATE ATTEMPTS ENDPOINT LAST_ERROR"
#include <irsp/node.hpp>

#include <csignal>
#include <iostream>
#include <sstream>
#include <string>

namespace {

class relay : public irsp::application {
public:
  irsp::app_reply on_upload(irsp::app_context& ctx, const irsp::upload& u) override {
    std::istringstream in{u.payload};
    std::string verb, first;
    in >> verb >> first;
    auto from = u.from;
    auto* c = &ctx; // valid in the done callbacks of what it started
    if (verb == "send") {
      std::string key, body;
      in >> key;
      std::getline(in >> std::ws, body);
      ctx.send_external(first, body, key, [c, from, key](const irsp::send_result& r) {
        c->push(from, "sent " + key + " " + r.status);
      });
      return irsp::app_reply::accept();
    }
    if (verb == "status") {
      ctx.external_status(first, [c, from, first](const irsp::external_delivery& d) {
        c->push(from, "status " + first + " " + d.state + " " + std::to_string(d.attempts) + " "
                        + (d.endpoint.empty() ? "-" : d.endpoint) + " " + d.last_error);
      });
      return irsp::app_reply::accept();
    }
    return irsp::app_reply::reject("send ENDPOINT KEY BODY | status KEY");
  }
};

} // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: " << argv[0]
              << " DATA_DIR C2S_PORT C2S_TLS_PORT BACKOFF_BASE_MS BACKOFF_MAX_MS\n";
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr); // before any thread starts

  irsp::node_options options;
  options.data_dir = argv[1];
  options.c2s_port = static_cast<std::uint16_t>(std::stoi(argv[2]));
  options.c2s_tls_port = static_cast<std::uint16_t>(std::stoi(argv[3]));
  options.outbound_backoff_base_ms = static_cast<std::uint32_t>(std::stoul(argv[4]));
  options.outbound_backoff_max_ms = static_cast<std::uint32_t>(std::stoul(argv[5]));
  options.outbound_timeout_ms = 10000;
  irsp::node node{options};
  if (!node.start()) {
    std::cerr << "irsp-outbound-sender: " << node.error() << "\n";
    return 1;
  }
  if (!node.add_application("relay", std::make_shared<relay>())) {
    std::cerr << "irsp-outbound-sender: could not add the application\n";
    return 1;
  }
  std::cerr << "irsp-node: running (outbound sender)" << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  node.stop();
  return 0;
}
