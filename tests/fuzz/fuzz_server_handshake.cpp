// The server's handshake state machine (identity: tests/data/rsa2048_pkcs8.pem), after
// start(), fed the frames of the input as if they came from a client. Every client key is
// allowed (accept() on peer_identity). The RNG is fixed, so a client's answer to this server
// (made by make_fuzz_seeds) is a seed that reaches the established state.
#include "fuzz_handshake.hpp"

using namespace cryptochat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FixedRng rng(fuzz::kServerRngSeed);
  crypto::ServerHandshake server(fuzz::server_identity(), fuzz::kServerName, rng);
  wire::Bytes out;
  server.start(out);
  fuzz::drive_handshake(server, wire::ByteView(data, size), out);
  return 0;
}
