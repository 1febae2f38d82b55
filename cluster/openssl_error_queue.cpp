// OpenSSL requires the thread's error queue to be empty before SSL_read,
// SSL_write, SSL_accept or SSL_connect, because SSL_get_error reads it: a
// stale entry turns the next call's harmless "want read" into a fatal
// SSL_ERROR_SSL. CAF 0.17.6's caf::openssl session only drains the queue
// inside a log statement, and Debian builds CAF without logging, so one peer
// that fails on the middleman's thread (a member killed with -9, garbage or
// a wrong certificate on the cluster port) made CAF close the next healthy
// connection it served: every member saw every other die with it.
// Defining the four calls here, ahead of libssl, lets every caller in the
// process (CAF included) start with an empty queue. Our own TLS code does
// the same already, so for it this changes nothing.
#include "cluster/openssl_error_queue.hpp"
#include "cluster/tls_refusals.hpp"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class F>
F next_definition(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static auto real = next_definition<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto real = next_definition<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static auto real = next_definition<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  int result = real(ssl);
  // CAF tells nobody of a peer its listener turned away: say it here.
  irsp::cluster::note_handshake_result(ssl, result);
  return result;
}

int SSL_connect(SSL* ssl) {
  static auto real = next_definition<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"

namespace irsp::cluster {

bool openssl_error_queue_guarded() {
  return true;
}

} // namespace irsp::cluster
