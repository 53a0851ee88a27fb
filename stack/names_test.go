package stack

import "testing"

// The names other packages ask a plan for must be the names it renders:
// each service with each port it is asked for, in some combination.
func TestNamesAreThePlansNames(t *testing.T) {
	asked := map[string][]string{
		ServiceDistributor:      {PortOTLPGRPC, PortOTLPHTTP, PortHTTP},
		ServiceQueryFrontend:    {PortHTTP, PortGRPC},
		ServiceQuerier:          {PortHTTP},
		ServiceCompactor:        {PortHTTP},
		ServiceBackendScheduler: {PortHTTP, PortGRPC},
		ServiceBackendWorker:    {PortHTTP},
		ServiceGenerator:        {PortHTTP},
		ServiceRedpanda:         {PortKafka},
		ServiceMinIO:            {PortMinIOAPI},
		ServicePrometheus:       {PortHTTP},
		ServiceGrafana:          {PortHTTP},
	}
	found := map[string]bool{}
	for _, prof := range Profiles {
		for _, c := range Matrix(prof) {
			p, err := Render(c, CheckOptions(LoopbackNetwork(20000, "/tmp/x"), ""))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Services {
				for _, port := range s.Ports {
					found[s.Name+"/"+port.Name] = true
				}
			}
		}
	}
	for svc, ports := range asked {
		for _, port := range ports {
			if !found[svc+"/"+port] {
				t.Errorf("no rendered plan has service %q with port %q", svc, port)
			}
		}
	}
}
