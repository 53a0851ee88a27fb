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

// Alive reports whether process pid exists (Windows opens no handle to a
// process that is gone).
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
