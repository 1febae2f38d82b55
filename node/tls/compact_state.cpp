// RFC 8446 §5: what a TLS 1.3 server session keeps once OpenSSL's SSL object is freed.
#include "node/tls/compact_state.hpp"

#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "node/tls/traffic_capture.hpp"

namespace irsp::tls::detail {

void kept_binding::keep(const std::optional<std::string>& value) {
  present = value && value->size() <= bytes.size();
  if (!present)
    return;
  value->copy(bytes.data(), value->size());
  size = static_cast<std::uint8_t>(value->size());
}

std::optional<std::string> kept_binding::get() const {
  if (!present)
    return std::nullopt;
  return std::string(bytes.data(), size);
}

kept_bindings::~kept_bindings() {
  OPENSSL_cleanse(tls_exporter.bytes.data(), tls_exporter.bytes.size());
  OPENSSL_cleanse(tls_unique.bytes.data(), tls_unique.bytes.size());
  OPENSSL_cleanse(tls_server_end_point.bytes.data(), tls_server_end_point.bytes.size());
}

std::unique_ptr<compact_state> take_over(SSL* ssl, std::string& why) {
  traffic_state traffic;
  if (!capture(ssl, traffic, why))
    return nullptr;
  auto state = std::make_unique<compact_state>();
  state->records = record_layer::create(traffic.suite, traffic.read_secret.data(),
                                        traffic.read_sequence, traffic.write_secret.data(),
                                        traffic.write_sequence, why);
  if (!state->records)
    return nullptr;
  // Records OpenSSL sealed and the transport has not taken yet go first.
  BIO* wbio = SSL_get_wbio(ssl);
  char* queued = nullptr;
  long n = BIO_get_mem_data(wbio, &queued);
  if (n > 0)
    state->records->adopt_output(std::string_view(queued, static_cast<std::size_t>(n)));
  // RFC 8446 §4.6.3: the KeyUpdate the peer asked for, which OpenSSL would
  // have sent before its next application data.
  if (traffic.key_update_owed && !state->records->send_key_update()) {
    why = state->records->error();
    return nullptr;
  }
  return state;
}

}  // namespace irsp::tls::detail
