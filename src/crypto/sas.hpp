// The short authentication string (PROTOCOL.md section 7, "Short authentication string"): four
// words derived from both hellos and the server's SAS nonce, which the server committed to in
// its hello before it saw the client's. Two people who read the same words to each other had no
// man in the middle: neither a client nor a server can choose the words of its leg.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "wire/bytes.hpp"
#include "wire/handshake_messages.hpp"

namespace cryptochat::crypto {

// One byte, one word: 4 words are 32 bits (a man in the middle's chance per session 2^-32).
inline constexpr std::size_t kSasWords = 4;
inline constexpr std::size_t kSasWordListSize = 256;
using Sas = std::array<std::uint8_t, kSasWords>;

// SHA-256("cryptochat v3 sas commitment" || nonce): what SERVER_HELLO carries.
wire::SasCommitment sas_commitment(const wire::SasNonce& nonce);
// The first 4 bytes of SHA-256("cryptochat v3 sas" || hellos || nonce), hellos being the whole
// SERVER_HELLO and CLIENT_HELLO frames as sent, one after the other.
Sas derive_sas(wire::ByteView hellos, const wire::SasNonce& nonce);

// The 256 words, byte value i naming word i (the list of PROTOCOL.md section 10).
std::span<const std::string_view, kSasWordListSize> sas_word_list();
// "word word word word": how the SAS is shown everywhere.
std::string sas_words(const Sas& sas);

}  // namespace cryptochat::crypto
