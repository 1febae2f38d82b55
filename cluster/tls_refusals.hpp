// Peers turned away in the TLS handshake, logged once each (issue 16: an
// unknown peer or a bad certificate is refused at connect and logged once).
#pragma once

typedef struct ssl_st SSL;

namespace irsp::cluster {

/// After a server-side handshake step on `ssl` returned `result`: if it
/// failed for good (not "wants more data"), one stderr line naming the
/// peer's address, our port and OpenSSL's reason — once per (port, peer
/// address) for the process's life, so a redialling impostor is one line.
/// Only for sockets (CAF's listeners, cpp-httplib's); memory-BIO sessions
/// have no address and are left to their owner.
void note_handshake_result(SSL* ssl, int result);

} // namespace irsp::cluster
