//go:build !unix

package ociimage

import "os"

// ownerOf: no owners or inodes here; a layer's files are root's (the
// offline images are built on Linux, where root filesystems come from).
func ownerOf(os.FileInfo) (owner, bool) { return owner{}, false }
