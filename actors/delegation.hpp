// Handing a request on so that the final receiver answers the original sender.
#pragma once

#include <caf/delegated.hpp>
#include <caf/result.hpp>

namespace irsp {

/// Delegates `xs` to `dest` (its reply goes to whoever asked us) from a
/// handler whose declared result is `Response`.
template <class Response, class Self, class... Ts>
caf::result<Response> forward(Self* self, const caf::actor& dest, Ts&&... xs) {
  self->delegate(dest, std::forward<Ts>(xs)...);
  return caf::delegated<Response>{};
}

} // namespace irsp
