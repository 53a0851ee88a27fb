// Package hygiene holds the repository's own rules as tests: no built
// executable is committed, and no AGPL program's code enters tempo-stack's
// module graphs (Tempo, Grafana and MinIO run only as separate, unmodified
// programs: the pinned upstream images or the offline builds in the tool
// cache).
package hygiene
