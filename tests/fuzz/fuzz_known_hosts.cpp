// trust::parse_known_hosts on the input. It throws TrustError or gives a memory in which
// every address of the text looks up to a well-formed fingerprint, every listed entry is well
// formed, every malformed line has its reason and warning, hashing the plain lines changes no
// lookup, and set() then lookup() agree.
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
    // Every entry `known-hosts list` would print is storable (or hashed) and a plain one looks
    // up (the last line of an address wins).
    std::vector<std::pair<std::string, std::optional<std::string>>> before;
    for (const auto& entry : hosts.entries()) {
      fuzz::check((entry.hashed || trust::is_storable_address(entry.address)) &&
                      crypto::looks_like_fingerprint(entry.fingerprint) && entry.line >= 1 &&
                      entry.malformed.empty(),
                  "a malformed entry is listed");
      if (!entry.hashed) {
        const auto found = hosts.lookup(entry.address);
        fuzz::check(found.has_value(), "a listed entry does not look up");
        if (before.size() < 64) {
          before.emplace_back(entry.address, found);
        }
      }
    }
    const auto bad = hosts.malformed();
    fuzz::check(bad.size() == hosts.malformed_warnings().size(), "a malformed line is not named");
    for (const auto& entry : bad) {
      fuzz::check(!entry.malformed.empty() && entry.fingerprint.empty(),
                  "a malformed line has no reason");
    }
    hosts.hash_plain_lines();
    for (const auto& [address, found] : before) {
      fuzz::check(hosts.lookup(address) == found, "hashing changed a lookup");
    }
    hosts.set("fuzz.example:1", kFingerprint);
    fuzz::check(hosts.lookup("fuzz.example:1") == std::string(kFingerprint),
                "set() then lookup() disagree");
  } catch (const trust::TrustError&) {
    // refused: fine
  }
  return 0;
}
