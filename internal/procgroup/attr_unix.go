//go:build unix && !linux

package procgroup

import "syscall"

// Own starts a child as the leader of a new process group. Only Linux
// has Pdeathsig: here a child outlives a parent that dies without
// stopping it, whatever dieWithParent says.
func Own(dieWithParent bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
