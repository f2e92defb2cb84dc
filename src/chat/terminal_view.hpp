// How received messages look on a terminal: "[HH:MM:SS] name: text", one line each, with every
// control character and escape sequence from the peer neutralised (UTF-8 kept).
#pragma once

#include <string>
#include <string_view>

#include "wire/bytes.hpp"

namespace cryptochat::chat {

class TerminalView {
 public:
  TerminalView(int fd, const std::string& peer_name);
  // Shows complete lines now; keeps a partial line until its end arrives (or flush()).
  void show(wire::ByteView data);
  void flush();
  // A whole message from someone else (a room relays one record at a time): every line of it
  // now, the last one even without its newline.
  void show_message(std::string_view sender, wire::ByteView data);

 private:
  void show_line(std::string_view name, std::string_view line) const;
  int fd_;
  std::string peer_name_;
  std::string partial_;
};

// Writes all of data to fd, retrying short writes; throws IoError naming `what`.
void write_all(int fd, wire::ByteView data, const char* what);

}  // namespace cryptochat::chat
