package composerun

import "testing"

func TestParseInspect(t *testing.T) {
	raw := `[{"RestartCount":2,"Config":{"Labels":{"com.docker.compose.service":"ingester-0"}},
	  "State":{"Status":"running","ExitCode":0,"Health":{"Status":"healthy"}},
	  "NetworkSettings":{"Ports":{"3200/tcp":[{"HostIp":"127.0.0.1","HostPort":"32770"}],"9095/tcp":null},
	    "Networks":{"p_default":{"IPAddress":"172.18.0.5"}}}},
	 {"RestartCount":0,"Config":{"Labels":{"com.docker.compose.service":"bucket-init"}},
	  "State":{"Status":"exited","ExitCode":0},"NetworkSettings":{"Ports":{},"Networks":{}}}]`
	cs, err := parseInspect([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	i := cs["ingester-0"]
	if i.Health != "healthy" || i.Restarts != 2 || i.IP != "172.18.0.5" || i.Published[3200] != "127.0.0.1:32770" || len(i.Published) != 1 {
		t.Fatalf("ingester-0: %+v", i)
	}
	if b := cs["bucket-init"]; b.Status != "exited" || b.Health != "" {
		t.Fatalf("bucket-init: %+v", b)
	}
}
