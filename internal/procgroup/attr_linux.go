//go:build linux

package procgroup

import "syscall"

// Own starts a child as the leader of a new process group; with
// dieWithParent the kernel kills it if this process dies first
// (Pdeathsig), the last line of defence when Stop never runs.
func Own(dieWithParent bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if dieWithParent {
		a.Pdeathsig = syscall.SIGKILL
	}
	return a
}
