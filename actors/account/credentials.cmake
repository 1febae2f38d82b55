# SCRAM secrets, SASLprep and verification codes: shared by the account server
# and the SASL front end, so a library of its own.
add_library(irsp_credentials STATIC ${CMAKE_CURRENT_LIST_DIR}/credentials.cpp)
target_include_directories(irsp_credentials PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(irsp_credentials PUBLIC PkgConfig::GSASL OpenSSL::Crypto)
