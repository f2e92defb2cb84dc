// The handshake message parsers. Input: [selector][body]; selector % 4 picks
// parse_server_hello, parse_client_hello, parse_server_key or parse_alert. The hellos' prefixes
// (parse_server_offer, parse_client_choice: what every version keeps) are parsed too, and must
// agree with the whole hello wherever it parses.
// Whatever parses must encode back to exactly the body (the parsers account for every byte),
// and what is refused must be refused with ProtocolError.
#include <algorithm>
#include <optional>

#include "fuzz_common.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"

using namespace cryptochat;

namespace {

// The prefix parse alone: nullopt when it is refused (with ProtocolError, as it must be).
template <typename Parse>
auto prefix(Parse parse, wire::ByteView body) -> std::optional<decltype(parse(body))> {
  try {
    return parse(body);
  } catch (const wire::ProtocolError&) {
    return std::nullopt;
  }
}

void check_round_trip(wire::ByteView body, const wire::Bytes& encoded) {
  fuzz::check(std::equal(body.begin(), body.end(), encoded.begin(), encoded.end()),
              "a parsed message does not encode back to the same bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const wire::ByteView body(data + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0: {
        const auto offer = prefix(wire::parse_server_offer, body);
        fuzz::check(
            !offer || (!offer->versions.empty() && offer->versions.size() <= wire::kMaxListSize &&
                       !offer->suites.empty() && offer->suites.size() <= wire::kMaxListSize),
            "server offer lists out of bounds");
        const auto m = wire::parse_server_hello(body);
        fuzz::check(offer && offer->versions == m.versions && offer->suites == m.suites,
                    "the server offer and the whole hello disagree");
        fuzz::check(!m.versions.empty() && m.versions.size() <= wire::kMaxListSize,
                    "server hello version list out of bounds");
        fuzz::check(!m.suites.empty() && m.suites.size() <= wire::kMaxListSize,
                    "server hello suite list out of bounds");
        fuzz::check(m.spki.size() <= wire::kMaxSpkiSize, "server hello key over the maximum");
        check_round_trip(body, wire::encode(m));
        break;
      }
      case 1: {
        const auto choice = prefix(wire::parse_client_choice, body);
        const auto m = wire::parse_client_hello(body);
        fuzz::check(choice && choice->version == m.version && choice->suite == m.suite,
                    "the client choice and the whole hello disagree");
        fuzz::check(m.spki.size() <= wire::kMaxSpkiSize, "client hello key over the maximum");
        fuzz::check(m.oaep_ciphertext.size() <= wire::kMaxRsaBlockSize,
                    "client hello key transport over the maximum");
        check_round_trip(body, wire::encode(m));
        break;
      }
      case 2: {
        const auto m = wire::parse_server_key(body);
        fuzz::check(m.oaep_ciphertext.size() <= wire::kMaxRsaBlockSize,
                    "server key over the maximum");
        check_round_trip(body, wire::encode(m));
        break;
      }
      default: {
        const auto m = wire::parse_alert(body);
        fuzz::check(m.text.size() <= wire::kMaxAlertText, "alert text over the maximum");
        check_round_trip(body, wire::encode(m));
        // An alert always fits the frame limit of its type.
        fuzz::check(wire::encode(m).size() <= wire::kMaxAlertBody, "alert over the frame limit");
        break;
      }
    }
  } catch (const wire::ProtocolError&) {
    // refused: fine
  }
  return 0;
}
