// trust::parse_known_hosts on the input. It throws TrustError or gives a memory in which
// every address of the text looks up to a well-formed fingerprint, every listed entry is well
// formed, and set() then lookup() agree.
#include "crypto/fingerprint.hpp"
#include "fuzz_common.hpp"
#include "trust/known_hosts.hpp"
#include "trust/trust_error.hpp"

using namespace cryptochat;

namespace {
constexpr const char* kFingerprint = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  try {
    trust::KnownHosts hosts = trust::parse_known_hosts(text, "fuzz_known_hosts");
    // Look up the first field of every line (most are addresses that were just read).
    std::size_t start = 0;
    for (int n = 0; n < 64 && start < text.size(); ++n) {
      const auto end = std::min(text.find('\n', start), text.size());
      auto line = text.substr(start, end - start);
      line = line.substr(std::min(line.find_first_not_of(" \t"), line.size()));
      const auto address = line.substr(0, line.find_first_of(" \t"));
      if (const auto found = hosts.lookup(address)) {
        fuzz::check(trust::is_storable_address(address), "an unstorable address was found");
        fuzz::check(crypto::looks_like_fingerprint(*found), "a stored fingerprint is malformed");
      }
      start = end + 1;
    }
    // Every entry `known-hosts list` would print is storable and looks up (the last line of an
    // address wins).
    for (const auto& entry : hosts.entries()) {
      fuzz::check(trust::is_storable_address(entry.address) &&
                      crypto::looks_like_fingerprint(entry.fingerprint) && entry.line >= 1,
                  "a malformed entry is listed");
      fuzz::check(hosts.lookup(entry.address).has_value(), "a listed entry does not look up");
    }
    hosts.set("fuzz.example:1", kFingerprint);
    fuzz::check(hosts.lookup("fuzz.example:1") == std::string(kFingerprint),
                "set() then lookup() disagree");
  } catch (const trust::TrustError&) {
    // refused: fine
  }
  return 0;
}
