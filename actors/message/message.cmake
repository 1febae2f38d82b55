# Message server (§7.2): router, authorisation; user and device actors;
# application hosting (§7.3); offline queue module.
add_library(irsp_message_exchanges STATIC
  ${CMAKE_CURRENT_LIST_DIR}/exchanges.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wire_form.cpp
  ${CMAKE_CURRENT_LIST_DIR}/authorization.cpp)
target_include_directories(irsp_message_exchanges PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(irsp_message_exchanges PUBLIC irsp_schema irsp_account_store caf)

add_library(irsp_message_server STATIC
  ${CMAKE_CURRENT_LIST_DIR}/router.cpp
  ${PROJECT_SOURCE_DIR}/actors/principal/principal_actor.cpp
  ${PROJECT_SOURCE_DIR}/actors/offline/offline_store.cpp
  ${PROJECT_SOURCE_DIR}/actors/offline/offline_record.cpp
  ${PROJECT_SOURCE_DIR}/actors/offline/legacy_offline_import.cpp
  ${PROJECT_SOURCE_DIR}/actors/offline/offline_queue.cpp
  ${PROJECT_SOURCE_DIR}/actors/offline/offline_module.cpp
  ${PROJECT_SOURCE_DIR}/actors/app/app_host.cpp
  ${PROJECT_SOURCE_DIR}/actors/app/echo_app.cpp
  ${PROJECT_SOURCE_DIR}/actors/app/notify_app.cpp
  ${PROJECT_SOURCE_DIR}/actors/app/last_seen_app.cpp)
target_include_directories(irsp_message_server PUBLIC ${PROJECT_SOURCE_DIR}
                           ${PROJECT_SOURCE_DIR}/node/include)
target_link_libraries(irsp_message_server PUBLIC irsp_message_exchanges irsp_account_server irsp_cluster
                      PRIVATE nlohmann_json::nlohmann_json)
