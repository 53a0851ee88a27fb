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
	// SecureJSONData holds the tenant header's value of a multi-tenant
	// stack's Tempo datasources: Grafana sends custom headers only from
	// there (httpHeaderValue<N>). A tenant ID is not a secret.
	SecureJSONData map[string]any `json:"secureJsonData,omitempty" yaml:"secureJsonData,omitempty"`
}

// TempoDatasourceUID is the UID of the Tempo datasource that reads as
// tenant: TempoUID on a single-tenant stack, tempo-<tenant> on a
// multi-tenant one.
func TempoDatasourceUID(c Combination, tenant string) string {
	if !c.MultiTenant() {
		return TempoUID
	}
	return TempoUID + "-" + tenant
}

// datasources are one Tempo datasource per tenant (the first the default),
// each sending its tenant's header on a multi-tenant stack, and Prometheus.
func (b *builder) datasources() []Datasource {
	p := b.plan
	c := p.Combination
	var out []Datasource
	for i, tenant := range c.TenantIDs() {
		d := Datasource{
			Name: "Tempo", Type: "tempo", UID: TempoDatasourceUID(c, tenant), Access: "proxy", IsDefault: i == 0,
			URL: "http://" + p.Addr("query-frontend", "http"),
			JSONData: map[string]any{
				"httpMethod":       "GET",
				"serviceMap":       map[string]any{"datasourceUid": PrometheusUID},
				"tracesToMetrics":  map[string]any{"datasourceUid": PrometheusUID},
				"nodeGraph":        map[string]any{"enabled": true},
				"search":           map[string]any{"hide": false},
				"streamingEnabled": map[string]any{"search": false},
			},
		}
		if c.MultiTenant() {
			d.Name = "Tempo (" + tenant + ")"
			d.JSONData["httpHeaderName1"] = TenantHeader
			d.SecureJSONData = map[string]any{"httpHeaderValue1": tenant}
		}
		out = append(out, d)
	}
	return append(out, Datasource{
		Name: "Prometheus", Type: "prometheus", UID: PrometheusUID, Access: "proxy",
		URL: "http://" + p.Addr("prometheus", "http"),
		JSONData: map[string]any{
			"httpMethod": "GET",
			"exemplarTraceIdDestinations": []any{
				map[string]any{"name": "trace_id", "datasourceUid": out[0].UID},
			},
		},
	})
}
