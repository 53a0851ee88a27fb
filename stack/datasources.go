package stack

// Datasource is a Grafana datasource of the stack. Compose provisions them
// from a file; the runners provision the same ones through Grafana's API.
type Datasource struct {
	Name      string         `json:"name" yaml:"name"`
	Type      string         `json:"type" yaml:"type"`
	UID       string         `json:"uid" yaml:"uid"`
	Access    string         `json:"access" yaml:"access"`
	URL       string         `json:"url" yaml:"url"`
	IsDefault bool           `json:"isDefault" yaml:"isDefault"`
	JSONData  map[string]any `json:"jsonData" yaml:"jsonData"`
}

func (b *builder) datasources() []Datasource {
	p := b.plan
	return []Datasource{
		{
			Name: "Tempo", Type: "tempo", UID: TempoUID, Access: "proxy", IsDefault: true,
			URL: "http://" + p.Addr("query-frontend", "http"),
			JSONData: map[string]any{
				"httpMethod":       "GET",
				"serviceMap":       map[string]any{"datasourceUid": PrometheusUID},
				"tracesToMetrics":  map[string]any{"datasourceUid": PrometheusUID},
				"nodeGraph":        map[string]any{"enabled": true},
				"search":           map[string]any{"hide": false},
				"streamingEnabled": map[string]any{"search": false},
			},
		},
		{
			Name: "Prometheus", Type: "prometheus", UID: PrometheusUID, Access: "proxy",
			URL: "http://" + p.Addr("prometheus", "http"),
			JSONData: map[string]any{
				"httpMethod": "GET",
				"exemplarTraceIdDestinations": []any{
					map[string]any{"name": "trace_id", "datasourceUid": TempoUID},
				},
			},
		},
	}
}
