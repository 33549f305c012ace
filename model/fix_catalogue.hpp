// The fix catalogue's entries: one row per upstream fix, in a header so that fix ids in model code are
// checked at compile time (fix_id below). Add a fix here; model code then consults it by its id.
#pragma once
#include <array>
#include <cstddef>
#include <string_view>

#include "model/fix_info.hpp"

namespace fsrace::model {

inline constexpr std::array kFixes{
    fix_info{"04216820fe83", "Btrfs: fix race between fs trimming and block group remove/allocation", "4.0",
             "btrfs_trim_block_group freezes the block group (block_group->trimming, 6.1 frozen) and skips one "
             "already removed; btrfs_remove_block_group keeps the extent map of a frozen group, so its logical "
             "range and device extents are not reused until the trim unfreezes it. Before it a chunk allocated "
             "over a removed group's device extent while fitrim discarded that group's free space lost what was "
             "written there (zeroes after the discard)"},
    fix_info{"062c19e9dd69", "Btrfs: fix race when reusing stale extent buffers that leads to BUG_ON", "4.0",
             "find_extent_buffer takes and drops eb->refs_lock after its reference when the buffer is STALE, so it "
             "waits for a free_extent_buffer that saw refs 2 and is dropping both the holder's and the tree's "
             "references; before it an allocation reusing the bytenr of a tree block freed at once (its own "
             "transaction's, never written) could take the buffer, clear STALE and dirty it while the tree "
             "reference was dropped: the buffer was then freed dirty (BUG_ON(extent_buffer_under_io) in "
             "btrfs_release_extent_buffer_page)"},
    fix_info{"6ca070975671", "Btrfs: fix hang during inode eviction due to concurrent readahead", "4.1",
             "evict_inode_truncate_pages copies the first io tree state's start and end while it holds the tree's "
             "lock and locks and clears that range (6.1 inode.c:5461-5480). Before it the loop took a reference on "
             "the state, let go of the lock and read state->start and state->end when it called lock_extent and "
             "again when it called clear_extent_bit: readahead's end_io (end_bio_extent_readpage), unlocking its "
             "pages before the io tree ranges and running without an inode reference, could unlock the lower part "
             "of that state meanwhile (split_state moves the original's start up), so eviction cleared less than it "
             "had locked and waited on its own leftover locked range on the next pass (hang in btrfs_evict_inode, "
             "lock_extent_bits, wait_extent_bit)"},
    fix_info{"67c5e7d464bc", "Btrfs: fix race between balance and unused block group deletion", "4.2",
             "__btrfs_balance holds the cleaner's mutex (delete_unused_bgs_mutex, 6.1 reclaim_bgs_lock) from the "
             "chunk tree search of each chunk until btrfs_relocate_chunk returned; before it the cleaner and "
             "balance could both remove the same empty chunk and the second btrfs_remove_chunk found no extent "
             "map (ASSERT(0) in btrfs_remove_chunk)"},
    fix_info{"53e489bc8cd9", "Btrfs: check pending chunks when shrinking fs to avoid corruption", "4.2",
             "btrfs_shrink_device also accounts for chunks allocated in the running transaction, whose device "
             "extents are not in the device tree yet (6.1: first_pending_extent over the cut-off range, then a "
             "commit before the device tree search); before it such a chunk past the new size was not relocated and "
             "the shrink succeeded with a device extent beyond the device's end (the kernel refuses to mount: "
             "verify_one_dev_extent, \"beyond device boundary\")"},
    fix_info{"020d5b7366fc", "Btrfs: fix race between scrub and block group deletion", "4.4",
             "scrub_chunk: a missing extent map for a block group marked removed means it was deleted "
             "concurrently; skip it instead of returning -EINVAL"},
    fix_info{"758f2dfcf8a2", "Btrfs: fix scrub preventing unused block groups from being deleted", "4.4",
             "scrub_enumerate_chunks puts a block group back on fs_info->unused_bgs after scrubbing it when it is "
             "still unused, writable and not removed: the cleaner may have taken it off the list and skipped it "
             "because scrub had set it read-only"},
    fix_info{"bffcdf9da76b", "Btrfs: fix unprotected list move from unused_bgs to deleted_bgs list", "4.4",
             "btrfs_delete_unused_bgs, with -o discard, moves the removed block group from its bg_list to the "
             "transaction's deleted_bgs under fs_info->unused_bgs_lock with list_move; before it the move ran under "
             "deleted_bgs_lock only, after WARN_ON(!list_empty(&block_group->bg_list)), which fired when a scrub "
             "had put the group back on fs_info->unused_bgs (758f2dfcf8a2) after the cleaner took it off"},
    fix_info{"50460e37186a", "Btrfs: fix race when finishing dev replace leading to transaction abort", "4.4",
             "phase 2 of a chunk allocation reads each stripe's device and its devid under device_list_mutex "
             "(6.1: insert_dev_extents' stripe loop), which device replace finishing holds while it switches the "
             "chunk stripes from the source device object to the target (still devid BTRFS_DEV_REPLACE_DEVID, 0, "
             "and BTRFS_DEV_STATE_REPLACE_TGT) and then swaps the devids. Before it a pending chunk with a stripe "
             "on the source read the target in between: WARN_ON(REPLACE_TGT) in insert_dev_extent and a dev "
             "extent item of devid 0 (in 4.4 the device item update of devid 0 failed, -ENOENT, an abort)"},
    fix_info{"ade770294df2", "Btrfs: fix deadlock between direct IO reads and buffered writes", "4.5",
             "lock_extent_direct: a direct IO read that finds an ordered extent in its range waits for it only when "
             "it is a direct IO one (BTRFS_ORDERED_DIRECT); a buffered write's ordered extent makes it unlock and "
             "return -ENOTBLK, and the rest of the read goes through the page cache. Before it (4.4) the read "
             "waited for any ordered extent while fs/direct-io.c still held the previous mapping's range locked "
             "with its bio not yet submitted; a buffered write holding the pages of both ranges waited for that "
             "range, and the ordered extent's writeback for the write's page. 6.1 holds i_rwsem shared across a "
             "direct read (a buffered write takes it exclusively) and iomap submits each mapping's bio before "
             "mapping the next, so with the fix off on 6.1 the deadlock cannot form (dio-read-vs-buffered-write: "
             "clean both ways)"},
    fix_info{"578def7c50f2", "Btrfs: don't wait for unrelated IO to finish before relocation", "4.7",
             "relocation waits only for ordered extents inside the block group's range "
             "(btrfs_wait_ordered_roots with a range) instead of all of them"},
    fix_info{"9cfa3e34e20e", "Btrfs: don't do unnecessary delalloc flushes when relocating", "4.7",
             "relocation no longer flushes delalloc (btrfs_start_delalloc_roots) before waiting; it waits "
             "for block_group->reservations (extents reserved but without an ordered extent yet) to drop to 0"},
    fix_info{"f78c436c3931", "Btrfs: fix race between block group relocation and nocow writes", "4.7",
             "btrfs_inc_nocow_writers fails on a read-only block group; relocation waits for "
             "block_group->nocow_writers to drop to 0 after setting it read-only"},
    fix_info{"f0e9b7d64019", "Btrfs: fix race setting block group readonly during device replace", "4.7",
             "scrub_enumerate_chunks, for device replace, waits for reservations, nocow writers and ordered "
             "extents in the block group after btrfs_inc_block_group_ro, and commits the transaction if any"},
    fix_info{"1a1a8b732c7e", "Btrfs: fix race setting block group back to RW mode during device replace", "4.7",
             "scrub_enumerate_chunks, for device replace, moves dev_replace->cursor_left past the copied device "
             "extent before btrfs_dec_block_group_ro, so no write into the group lands between the group "
             "becoming writable and the cursor passing it (such a write was neither copied nor duplicated)"},
    fix_info{"57ba4cb85bff", "Btrfs: fix race between device replace and block group removal", "4.7",
             "btrfs_remove_chunk holds device_list_mutex around its dev extent loop (reading each stripe's "
             "device, btrfs_free_dev_extent, the device's bytes_used). Device replace finishing holds it while "
             "it switches the chunk stripes from the source device object to the target and gives the target "
             "the source's devid and the source BTRFS_DEV_REPLACE_DEVID (0). Before it a removal that read a "
             "stripe's device (the source) before finishing searched the device tree with devid 0: no dev "
             "extent, btrfs_free_dev_extent returns 1 and the transaction aborts in btrfs_remove_chunk (or the "
             "source's bytes_used drops instead of the target's)"},
    fix_info{"22ab04e814f4", "Btrfs: fix race between device replace and chunk allocation", "4.7",
             "btrfs_map_block duplicates every write to the source device to the replace target while a replace "
             "runs, instead of only writes below dev_replace->cursor_left: writes into block groups the copy has "
             "not reached, has already passed without seeing their extents, or that were allocated during the "
             "replace (after the device tree commit root the copy walks) reach the target"},
    fix_info{"8ecebf4d767e", "Btrfs: fix unexpected failure of nocow buffered writes after snapshotting when low on space",
             "4.19",
             "writeback falls back to COW for a root being snapshotted only once root->snapshot_force_cow is raised, "
             "which snapshot creation does after starting the flush of the root's delalloc; before it the test was "
             "will_be_snapshotted (6.1's snapshot_lock readers), raised before that flush, so the snapshot's own "
             "flush COWed nocow buffered writes that had reserved no data space (the data space was full): their "
             "writeback failed with -ENOSPC and the data, acknowledged to user space, was lost"},
    fix_info{"d189dd70e255", "btrfs: fix use-after-free due to race between replace start and cancel", "5.0",
             "btrfs_dev_replace_cancel of a started replace only cancels its copy (btrfs_scrub_cancel) and "
             "returns BTRFS_IOCTL_DEV_REPLACE_RESULT_NOT_STARTED when no copy runs yet; the replace's finishing "
             "removes the target after a canceled copy. Before it the cancel set the state CANCELED, cleared "
             "dev_replace->tgtdev, ignored btrfs_scrub_cancel's -ENOTCONN, committed and freed the target itself, "
             "while the replace thread, between setting STARTED and its copy raising scrubs_running, went on to "
             "copy to it: WARN_ON(!dev_replace.tgtdev) in scrub_setup_ctx and a NULL dereference, or writes "
             "through sctx->wr_tgtdev to the freed device"},
    fix_info{"d8b552424210", "Btrfs: fix race between reflink/dedupe and relocation", "5.1",
             "clone (btrfs_clone_files) and dedupe (btrfs_extent_same_range) lock the source range in the io tree "
             "as well as the destination (btrfs_double_extent_lock), so relocation's replace_file_extents, whose "
             "try_lock_extent of the source's range then fails, cannot repoint the source's file extent item and "
             "drop the old extent's reference between the clone reading that item and adding the destination's "
             "reference; before it only the destination range was locked, and the clone's reference to an extent "
             "relocation had freed failed when run (WARN in lookup_inline_extent_backref, 'extent item not found "
             "for insert', transaction abort -EIO)"},
    fix_info{"4ea748e1d2c9", "Btrfs: fix deadlock between clone/dedupe and rename", "5.1",
             "btrfs_remap_file_range locks the two inodes with lock_two_nondirectories (the lower address first), "
             "the order vfs_rename uses for a source and a target; before it btrfs_double_inode_lock took the "
             "higher address first, so a clone or dedupe between two files and a rename of one over the other "
             "could each hold one inode's i_rwsem and wait for the other's: deadlock"},
    fix_info{"8eaf40c0e24e", "Btrfs: fix race between block group removal and block group allocation", "5.2",
             "btrfs_remove_block_group deletes the block group item before it removes the chunk's extent map; "
             "before it the extent map went first, so a chunk allocated meanwhile got the same logical start "
             "(find_next_chunk) and its pending block group item insert failed with -EEXIST (transaction abort)"},
    fix_info{"62d54f3a7fa2", "Btrfs: fix race between send and deduplication that lead to failures and crashes", "5.2",
             "send and dedupe exclude each other per root under root->root_item_lock: btrfs_extent_same returns "
             "-EAGAIN while the destination root has send_in_progress, else counts dedupe_in_progress; "
             "btrfs_ioctl_send returns -EAGAIN while its (read-only) send root or its parent root has "
             "dedupe_in_progress. Before it a dedupe could change a snapshot send was walking"},
    fix_info{"debd1c065d20", "btrfs: Ensure replaced device doesn't have pending chunk allocation", "5.2",
             "device replace finishing commits the transaction again until, under chunk_mutex, the source device "
             "is on no transaction's dev_update_list (post_commit_list: chunk allocation and removal and resize "
             "put a device there; the commit's btrfs_commit_device_sizes takes it off after phase 2 of every "
             "chunk of the transaction), so no chunk on the source has items pending while finishing swaps the "
             "devices. Before it finishing committed once, and a chunk allocated on the source after that commit could "
             "still be pending (50460e37186a's window, which device_list_mutex keeps closed; the "
             "ASSERT(list_empty(&src_device->post_commit_list)) this fix removed came with bbbf7243d62d in "
             "5.2-rc1 and was in no release, so it is not modelled)"},
    fix_info{"9e967495e0e0", "Btrfs: prevent send failures and crashes due to concurrent relocation", "5.3",
             "send and balance exclude each other: fs_info->send_in_progress under balance_mutex; send gets "
             "-EAGAIN while BTRFS_FS_BALANCE_RUNNING, balance gets -EAGAIN while sends run"},
    fix_info{"de7999afedff", "Btrfs: fix infinite loop during nocow writeback due to race", "5.5",
             "run_delalloc_nocow skips a file extent item that ends at or before cur_offset (before it: at or before "
             "the start of the range). btrfs_next_leaf lets go of the path at the end of a leaf and searches again "
             "from the leaf's last key; when the completion of another range's ordered extent split that prealloc "
             "item meanwhile (btrfs_mark_extent_written), the search lands on its tail, already written and ending "
             "at cur_offset: a 0-byte nocow range, create_io_em drops the extent maps of [cur_offset, cur_offset - 1] "
             "(WARN_ON(end < start) in btrfs_drop_extent_map_range, 5.4's btrfs_drop_extent_cache) and then loops on "
             "-EEXIST forever"},
    fix_info{"28553fa992cb", "Btrfs: fix race between shrinking truncate and fiemap", "5.6",
             "a shrinking truncate locks the io tree range from the new size's sector to the end around dropping "
             "its extent maps and file extent items (6.1: btrfs_truncate, around btrfs_drop_extent_map_range and "
             "btrfs_truncate_inode_items). Before it, fiemap (5.5: the range locked, no inode lock) could cache "
             "an extent map of a prealloc extent the truncate was deleting: stale fiemap answers, hole items "
             "missing once the file grew. 6.1's fiemap holds i_rwsem shared and caches no extent maps, so with "
             "the fix off on 6.1 the race cannot happen (fiemap-vs-shrinking-truncate: clean both ways)"},
    fix_info{"6bf9cd2eed9a", "btrfs: fix fatal extent_buffer readahead vs releasepage race", "5.8",
             "read_extent_buffer_pages calls check_buffer_tree_ref after setting io_pages, so releasepage "
             "cannot drop the tree reference of a buffer about to be under IO"},
    fix_info{"2473d24f2b77", "btrfs: fix a race between scrub and block group removal/allocation", "5.8",
             "scrub_enumerate_chunks freezes the block group it scrubs (btrfs_freeze_block_group, then "
             "block_group->trimming) unless it is already removed, until it is done with it, and scrub_stripe "
             "stops when the group was removed meanwhile; before it a group removed under scrub lost its extent "
             "map at once, a new chunk could take its logical start and device extents, and scrub read the new "
             "chunk's extents through the old mapping: checksum errors on a healthy filesystem"},
    fix_info{"ffcb9d44572a", "btrfs: fix race between block group removal and block group creation", "5.8",
             "btrfs_remove_block_group deletes the block group item before it sets BLOCK_GROUP_FLAG_REMOVED; "
             "before it, a group frozen by fitrim was flagged removed with its extent map kept, the trim's "
             "unfreeze removed the map, and a chunk allocated at the same logical start failed to insert its "
             "item (-EEXIST, transaction abort) before the remover deleted the old one"},
    fix_info{"467dc47ea99c", "btrfs: fix space_info bytes_may_use underflow after nocow buffered write", "5.8",
             "fallback_to_cow adds the EXTENT_NORESERVE bytes of the range (a nocow buffered write admitted without a "
             "data reservation by btrfs_check_nocow_lock) to the data space_info's bytes_may_use and clears the bit "
             "before cow_file_range; before it, when scrub or balance had made the extent's block group read-only "
             "and writeback fell back to COW, btrfs_add_reserved_bytes took off bytes_may_use what was never added: "
             "WARN in btrfs_space_info_update_bytes_may_use (underflow)"},
    fix_info{"1afc708dcae4", "btrfs: fix relocation failure due to race with fallocate", "5.10",
             "__btrfs_prealloc_file_range decrements the block group's reservations counter "
             "(btrfs_dec_block_group_reservations) only after insert_prealloc_file_extent inserted the prealloc "
             "file extent item, in the transaction it starts after btrfs_reserve_extent (the order since "
             "8fccebfa534c); before it the counter dropped right after the reservation, so relocation's "
             "btrfs_wait_block_group_reservations did not wait for an extent reserved just before the group went "
             "read-only, nor its commit for the transaction not yet started: MOVE_DATA_EXTENTS missed the extent and "
             "UPDATE_DATA_PTRS found it with no copy, get_new_location -ENOENT in replace_file_extents during a "
             "reloc tree leaf COW, transaction abort in __btrfs_cow_block"},
    fix_info{"2766ff61762c", "btrfs: update the number of bytes used by an inode atomically", "5.11",
             "btrfs_drop_extents only counts the allocated bytes it drops (drop_args.bytes_found) and the callers "
             "that replace extents (insert_reserved_file_extent, btrfs_insert_replace_extent for clone and dedupe, "
             "a hole punch's drop) change the inode's bytes once, under inode->lock, after the insert "
             "(btrfs_update_inode_bytes); before it the drop took each extent's bytes off (inode_sub_bytes) and the "
             "insert added the new extent's after further tree operations, so a concurrent stat(2) "
             "(btrfs_getattr, which reads them under inode->lock) saw too few blocks: 0 for a whole-file "
             "overwrite"},
    fix_info{"eafa4fd0ad06", "btrfs: fix exhaustion of the system chunk array due to concurrent allocations", "5.13",
             "check_system_chunk: when the system space info lacks room and other handles of the transaction hold "
             "chunk space reservations (transaction->chunk_bytes_reserved beyond this handle's), drop chunk_mutex and "
             "wait on transaction->chunk_reserve_wait until they released at least this reservation's size, then "
             "check again, instead of allocating a system chunk at once. Before it every task that found the system "
             "space reserved by others allocated its own system chunk, and phase 2 (btrfs_create_pending_block_groups) "
             "overflowed the super block's sys_chunk_array: -EFBIG, transaction abort. Reverted by 1cb3db1cf383"},
    fix_info{"1cb3db1cf383", "btrfs: fix deadlock with concurrent chunk allocations involving system chunks", "5.14",
             "reverts eafa4fd0ad06's wait in check_system_chunk: a task waiting there holds its space_info->chunk_alloc, "
             "so a handle that reserved system space and allocates another chunk of that type before its phase 2 loops "
             "in btrfs_chunk_alloc forever (deadlock). Off (with eafa4fd0ad06 on, as 5.13) the wait is there"},
    fix_info{"79bd37120b14", "btrfs: rework chunk allocation to avoid exhaustion of the system chunk array", "5.14",
             "phase 1 of chunk allocation (do_chunk_alloc, under chunk_mutex) updates the device items and inserts the "
             "chunk item (btrfs_chunk_alloc_add_chunk_item, and btrfs_add_system_chunk for a system chunk) and releases "
             "the chunk space reservation at once; btrfs_remove_chunk holds chunk_mutex from check_system_chunk across "
             "its chunk tree updates and releases the reservation after them. Before it the chunk item, device items "
             "and sys_chunk_array entry were written in phase 2 (btrfs_create_pending_block_groups) and the "
             "reservation was held until then (the handle's end), and btrfs_remove_chunk held chunk_mutex only around "
             "check_system_chunk"},
    fix_info{"1cea5cf0e664", "btrfs: ensure relocation never runs while we have send operations running", "5.14",
             "the send/relocation exclusion covers every relocation (balance, device shrink and remove), "
             "checked in btrfs_relocate_chunk"},
    fix_info{"2bb2e00ed978", "btrfs: fix deadlock between chunk allocation and chunk btree modifications", "5.16",
             "btrfs_chunk_alloc refuses SYSTEM chunks (-ENOSPC): system chunks come only from check_system_chunk / "
             "btrfs_reserve_chunk_metadata (reserve_chunk_space, under chunk_mutex), and relocation reserves chunk "
             "space (btrfs_reserve_chunk_metadata) before COWing a chunk tree block. Before it a chunk tree COW that "
             "found no system space allocated a system chunk through find_free_extent's btrfs_chunk_alloc. Toggle only: "
             "the deadlock needs per-block chunk tree locks, which the model does not have"},
    fix_info{"d96b34248c2f", "btrfs: make send work with concurrent block group relocation", "5.17",
             "send and relocation run concurrently again: relocation records fs_info->last_reloc_trans; send, "
             "under commit_root_sem, notices a relocation committed since it started and restarts its tree "
             "search from the last key it processed, re-reading the new commit roots"},
    fix_info{"5fd76bf31ccf", "btrfs: fix relocation crash due to premature return from btrfs_commit_transaction()", "5.17",
             "wait_for_commit for TRANS_STATE_COMPLETED also waits for every earlier transaction to complete: an "
             "fsync's commit (trans->in_fsync) waits only for the previous transaction's SUPER_COMMITTED, so a "
             "commit that waited for it returned before the previous transaction unpinned its extents "
             "(relocation: WARN_ON(pinned > 0) in btrfs_relocate_block_group, then BUG_ON(!cache) in "
             "unpin_extent_range)"},
    fix_info{"a692e13d87cb", "btrfs: fix assertion failure during scrub due to block group reallocation", "5.18",
             "scrub_enumerate_chunks skips a block group that starts below the chunk offset of the device extent "
             "found in the commit root (a group allocated in this transaction over the logical range of one "
             "removed in it); before it, ASSERT(cache->start == chunk_offset) failed before scrub_chunk"},
    fix_info{"d4597898ba7b", "btrfs: fix race between reflinking and ordered extent completion", "5.19",
             "btrfs_clone skips file extent items ending at or before the end of the last item it processed "
             "(prev_extent_end) and searches on from there; before it, it skipped only items ending before the "
             "range and searched from the end of the last item, so when btrfs_next_leaf re-searched after an "
             "ordered extent completion outside the range split that item, the tail was cloned again and "
             "btrfs_replace_file_extents got an empty range: -EINVAL to user space"},
    fix_info{"9e769bd7e5db", "btrfs: unlock locked extent area if we have contention", "6.1",
             "lock_extent, finding part of its range locked (__set_extent_bit -EEXIST at failed_start), clears what "
             "it locked below failed_start before it waits (wait_extent_bit) and retries from the start: it holds "
             "nothing while it sleeps. Before it the part below failed_start stayed locked during the wait and the "
             "lock went on from failed_start, so a waiter held a range that others (an ordered extent's completion) "
             "needed while it waited for a holder that could be waiting for them (fallocate for a flushoncommit "
             "commit, the commit for that ordered extent): deadlock"},
    fix_info{"b19c98f237cd", "btrfs: fix race between balance and cancel/pause", "6.5",
             "btrfs_balance cleans up its state (reset_balance_state, btrfs_exclop_finish) unless it really paused "
             "(-ECANCELED with a pause request); before it, it cleaned up only on an error other than -ECANCELED "
             "and -ENOSPC or when balance_need_close() (a cancel request, or neither request), so a balance that "
             "finished while a late pause request was pending kept balance_ctl and the exclusive operation "
             "BALANCE, and the next resume hit ASSERT(exclusive_operation == BTRFS_EXCLOP_BALANCE_PAUSED) in "
             "btrfs_exclop_balance", "6.1.42"},
    fix_info{"29eefa6d0d07", "btrfs: fix BUG_ON condition in btrfs_cancel_balance", "6.5",
             "btrfs_cancel_balance ends with ASSERT(!BTRFS_FS_BALANCE_RUNNING); before it, with "
             "BUG_ON(balance_ctl || BTRFS_FS_BALANCE_RUNNING), which fires since b19c98f237cd when a pause and a "
             "cancel both reach a running balance: it stops paused and keeps balance_ctl", "6.1.47"},
    fix_info{"8e7f82deb0c0", "btrfs: fix race between reading a directory and adding entries to it", "6.6",
             "btrfs_get_dir_last_index (opendir) holds the directory's inode lock (btrfs_inode_lock) while it loads "
             "index_cnt from the last DIR_INDEX key (when it is (u64)-1) and reads it; before it opendir did so "
             "without the lock while a create (under the lock) loaded it too and took the next index: opendir then "
             "stored the stale count and the next create reused that index (-EEXIST from "
             "btrfs_insert_delayed_dir_index, transaction aborted in btrfs_create_new_inode)", "6.1.76"},
    fix_info{"7081929ab257", "btrfs: don't abort filesystem when attempting to snapshot deleted subvolume", "6.8",
             "create_snapshot, under subvol_sem, refuses a source whose root item has refs 0 (a subvolume deleted "
             "while the caller held it open) with -ENOENT; before it the snapshot's root item, a copy of the "
             "source's, had refs 0 too, btrfs_get_new_fs_root then found no live root and create_pending_snapshot "
             "aborted the transaction (-ENOENT)", "6.1.76"},
    fix_info{"3324d0547861", "btrfs: avoid copying BTRFS_ROOT_SUBVOL_DEAD flag to snapshot of subvolume being deleted",
             "6.8",
             "btrfs_delete_subvolume takes subvol_sem for writing before it sets BTRFS_ROOT_SUBVOL_DEAD, so the flag "
             "and refs 0 change together for snapshot creation (which holds it for reading); before it the flag "
             "was set first, and a snapshot created meanwhile copied it with the root item: send of that snapshot "
             "returned -EPERM (btrfs_root_dead)", "6.1.76"},
    fix_info{"978b63f7464a", "btrfs: fix race when detecting delalloc ranges during fiemap", "6.9",
             "extent_fiemap locks the whole range in the io tree for its walk of the file extent items, looks "
             "delalloc up in holes and prealloc extents under that lock, and keeps the extents it finds in a "
             "buffer of one page (128 entries) that it copies out after unlocking; when the buffer is full it "
             "unlocks, copies, and searches again from the end of the last buffered extent. Before it (6.1.192, "
             "which does not carry it: a 6.1.y backport was posted in 2025 but is not in 6.1.192's code) only each "
             "hole's delalloc lookup ran under the range lock, on a cloned leaf: delalloc flushed and its ordered "
             "extent completed after the clone was taken left the hole without delalloc and without the new item, "
             "and fiemap reported a hole over data"},
    fix_info{"excl_op", "review alternative to 9e967495e0e0: take BTRFS_FS_EXCL_OP for send (not merged)", "99",
             "send takes the exclusive-operation bit like balance, device add/remove/replace; each excludes the "
             "others with -EBUSY (BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS)"},
};
static_assert(kFixes.size() <= 64);

}  // namespace fsrace::model
