// How the short authentication string (crypto/sas.hpp) is shown: the line at a first contact and
// when a client joins, and the /verify answer. The two people read the words to each other by
// voice; different words mean a man in the middle (PROTOCOL.md section 7).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/sas.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::chat {

// One session's peer and the SAS of that session.
struct PeerSas {
  wire::Participant who;
  crypto::Sas sas{};
};

// "SAS words with NAME: w1 w2 w3 w4 (...)", without a newline; `peer` is made safe to print.
std::string sas_notice(std::string_view peer, const crypto::Sas& sas);

// The /verify answer of a one-to-one chat or a room's client: the words of this session and both
// fingerprints, lines ending in '\n'.
std::string verify_text(const wire::Participant& self, const PeerSas& peer);
// The /verify answer of a room's operator: one line of words per client in the room.
std::string verify_room_text(const wire::Participant& self, const std::vector<PeerSas>& clients);

}  // namespace cryptochat::chat
