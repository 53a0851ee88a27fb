//go:build unix

package procgroup

import "syscall"

// Session starts a child as the leader of a new session (and group), so
// it outlives this process: the Dagger engine engine:start leaves running.
func Session() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// Signal signals every process of the group pgid leads.
func Signal(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }

// Kill signals process pid alone.
func Kill(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }

// Alive reports whether process pid exists (signal 0).
func Alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// Reap collects pid's exit status if it is a child of this process that
// exited, so Alive stops seeing it; otherwise it does nothing.
func Reap(pid int) {
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
}
