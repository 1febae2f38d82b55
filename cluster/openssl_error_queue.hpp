// CAF 0.17's TLS sessions and OpenSSL's per-thread error queue.
#pragma once

namespace irsp::cluster {

/// True: this process empties OpenSSL's error queue before each TLS call
/// that CAF's caf::openssl sessions make (see the .cpp). Calling it keeps
/// the object file that does so in a static link.
bool openssl_error_queue_guarded();

} // namespace irsp::cluster
