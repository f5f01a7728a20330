-- Issue 18: a blob sent inline in a batch (at most 64 KiB) is kept in its row, committed with
-- the write that references it, instead of as one object per blob in the blob store (an inode
-- and a directory entry per receipt made a first push of thousands of small documents wait on
-- the file system). NULL: the blob is in the blob store, as every uploaded one.
ALTER TABLE blobs ADD COLUMN data BYTEA;
