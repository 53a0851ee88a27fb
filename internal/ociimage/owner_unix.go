//go:build unix

package ociimage

import (
	"os"
	"syscall"
)

// owner is what a layer keeps of a file beyond its mode: its owner, and
// its inode and link count, so hard links stay links.
type owner struct {
	uid, gid int
	links    uint64
	inode    uint64
}

func ownerOf(fi os.FileInfo) (owner, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}, false
	}
	return owner{uid: int(st.Uid), gid: int(st.Gid), links: uint64(st.Nlink), inode: uint64(st.Ino)}, true
}
