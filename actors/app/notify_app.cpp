// Built-in application `notify` (IRSP §8.4 / §8.8.3 in, §8.3.3 out).
#include "actors/app/notify_app.hpp"

namespace irsp::app {

app_reply notify_app::on_upload(app_context&, const upload&) {
  return app_reply::reject("notify takes messages from applications only");
}

app_reply notify_app::on_app_message(app_context& ctx, const app_message& m) {
  auto nl = m.payload.find('\n');
  if (nl == std::string::npos || nl == 0)
    return app_reply::reject("payload: ADDRESS, a newline, then the text");
  auto to = m.payload.substr(0, nl);
  ctx.push(to, m.payload.substr(nl + 1));
  return app_reply::accept("pushing to " + to);
}

} // namespace irsp::app
