// send_iterate_items: a commit-root iteration built on send_search_for_read / send_next_item.
#pragma once
#include "model/maint/send_ctx.hpp"

namespace fsrace::model {

template <class Fn>
int send_iterate_items(send_ctx& sctx, btrfs_root& root, const btrfs_key& from, Fn&& fn) {
  send_path sp;
  int ret = send_search_for_read(sctx, root, from, sp);
  while (ret == 0) {  // bounded by the tree's items (the step limit guards a tree changing under us)
    btrfs_item item;
    ret = send_path_item(sctx, sp, &item);
    if (ret) return ret;
    if (!fn(item)) return 0;
    ret = send_next_item(sctx, root, sp);
  }
  return ret < 0 ? ret : 0;
}

}  // namespace fsrace::model
