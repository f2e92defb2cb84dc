#include "crypto/sas.hpp"

#include <botan/hash.h>

#include <algorithm>

namespace cryptochat::crypto {

namespace {

constexpr std::string_view kCommitmentLabel = "cryptochat v3 sas commitment";
constexpr std::string_view kSasLabel = "cryptochat v3 sas";

// 256 short English words: lowercase, 3 to 8 letters, no two with the same first three letters
// and every two at least two edits apart (tests/unit/crypto/test_sas.cpp checks this, and that
// PROTOCOL.md lists the same words in the same order).
constexpr std::array<std::string_view, kSasWordListSize> kWords = {
    "acorn",   "album",   "amber",   "anchor",   "ankle",    "apple",   "arrow",    "atlas",
    "attic",   "autumn",  "badge",   "bagel",    "balloon",  "bamboo",  "banjo",    "barrel",
    "basket",  "beacon",  "bench",   "bicycle",  "blanket",  "blossom", "bobcat",   "bottle",
    "bridge",  "bucket",  "buffalo", "button",   "cabin",    "cactus",  "camel",    "candle",
    "captain", "carpet",  "castle",  "celery",   "cherry",   "chimney", "cobra",    "coconut",
    "coffee",  "comet",   "copper",  "cowboy",   "crayon",   "cricket", "crystal",  "dagger",
    "daisy",   "desert",  "diamond", "dinner",   "doctor",   "dolphin", "dragon",   "drum",
    "duck",    "eagle",   "earth",   "echo",     "eclipse",  "elbow",   "elephant", "emerald",
    "engine",  "falcon",  "farmer",  "feather",  "fence",    "finger",  "firefly",  "flamingo",
    "flute",   "forest",  "fossil",  "fountain", "fox",      "frog",    "funnel",   "gadget",
    "galaxy",  "garden",  "gazelle", "giant",    "giraffe",  "glacier", "globe",    "goblin",
    "gondola", "goose",   "gorilla", "grape",    "guitar",   "hammer",  "harbor",   "hawk",
    "helmet",  "hippo",   "hockey",  "honey",    "hornet",   "hotel",   "husky",    "iceberg",
    "igloo",   "iguana",  "insect",  "island",   "ivory",    "jacket",  "jaguar",   "jelly",
    "jester",  "jigsaw",  "juggler", "jungle",   "kangaroo", "kayak",   "kettle",   "kitten",
    "kiwi",    "koala",   "ladder",  "lagoon",   "lantern",  "lemon",   "leopard",  "lettuce",
    "library", "lobster", "magnet",  "mailbox",  "mammoth",  "mango",   "marble",   "meadow",
    "mermaid", "meteor",  "monkey",  "muffin",   "napkin",   "needle",  "nickel",   "noodle",
    "nugget",  "nutmeg",  "oasis",   "oatmeal",  "ocean",    "octopus", "olive",    "onion",
    "opera",   "orange",  "orchid",  "ostrich",  "otter",    "oyster",  "palace",   "panda",
    "parrot",  "pasta",   "peanut",  "pebble",   "pelican",  "penguin", "pepper",   "piano",
    "pilot",   "pirate",  "planet",  "potato",   "pretzel",  "pumpkin", "puppet",   "puzzle",
    "quail",   "queen",   "quilt",   "rabbit",   "radio",    "rainbow", "raven",    "reindeer",
    "ribbon",  "riddle",  "river",   "robot",    "rocket",   "rooster", "ruby",     "rudder",
    "saddle",  "sailor",  "salmon",  "saucer",   "scarf",    "scooter", "seagull",  "shadow",
    "shovel",  "silver",  "skunk",   "sloth",    "snail",    "soccer",  "sofa",     "spider",
    "squid",   "statue",  "sugar",   "summit",   "sunset",   "swan",    "table",    "tadpole",
    "teapot",  "temple",  "tennis",  "tiger",    "toast",    "tomato",  "tornado",  "tractor",
    "trumpet", "tulip",   "turtle",  "umbrella", "unicorn",  "valley",  "vanilla",  "velvet",
    "vessel",  "village", "violin",  "volcano",  "voyage",   "vulture", "waffle",   "wagon",
    "walnut",  "warrior", "weasel",  "wheat",    "whistle",  "window",  "wizard",   "wolf",
    "wombat",  "wrench",  "yacht",   "yarn",     "yeti",     "yogurt",  "zebra",    "zipper",
};

void update(Botan::HashFunction& hash, std::string_view text) {
  hash.update(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

}  // namespace

wire::SasCommitment sas_commitment(const wire::SasNonce& nonce) {
  auto hash = Botan::HashFunction::create_or_throw("SHA-256");
  update(*hash, kCommitmentLabel);
  hash->update(nonce.data(), nonce.size());
  wire::SasCommitment out{};
  hash->final(out.data());
  return out;
}

Sas derive_sas(wire::ByteView hellos, const wire::SasNonce& nonce) {
  auto hash = Botan::HashFunction::create_or_throw("SHA-256");
  update(*hash, kSasLabel);
  hash->update(hellos.data(), hellos.size());
  hash->update(nonce.data(), nonce.size());
  const auto digest = hash->final();
  Sas out{};
  std::copy_n(digest.begin(), out.size(), out.begin());
  return out;
}

std::span<const std::string_view, kSasWordListSize> sas_word_list() {
  return kWords;
}

std::string sas_words(const Sas& sas) {
  std::string out;
  for (const auto byte : sas) {
    if (!out.empty()) {
      out += ' ';
    }
    out += kWords[byte];
  }
  return out;
}

}  // namespace cryptochat::crypto
