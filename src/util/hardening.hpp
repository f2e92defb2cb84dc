// Process-wide protections for a program that holds private keys and session secrets.
#pragma once

namespace cryptochat {

// No core dumps (they would contain keys) and no ptrace attach by other processes of the same
// user. Failures are ignored: these are defences in depth, not preconditions.
void harden_process() noexcept;

}  // namespace cryptochat
