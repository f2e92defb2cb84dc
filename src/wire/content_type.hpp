// What a record carries: the first byte of its plaintext (PROTOCOL.md section 5). The record
// layer (crypto/record.hpp) seals and opens any of them; what each means after the handshake is
// handled in one place, chat/channel.cpp.
#pragma once

#include <cstdint>

namespace cryptochat::wire {

enum class ContentType : std::uint8_t {
  data = 0x00,
  finished = 0x01,    // key confirmation: each side's first record (crypto/handshake.cpp)
  end = 0x02,         // no more data from this side (a half close)
  end_ack = 0x03,     // everything up to the peer's end was written out
  quit = 0x04,        // the user ended the chat: both sides finish
  abort = 0x05,       // a fault: a short text follows
  relay = 0x06,       // room server to client: another participant's data (room_messages.hpp)
  room_event = 0x07,  // room server to client: someone joined or left (room_messages.hpp)
  key_update = 0x08,  // empty: the sender's next record is under its direction's next key
};

}  // namespace cryptochat::wire
