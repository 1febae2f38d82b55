// RFC 5280: the certificate authority of one AS's cluster and the node certificates it issues,
// for mutual TLS between the nodes' CAF actor systems (caf::openssl, BASP).
#pragma once

#include <string>

namespace irsp::tls {

/// The CA's files inside its directory. The key never leaves the machine the
/// CA was made on; nodes get only a copy of `ca.pem`.
inline constexpr const char* cluster_ca_cert_file = "ca.pem";
inline constexpr const char* cluster_ca_key_file = "ca-key.pem";

/// A node's files inside its cluster directory: what `caf::openssl` is given
/// as `openssl_cafile`, `openssl_certificate` and `openssl_key`.
inline constexpr const char* node_ca_file = "ca.pem";
inline constexpr const char* node_cert_file = "node.pem";
inline constexpr const char* node_key_file = "node-key.pem";

/// Makes a new cluster CA: an EC P-256 key (`dir/ca-key.pem`, mode 0600) and
/// a self-signed X.509 v3 certificate (`dir/ca.pem`; CN `name`, CA:TRUE with
/// path length 0, keyCertSign and cRLSign, valid ten years, SHA-256), each
/// written atomically. `dir` is created (mode 0700) when missing.
/// Refuses when either file exists. Returns an error line naming the file,
/// or "" on success.
std::string create_cluster_ca(const std::string& dir, const std::string& name);

/// "" when `node_name` can name a node in its certificate (a DNS name:
/// letters, digits, '-' and '.'); else the error line `issue_node_certificate`
/// would give.
std::string check_node_name(const std::string& node_name);

/// Issues a certificate for the node `node_name` (a DNS name) with the CA in
/// `ca_dir`: writes `out_dir/node-key.pem` (EC P-256, mode 0600),
/// `out_dir/node.pem` (CA:FALSE, digitalSignature, serverAuth and clientAuth,
/// subjectAltName DNS:`node_name`, random serial, valid two years, SHA-256)
/// and `out_dir/ca.pem` (a copy of the CA certificate, never its key).
/// Refuses when any of the three exists, or when the CA's files are missing,
/// do not match or are expired. Returns an error line naming the file, or "".
std::string issue_node_certificate(const std::string& ca_dir, const std::string& out_dir,
                                   const std::string& node_name);

/// Checks a node's cluster directory: "" when `node.pem` chains to `ca.pem`
/// (both in date, fit for TLS client and server use), and `node-key.pem` is
/// its key; otherwise one line naming the problem and the file.
std::string check_node_files(const std::string& dir);

}  // namespace irsp::tls
