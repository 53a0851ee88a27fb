package stack

import "encoding/json"

// MatrixEntry is one CI matrix job: the combination's id (what
// `mage verify:mode` takes) and its parts, for job names and filters.
type MatrixEntry struct {
	ID               string  `json:"id"`
	Mode             Mode    `json:"mode"`
	Storage          Storage `json:"storage"`
	MetricsGenerator bool    `json:"metricsGenerator"`
	Profile          Profile `json:"profile"`
}

// MatrixJSON is Matrix(profile) as a GitHub Actions matrix
// ({"include": [...]}): the one list CI jobs and verify:all share.
func MatrixJSON(profile Profile) ([]byte, error) {
	var m struct {
		Include []MatrixEntry `json:"include"`
	}
	for _, c := range Matrix(profile) {
		m.Include = append(m.Include, MatrixEntry{ID: c.ID(), Mode: c.Mode, Storage: c.Storage, MetricsGenerator: c.MetricsGenerator, Profile: c.Profile})
	}
	return json.Marshal(m)
}
