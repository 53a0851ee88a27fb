//go:build windows

package procgroup

import (
	"os"
	"syscall"
)

// Own: Windows has no process groups to signal; the child is started as
// it is and Signal reaches it alone.
func Own(bool) *syscall.SysProcAttr { return nil }

// Session: no sessions either; a child outlives this process anyway.
func Session() *syscall.SysProcAttr { return nil }

// Signal kills process pgid (Windows delivers no other signal to another
// process): its children are not reached.
func Signal(pgid int, sig syscall.Signal) error { return Kill(pgid, sig) }

// Kill kills process pid, whatever the signal.
func Kill(pid int, _ syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// Alive reports whether process pid can be opened: a process that is gone
// cannot, unless a handle to it is still open somewhere (this process's own
// exec.Cmd holds one until Wait), so a child that exited may still count.
func Alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

// Reap: Windows keeps no zombies to collect.
func Reap(int) {}
