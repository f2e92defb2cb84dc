// The standard streams as a chat session uses them.
#pragma once

#include <unistd.h>

#include "chat/stream_session.hpp"

namespace cryptochat::cli {

inline chat::SessionIo standard_io() {
  chat::SessionIo io;
  io.in_fd = STDIN_FILENO;
  io.out_fd = STDOUT_FILENO;
  io.line_mode = ::isatty(STDIN_FILENO) != 0;
  io.terminal_out = ::isatty(STDOUT_FILENO) != 0;
  return io;
}

}  // namespace cryptochat::cli
