// One TCP connection as the protocol code sees it: a non-blocking socket, the frame decoder for
// what arrives and the bytes waiting to be sent. The event loop decides when to read and flush.
#pragma once

#include <string>

#include "net/socket.hpp"
#include "wire/bytes.hpp"
#include "wire/frame.hpp"

namespace cryptochat::chat {

inline constexpr std::size_t kReadChunk = std::size_t{256} * 1024;

class Connection {
 public:
  explicit Connection(net::Socket socket);

  [[nodiscard]] int fd() const { return socket_.fd(); }
  [[nodiscard]] const std::string& peer() const { return peer_; }
  wire::FrameDecoder& decoder() { return decoder_; }
  wire::Bytes& outbox() { return outbox_; }
  [[nodiscard]] bool has_output() const { return sent_ < outbox_.size(); }
  [[nodiscard]] std::size_t pending_output() const { return outbox_.size() - sent_; }
  // What the event loop should wait for: always input, output while some is queued.
  [[nodiscard]] std::uint32_t wanted_events() const;

  // Sends as much of the outbox as the socket takes without blocking.
  void flush_some();
  // Reads what is there (at most chunk bytes) into the decoder; false at end of stream.
  bool read_some(std::size_t chunk = kReadChunk);
  // Frees the read and write buffers when both are empty (an idle peer of a busy server).
  void release_idle_memory();
  void shutdown_write() { socket_.shutdown_write(); }

  // After this side's last record (an ABORT, say): what is queued goes out, then this side's
  // end, and what the peer still sends is read and discarded until it closes. Closing with
  // unread input would make the kernel answer with a reset, which can destroy that last
  // record before the peer reads it.
  void start_closing();
  [[nodiscard]] bool closing() const { return closing_; }
  // While closing, on readiness: true once the peer closed (or the connection failed).
  bool close_some();

 private:
  net::Socket socket_;
  std::string peer_;
  wire::FrameDecoder decoder_;
  wire::Bytes outbox_;
  std::size_t sent_ = 0;
  bool closing_ = false;
  bool write_shut_ = false;
};

}  // namespace cryptochat::chat
