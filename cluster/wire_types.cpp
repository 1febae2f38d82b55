// What crosses between the nodes of one AS (names are the wire's: keep them).
#include "cluster/wire_types.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/account/messages.hpp"
#include "actors/message/exchanges.hpp"
#include "cluster/member_info.hpp"

namespace irsp::cluster {

void announce_cluster_types(caf::actor_system_config& cfg) {
  using namespace irsp::account;
  using namespace irsp::message;
  cfg.add_message_type<std::vector<std::string>>("irsp.strings")
    .add_message_type<endpoint>("irsp.endpoint")
    .add_message_type<member_info>("irsp.member_info")
    .add_message_type<std::vector<member_info>>("irsp.member_infos")
    .add_message_type<member_status>("irsp.member_status")
    .add_message_type<std::vector<member_status>>("irsp.member_statuses")
    // account server (§8.2) and what user/device actors and logins read
    .add_message_type<register_request>("irsp.register_request")
    .add_message_type<register_response>("irsp.register_response")
    .add_message_type<modify_request>("irsp.modify_request")
    .add_message_type<modify_response>("irsp.modify_response")
    .add_message_type<delete_request>("irsp.delete_request")
    .add_message_type<delete_response>("irsp.delete_response")
    .add_message_type<reset_code_request>("irsp.reset_code_request")
    .add_message_type<reset_code_response>("irsp.reset_code_response")
    .add_message_type<account_view>("irsp.account_view")
    .add_message_type<bind_request>("irsp.bind_request")
    .add_message_type<unbind_request>("irsp.unbind_request")
    .add_message_type<bind_status>("irsp.bind_status")
    .add_message_type<unbind_status>("irsp.unbind_status")
    .add_message_type<principal_record>("irsp.principal_record")
    .add_message_type<scram_secret>("irsp.scram_secret")
    // message server (§8.3, §8.4) and sessions
    .add_message_type<upload_request>("irsp.upload_request")
    .add_message_type<upload_response>("irsp.upload_response")
    .add_message_type<push_request>("irsp.push_request")
    .add_message_type<push_response>("irsp.push_response")
    .add_message_type<app_message_request>("irsp.app_message_request")
    .add_message_type<app_message_response>("irsp.app_message_response")
    .add_message_type<direct_request>("irsp.direct_request")
    .add_message_type<direct_response>("irsp.direct_response")
    .add_message_type<presence_event>("irsp.presence_event")
    .add_message_type<std::vector<presence_event>>("irsp.presence_events")
    .add_message_type<delivery>("irsp.delivery")
    .add_message_type<session_ref>("irsp.session_ref")
    .add_message_type<session_opened>("irsp.session_opened")
    .add_message_type<subscription>("irsp.subscription")
    .add_message_type<std::vector<caf::node_id>>("irsp.node_ids")
    .add_message_type<std::vector<caf::actor>>("irsp.actors");
}

} // namespace irsp::cluster
