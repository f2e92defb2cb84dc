#include "chat/verify.hpp"

#include <fmt/format.h>

#include "chat/terminal_view.hpp"
#include "crypto/fingerprint.hpp"
#include "util/text.hpp"

namespace cryptochat::chat {

namespace {

constexpr std::string_view kHowTo =
    "read the words to each other by voice (not in this chat): the same words mean nobody is in "
    "the middle\n";

}  // namespace

std::string sas_notice(std::string_view peer, const crypto::Sas& sas) {
  return fmt::format(
      "SAS words with {}: {} (compare them by voice; different words mean someone is in the "
      "middle; /verify shows them again)",
      printable(peer.empty() ? std::string_view("peer") : peer), crypto::sas_words(sas));
}

std::string verify_text(const wire::Participant& self, const PeerSas& peer) {
  return fmt::format("SAS words with {}: {}\nyour fingerprint: {}\n{}'s fingerprint: {}\n{}",
                     printable(peer.who.name), crypto::sas_words(peer.sas),
                     crypto::fingerprint_of_hash(self.key_hash), printable(peer.who.name),
                     crypto::fingerprint_of_hash(peer.who.key_hash), kHowTo);
}

std::string verify_room_text(const wire::Participant& self, const std::vector<PeerSas>& clients) {
  std::string text =
      fmt::format("your fingerprint: {}\n", crypto::fingerprint_of_hash(self.key_hash));
  if (clients.empty()) {
    text += "nobody is in the room\n";
    return text;
  }
  for (const auto& c : clients) {
    text += fmt::format("SAS words with {}: {}\n", describe(c.who), crypto::sas_words(c.sas));
  }
  text += kHowTo;
  return text;
}

}  // namespace cryptochat::chat
