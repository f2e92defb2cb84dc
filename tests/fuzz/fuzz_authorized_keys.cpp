// trust::parse_authorized_keys on the input: TrustError, or an allow list with at least one
// key in which only well-formed fingerprints are allowed.
#include "crypto/fingerprint.hpp"
#include "fuzz_common.hpp"
#include "trust/authorized_keys.hpp"
#include "trust/trust_error.hpp"

using namespace cryptochat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  try {
    const trust::AuthorizedKeys keys = trust::parse_authorized_keys(text, "fuzz_authorized_keys");
    fuzz::check(keys.size() >= 1, "an allow list without keys was accepted");
    fuzz::check(keys.size() <= trust::kMaxAuthorizedKeys, "more keys than the maximum");
    fuzz::check(!keys.allows(""), "the empty fingerprint is allowed");
    // Every allowed fingerprint appears in the text or comes from a PEM block; whichever
    // field of the text is allowed must look like a fingerprint.
    std::size_t start = 0;
    for (int n = 0; n < 64 && start < text.size(); ++n) {
      const auto end = std::min(text.find('\n', start), text.size());
      auto line = text.substr(start, end - start);
      line = line.substr(std::min(line.find_first_not_of(" \t"), line.size()));
      const auto field = line.substr(0, line.find_first_of(" \t\r"));
      if (keys.allows(field)) {
        fuzz::check(crypto::looks_like_fingerprint(field), "a malformed fingerprint is allowed");
      }
      start = end + 1;
    }
  } catch (const trust::TrustError&) {
    // refused: fine
  }
  return 0;
}
