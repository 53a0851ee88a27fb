// Package procgroup starts a child in a process group of its own and
// signals the whole group: the host-process runners (localrun's services,
// the dockerd the compose targets start) stop what a child forked with
// it. The calls differ by system, so they live here, once.
package procgroup
