// The client's handshake state machine (identity: tests/data/client_rsa2048.pem) fed the
// frames of the input as if they came from a server. The RNG is fixed, so a server that
// answers this client exactly once (make_fuzz_seeds does) gives a seed that reaches the
// established state and the record layer.
#include "fuzz_handshake.hpp"

using namespace cryptochat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FixedRng rng(fuzz::kClientRngSeed);
  crypto::ClientHandshake client(fuzz::client_identity(), fuzz::kClientName, rng);
  wire::Bytes out;
  fuzz::drive_handshake(client, wire::ByteView(data, size), out);
  return 0;
}
