// The connections a server has accepted that are still in their handshake, driven together on
// one poll loop. A peer that is slow, silent or hostile holds only its own slot until its
// deadline, and the number of slots is capped, so a flood of half-open connections cannot
// starve real users or grow memory without bound: when every slot is taken, the oldest
// connection is dropped for the new one.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "chat/connection.hpp"
#include "chat/handshake_driver.hpp"
#include "crypto/handshake.hpp"
#include "net/socket.hpp"
#include "util/console.hpp"

namespace cryptochat::chat {

struct JoinedPeer {
  std::unique_ptr<Connection> conn;
  crypto::Established established;
};

struct PoolLimits {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_pending = 64;
};

class HandshakePool {
 public:
  HandshakePool(const crypto::PrivateKey& identity, std::string name, IdentityCheck check,
                PoolLimits limits, const Console& console);

  // Accepts connections and runs their handshakes until one completes; nullopt when a stop
  // signal arrives first. Failed handshakes are reported on the console, one line each.
  std::optional<JoinedPeer> next_peer(net::Listener& listener, int stop_fd);

  // Ends every handshake still under way with an alert saying why.
  void refuse_all(const std::string& why);

  [[nodiscard]] std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::unique_ptr<Connection> conn;
    std::unique_ptr<crypto::ServerHandshake> handshake;
    std::chrono::steady_clock::time_point deadline;
  };

  void accept_all(net::Listener& listener);
  void drop(std::size_t index, const Error& error, bool log);
  std::optional<JoinedPeer> service(std::size_t index, short revents);

  const crypto::PrivateKey& identity_;
  std::string name_;
  IdentityCheck check_;
  PoolLimits limits_;
  const Console& console_;
  std::deque<Pending> pending_;
};

}  // namespace cryptochat::chat
