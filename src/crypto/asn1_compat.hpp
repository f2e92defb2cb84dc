// Botan 3 renamed the ASN.1 tag constants and the AlgorithmIdentifier accessors; these names
// work with both Botan 2 and Botan 3.
#pragma once

#include <botan/asn1_obj.h>
#include <botan/version.h>

#include <cstdint>
#include <vector>

namespace cryptochat::crypto::asn1 {

#if BOTAN_VERSION_MAJOR >= 3
inline constexpr auto kSequence = Botan::ASN1_Type::Sequence;
inline constexpr auto kOctetString = Botan::ASN1_Type::OctetString;
inline constexpr auto kBitString = Botan::ASN1_Type::BitString;
inline const Botan::OID& oid_of(const Botan::AlgorithmIdentifier& a) {
  return a.oid();
}
inline const std::vector<std::uint8_t>& params_of(const Botan::AlgorithmIdentifier& a) {
  return a.parameters();
}
#else
inline constexpr auto kSequence = Botan::SEQUENCE;
inline constexpr auto kOctetString = Botan::OCTET_STRING;
inline constexpr auto kBitString = Botan::BIT_STRING;
inline const Botan::OID& oid_of(const Botan::AlgorithmIdentifier& a) {
  return a.get_oid();
}
inline const std::vector<std::uint8_t>& params_of(const Botan::AlgorithmIdentifier& a) {
  return a.get_parameters();
}
#endif

}  // namespace cryptochat::crypto::asn1
