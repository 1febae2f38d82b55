// Logs a failed TLS accept once per (listening port, peer address).
#include "cluster/tls_refusals.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <string>

namespace irsp::cluster {

namespace {

std::string address_of(const sockaddr_storage& a, unsigned& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    port = ntohs(in->sin_port);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
  } else if (a.ss_family == AF_INET6) {
    auto* in = reinterpret_cast<const sockaddr_in6*>(&a);
    port = ntohs(in->sin6_port);
    inet_ntop(AF_INET6, &in->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

} // namespace

void note_handshake_result(SSL* ssl, int result) {
  if (result > 0 || ssl == nullptr)
    return;
  auto kind = SSL_get_error(ssl, result);
  if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE)
    return; // not done yet
  int fd = SSL_get_fd(ssl);
  if (fd < 0)
    return;
  sockaddr_storage local{}, peer{};
  socklen_t n = sizeof local, m = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &n) != 0
      || getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &m) != 0)
    return;
  unsigned port = 0, peer_port = 0;
  address_of(local, port);
  auto from = address_of(peer, peer_port);
  static std::mutex mutex;
  static std::set<std::pair<unsigned, std::string>> seen;
  {
    std::lock_guard<std::mutex> guard{mutex};
    if (!seen.emplace(port, from).second)
      return;
  }
  char reason[256] = "closed during the handshake";
  if (auto code = ERR_peek_error())
    ERR_error_string_n(code, reason, sizeof reason);
  auto verify = SSL_get_verify_result(ssl);
  std::fprintf(stderr,
               "irsp-node: tls: turned away a peer from %s on port %u in the handshake: %s%s%s "
               "(logged once per address and port)\n",
               from.c_str(), port, reason, verify != X509_V_OK ? "; certificate: " : "",
               verify != X509_V_OK ? X509_verify_cert_error_string(verify) : "");
}

} // namespace irsp::cluster
