// cow_vector: copies share one payload until one of them changes; every change (in place or by
// copying) gives the content a new payload_id, which caches of checks key on.
#include <catch2/catch.hpp>

#include <set>

#include "model/cow_vector.hpp"
#include "model/tree_block.hpp"

using fsrace::model::cow_vector;

TEST_CASE("cow_vector: copies share until changed, each change names new content", "[model][cow]") {
  cow_vector<int> a{1, 2, 3};
  const uint64_t id0 = a.payload_id();
  cow_vector<int> b = a;
  CHECK(b.shares_with(a));
  CHECK(b.payload_id() == id0);
  b.push_back(4);  // shared: b copies first
  CHECK_FALSE(b.shares_with(a));
  CHECK(a.view() == std::vector<int>{1, 2, 3});
  CHECK(b.view() == std::vector<int>{1, 2, 3, 4});
  CHECK(a.payload_id() == id0);
  std::set<uint64_t> ids{id0, b.payload_id()};
  // In place (b owns its payload now): still a new id for every change, whatever member makes it.
  b[0] = 7;
  CHECK(ids.insert(b.payload_id()).second);
  b.insert(b.begin() + 1, 9);
  CHECK(ids.insert(b.payload_id()).second);
  b.erase(b.begin());
  CHECK(ids.insert(b.payload_id()).second);
  b.resize(2);
  CHECK(ids.insert(b.payload_id()).second);
  b.assign(a.begin(), a.end());
  CHECK(ids.insert(b.payload_id()).second);
  CHECK(b == a);
  CHECK(b.view() == std::vector<int>{1, 2, 3});
  // An iterator into a shared payload names the same position in the holder's own copy.
  cow_vector<int> c = a;
  c.insert(static_cast<const cow_vector<int>&>(c).begin() + 1, 5);
  CHECK(c.view() == std::vector<int>{1, 5, 2, 3});
  CHECK(a.view() == std::vector<int>{1, 2, 3});
  cow_vector<int> empty;
  CHECK(empty.payload_id() == 0);
  CHECK(empty.empty());
}

TEST_CASE("tree_block copies share their items until one changes them", "[model][cow]") {
  using namespace fsrace::model;
  tree_block leaf;
  leaf.items.push_back({{256, BTRFS_INODE_ITEM_KEY, 0}, btrfs_inode_item{}});
  tree_block copy = leaf;
  copy.header.bytenr = 1 << 20;  // a relocation's COW changes only the header
  CHECK(copy.items.shares_with(leaf.items));
  copy.items.push_back({{257, BTRFS_INODE_ITEM_KEY, 0}, btrfs_inode_item{}});
  CHECK(leaf.items.size() == 1);
  CHECK(copy.items.size() == 2);
  CHECK(copy.items.payload_id() != leaf.items.payload_id());
}
