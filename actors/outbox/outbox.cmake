# IRSP §8.8.2 outbound: the outbox, the endpoint registry and the delivery
# decisions. No sockets: the HTTPS transport is node/outbound/.
find_package(CURL REQUIRED)
add_library(irsp_outbox STATIC
  ${CMAKE_CURRENT_LIST_DIR}/backoff.cpp
  ${CMAKE_CURRENT_LIST_DIR}/delivery_plan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/endpoint_rules.cpp
  ${CMAKE_CURRENT_LIST_DIR}/outbox_record.cpp
  ${CMAKE_CURRENT_LIST_DIR}/outbox_store.cpp)
target_include_directories(irsp_outbox PUBLIC ${PROJECT_SOURCE_DIR})
# libcurl only for its URL parser (endpoint_rules.cpp).
target_link_libraries(irsp_outbox PUBLIC irsp_account_store PRIVATE CURL::libcurl)

add_library(irsp_outbox_actor STATIC ${CMAKE_CURRENT_LIST_DIR}/outbox_actor.cpp)
target_link_libraries(irsp_outbox_actor PUBLIC irsp_outbox caf)

# Application hosts (actors/app/) reach the outbox actor.
target_link_libraries(irsp_message_server PUBLIC irsp_outbox_actor)
