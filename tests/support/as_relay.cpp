// IRSP §8.6 end-to-end: an embedding application that, for what a client
// uploads, sends an application message to an application of another AS over
// the node's AS link (node_options::as_peers), and pushes the outcome back.
// Embeds a node through the public API only. Usage:
//   irsp-as-relay DATA_DIR C2S_PORT C2S_TLS_PORT DOMAIN AS_PEER
// Uploads to relay@apps.<domain>: "TARGET PAYLOAD" -> send_to_app(TARGET, PAYLOAD);
// pushes "relayed STATUS REPLY".
#include <irsp/node.hpp>

#include <csignal>
#include <iostream>
#include <string>

namespace {

class relay : public irsp::application {
public:
  irsp::app_reply on_upload(irsp::app_context& ctx, const irsp::upload& u) override {
    auto space = u.payload.find(' ');
    if (space == std::string::npos)
      return irsp::app_reply::reject("TARGET PAYLOAD");
    auto from = u.from;
    auto* c = &ctx; // valid in the done callbacks of what it started
    ctx.send_to_app(u.payload.substr(0, space), u.payload.substr(space + 1),
                    [c, from](const irsp::send_result& r) {
                      c->push(from, "relayed " + r.status + " " + r.reply);
                    });
    return irsp::app_reply::accept();
  }
  irsp::app_reply on_app_message(irsp::app_context&, const irsp::app_message& m) override {
    return irsp::app_reply::accept("relay saw " + m.from);
  }
};

} // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: " << argv[0] << " DATA_DIR C2S_PORT C2S_TLS_PORT DOMAIN AS_PEER\n";
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
  options.domain = argv[4];
  options.as_peers = {argv[5]};
  irsp::node node{options};
  if (!node.start()) {
    std::cerr << "irsp-as-relay: " << node.error() << "\n";
    return 1;
  }
  if (!node.add_application("relay", std::make_shared<relay>())) {
    std::cerr << "irsp-as-relay: could not add the application\n";
    return 1;
  }
  std::cerr << "irsp-node: running (AS relay)" << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  node.stop();
  return 0;
}
