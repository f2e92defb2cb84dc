#include "fleet.hpp"

#include <netdb.h>
#include <sys/epoll.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <map>

#include "net/event_loop.hpp"
#include "net/net_error.hpp"
#include "util/error.hpp"

namespace cryptochat::loadgen {

namespace {

// How long an established client may hold its handshake slot without a "joined" event naming it.
constexpr auto kConfirmWait = std::chrono::seconds(5);

}  // namespace

Address resolve(const net::HostPort& target) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(target.port);
  const int rc = ::getaddrinfo(target.host.c_str(), port.c_str(), &hints, &list);
  if (rc != 0 || list == nullptr) {
    throw net::NetError(fmt::format("cannot resolve '{}': {}", target.host,
                                    rc != 0 ? ::gai_strerror(rc) : "no address"));
  }
  Address address;
  std::memcpy(&address.storage, list->ai_addr, list->ai_addrlen);
  address.length = list->ai_addrlen;
  ::freeaddrinfo(list);
  return address;
}

Fleet::Fleet(std::size_t count, ClientSetup setup, Address server)
    : setup_(std::move(setup)),
      server_(server),
      watched_fd_(count, -1),
      watches_(count),
      holds_slot_(count, 0) {
  if (setup_.identity != nullptr) {
    setup_.on_joined = [this](std::string_view name) { confirm_joined(name); };
  }
  for (std::size_t i = 0; i < count; ++i) {
    clients_.emplace_back(i, setup_);
  }
}

std::size_t Fleet::count(Phase phase) const {
  return static_cast<std::size_t>(std::count_if(
      clients_.begin(), clients_.end(), [phase](const Client& c) { return c.phase() == phase; }));
}

std::vector<std::string> Fleet::failures() const {
  std::map<std::string, std::pair<std::size_t, std::string>> by_reason;  // first client named
  for (const auto& c : clients_) {
    if (!c.error().empty()) {
      auto& entry = by_reason[c.error()];
      if (entry.first++ == 0) {
        entry.second = c.name();
      }
    }
  }
  std::vector<std::string> out;
  for (const auto& [reason, entry] : by_reason) {
    out.push_back(fmt::format("{} client(s), first {}: {}", entry.first, entry.second, reason));
  }
  return out;
}

void Fleet::refresh(std::size_t i) {
  const int fd = clients_[i].fd();
  if (fd < 0) {
    // Closing the descriptor took it out of the epoll set already.
    watches_[i].forget_closed();
    watched_fd_[i] = -1;
    return;
  }
  try {
    if (watched_fd_[i] != fd || !watches_[i].active()) {
      watches_[i] = loop_.watch(fd, clients_[i].interest(),
                                [this, i](std::uint32_t events) { on_ready(i, events); });
      watched_fd_[i] = fd;
    } else {
      watches_[i].set_events(clients_[i].interest());
    }
  } catch (const Error& e) {
    clients_[i].abandon(e.what());
  }
}

void Fleet::on_ready(std::size_t i, std::uint32_t events) {
  const bool was_pending = clients_[i].pending();
  clients_[i].on_ready(events);
  if (was_pending && !clients_[i].pending()) {
    --pending_;
    after_event(i);
  }
  refresh(i);
}

void Fleet::poll_once(Clock::time_point deadline) {
  loop_.turn(deadline);
}

void Fleet::after_event(std::size_t i) {
  if (holds_slot_[i] == 0) {
    return;
  }
  if (clients_[i].phase() != Phase::established || setup_.identity == nullptr) {
    release(i);  // failed; or plain TCP, where the server's greeting came after its accept
  } else {
    unconfirmed_.emplace_back(Clock::now() + kConfirmWait, i);
  }
}

void Fleet::confirm_joined(std::string_view name) {
  constexpr std::string_view prefix = "load-";
  if (name.substr(0, prefix.size()) != prefix) {
    return;
  }
  std::size_t i = 0;
  const auto digits = name.substr(prefix.size());
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
  if (ec == std::errc() && end == digits.data() + digits.size() && i < clients_.size() &&
      holds_slot_[i] != 0) {
    release(i);
  }
}

void Fleet::release(std::size_t i) {
  holds_slot_[i] = 0;
  --slots_taken_;
}

void Fleet::establish_all(std::size_t concurrency, Clock::time_point deadline) {
  std::size_t next = 0;
  while (true) {
    const auto now = Clock::now();
    while (!unconfirmed_.empty() && unconfirmed_.front().first <= now) {
      if (holds_slot_[unconfirmed_.front().second] != 0) {
        release(unconfirmed_.front().second);
      }
      unconfirmed_.pop_front();
    }
    while (slots_taken_ < concurrency && next < clients_.size()) {
      Client& c = clients_[next];
      c.start(reinterpret_cast<const sockaddr*>(&server_.storage), server_.length);
      if (c.pending()) {
        ++pending_;
        holds_slot_[next] = 1;
        ++slots_taken_;
      }
      refresh(next);
      ++next;
    }
    if (pending_ == 0 && next == clients_.size()) {
      return;  // whether the server has them all in its room is for the caller to check
    }
    if (now >= deadline) {
      for (auto& c : clients_) {
        if (c.phase() == Phase::connecting) {
          c.abandon("not established within the time limit (TCP connect unfinished)");
        } else if (c.phase() == Phase::handshaking) {
          c.abandon("not established within the time limit (handshake unfinished)");
        } else if (c.phase() == Phase::idle) {
          c.abandon("not established within the time limit (not started)");
        }
      }
      pending_ = 0;
      return;
    }
    poll_once(unconfirmed_.empty() ? deadline : std::min(deadline, unconfirmed_.front().first));
  }
}

bool Fleet::run_until(const std::function<bool()>& done, Clock::time_point deadline) {
  while (!done()) {
    if (Clock::now() >= deadline) {
      return false;
    }
    poll_once(deadline);
  }
  return true;
}

void Fleet::close_all(Clock::time_point deadline) {
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    clients_[i].begin_close();
    refresh(i);
  }
  const bool finished = run_until(
      [this] {
        return std::none_of(clients_.begin(), clients_.end(),
                            [](const Client& c) { return c.ending(); });
      },
      deadline);
  if (!finished) {
    for (auto& c : clients_) {
      if (c.ending()) {
        c.abandon("the close did not finish within the time limit");
      }
    }
  }
}

}  // namespace cryptochat::loadgen
