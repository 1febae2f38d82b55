# Account server (§7.1, §8.2): the store over RocksDB, and the actor that serves it.
add_library(irsp_account_store STATIC
  ${CMAKE_CURRENT_LIST_DIR}/account_record.cpp
  ${CMAKE_CURRENT_LIST_DIR}/account_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bind_attempts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/binding_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exchanges.cpp
  ${CMAKE_CURRENT_LIST_DIR}/name_rules.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wire_form.cpp)
target_include_directories(irsp_account_store PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(irsp_account_store PUBLIC irsp_schema irsp_credentials
                      RocksDB::rocksdb PkgConfig::IDN)

# Issue 15: the lifecycle stream, served by the account server beside the accounts.
add_library(irsp_lifecycle STATIC
  ${PROJECT_SOURCE_DIR}/actors/lifecycle/lifecycle_store.cpp
  ${PROJECT_SOURCE_DIR}/actors/lifecycle/lifecycle_handlers.cpp
  ${PROJECT_SOURCE_DIR}/actors/lifecycle/lifecycle_writer.cpp)
target_include_directories(irsp_lifecycle PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(irsp_lifecycle PUBLIC irsp_account_store irsp_message_exchanges caf)

add_library(irsp_account_server STATIC ${CMAKE_CURRENT_LIST_DIR}/account_server.cpp)
target_link_libraries(irsp_account_server PUBLIC irsp_account_store irsp_lifecycle caf)

# Issue 14: primary -> backup replication of the account store (one shard).
add_library(irsp_account_replication STATIC
  ${CMAKE_CURRENT_LIST_DIR}/replication.cpp
  ${CMAKE_CURRENT_LIST_DIR}/replica_applier.cpp)
target_link_libraries(irsp_account_replication PUBLIC irsp_account_store caf)
