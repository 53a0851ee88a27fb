//go:build unix

package ociimage

import (
	"os"
	"syscall"
)

func ownerOf(fi os.FileInfo) (owner, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}, false
	}
	return owner{uid: int(st.Uid), gid: int(st.Gid), links: uint64(st.Nlink), inode: uint64(st.Ino)}, true
}
