// Issue 15 end-to-end: a hosting platform's application that subscribes to
// one device's transitions durably and writes each to a file (synced), the
// way an application with effects of its own would. Embeds a node through the
// public API only. Usage:
//   irsp-lifecycle-recorder DATA_DIR C2S_PORT C2S_TLS_PORT RECORD_FILE DEVICE
// Each transition becomes a line "CURSOR STATE EPOCH SEQUENCE"; one it has
// already recorded (redelivered after a restart) becomes "again CURSOR".
#include <irsp/node.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace {

class recorder : public irsp::application {
public:
  explicit recorder(const std::string& file) {
    std::ifstream in{file};
    std::string first;
    std::uint64_t cursor = 0;
    while (in >> first) {
      std::string rest;
      std::getline(in, rest);
      if (first != "again")
        cursor = std::stoull(first);
    }
    last_ = cursor;
    fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  ~recorder() override { ::close(fd_); }

  irsp::app_reply on_upload(irsp::app_context&, const irsp::upload&) override {
    return irsp::app_reply::reject();
  }

  void on_device_status(irsp::app_context&, const irsp::device_status& s) override {
    std::string line;
    if (s.cursor <= last_) {
      line = "again " + std::to_string(s.cursor) + "\n";
    } else {
      const char* state = s.state == irsp::device_state::online    ? "online"
                          : s.state == irsp::device_state::suspect ? "suspect"
                                                                   : "offline";
      line = std::to_string(s.cursor) + " " + state + " " + std::to_string(s.epoch) + " "
             + std::to_string(s.sequence) + "\n";
      last_ = s.cursor;
    }
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())
        || ::fsync(fd_) != 0)
      std::abort(); // a record that cannot be written must not be acknowledged
  }

private:
  int fd_ = -1;
  std::uint64_t last_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: " << argv[0] << " DATA_DIR C2S_PORT C2S_TLS_PORT RECORD_FILE DEVICE\n";
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr); // before any thread starts

  irsp::node_options options;
  options.data_dir = argv[1];
  options.c2s_address = "127.0.0.1";
  options.c2s_port = static_cast<std::uint16_t>(std::stoi(argv[2]));
  options.c2s_tls_port = static_cast<std::uint16_t>(std::stoi(argv[3]));
  options.idle_seconds = 1;
  irsp::node node{options};
  if (!node.start()) {
    std::cerr << "irsp-lifecycle-recorder: " << node.error() << "\n";
    return 1;
  }
  irsp::app_subscription sub;
  sub.devices = {argv[5]};
  sub.durable = true;
  if (!node.add_application("recorder", std::make_shared<recorder>(argv[4]), sub)) {
    std::cerr << "irsp-lifecycle-recorder: could not add the application\n";
    return 1;
  }
  std::cerr << "irsp-node: running (lifecycle recorder)" << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  node.stop();
  return 0;
}
