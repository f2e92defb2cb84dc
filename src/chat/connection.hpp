// One TCP connection as the protocol code sees it: a non-blocking socket, the frame decoder for
// what arrives and the bytes waiting to be sent. poll() decides when to call read/flush.
#pragma once

#include <chrono>
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

  // Sends as much of the outbox as the socket takes without blocking.
  void flush_some();
  // Blocks (poll) until the outbox is sent or the deadline passes (NetError).
  void flush_all(std::chrono::steady_clock::time_point deadline);
  // Reads what is there (at most chunk bytes) into the decoder; false at end of stream.
  bool read_some(std::size_t chunk = kReadChunk);
  // Frees the read and write buffers when both are empty (an idle peer of a busy server).
  void release_idle_memory();
  void shutdown_write() { socket_.shutdown_write(); }

  // Sends what is queued, ends this side, then reads and discards until the peer closes or the
  // deadline passes. Closing with unread input would make the kernel answer with a reset, which
  // can destroy the last record (an ABORT, say) before the peer reads it. Never throws.
  void close_gracefully(std::chrono::steady_clock::time_point deadline) noexcept;

 private:
  net::Socket socket_;
  std::string peer_;
  wire::FrameDecoder decoder_;
  wire::Bytes outbox_;
  std::size_t sent_ = 0;
};

// Milliseconds left until deadline for poll(), at least 0.
int poll_timeout(std::chrono::steady_clock::time_point deadline);

}  // namespace cryptochat::chat
