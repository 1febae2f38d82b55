// How the account exchanges travel as CAF messages (inspect overloads for
// types declared in CAF-free headers).
#pragma once

#include "actors/account/credentials.hpp"
#include "actors/account/exchanges.hpp"

namespace irsp::account {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scram_secret& x) {
  return f(x.salt, x.iterations, x.stored_key, x.server_key);
}

} // namespace irsp::account
