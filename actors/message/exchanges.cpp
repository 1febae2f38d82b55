// Status names of §8.3–8.4 from the schema (see schema/enum_names.hpp).
#include "actors/message/exchanges.hpp"

#include "schema/enum_names.hpp"

namespace irsp::message {

std::string status_name(upload_status s) { return schema::enum_name(s); }
std::string status_name(push_status s) { return schema::enum_name(s); }
std::string status_name(app_message_status s) { return schema::enum_name(s); }
std::string status_name(direct_status s) { return schema::enum_name(s); }
std::string status_name(bind_status s) { return schema::enum_name(s); }
std::string status_name(unbind_status s) { return schema::enum_name(s); }

} // namespace irsp::message
