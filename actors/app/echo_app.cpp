// Built-in application `echo` (IRSP §8.3.1, §8.3.3, §8.4).
#include "actors/app/echo_app.hpp"

namespace irsp::app {

app_reply echo_app::on_upload(app_context& ctx, const upload& u) {
  ctx.push(u.from, u.payload);
  return app_reply::accept();
}

app_reply echo_app::on_app_message(app_context&, const app_message& m) {
  return app_reply::accept(m.payload);
}

} // namespace irsp::app
