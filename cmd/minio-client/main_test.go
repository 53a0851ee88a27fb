package main

import (
	"io"
	"strings"
	"testing"
)

func TestAliasSetThenClient(t *testing.T) {
	t.Setenv("MC_CONFIG_DIR", t.TempDir())
	if err := run([]string{"alias", "set", "local", "http://minio:9000", "ak", "sk"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	cl, err := client("local")
	if err != nil {
		t.Fatal(err)
	}
	if cl.EndpointURL().Host != "minio:9000" {
		t.Fatalf("endpoint %s", cl.EndpointURL())
	}
	if _, err := client("other"); err == nil || !strings.Contains(err.Error(), "mc alias set other") {
		t.Fatalf("unknown alias: %v", err)
	}
	t.Setenv("MC_HOST_env", "http://ak:sk@minio:9000")
	if cl, err := client("env"); err != nil || cl.EndpointURL().Host != "minio:9000" {
		t.Fatalf("MC_HOST_env: %v", err)
	}
}

func TestRejectsWhatItDoesNotDo(t *testing.T) {
	for _, args := range [][]string{{}, {"cp", "a", "b"}, {"alias", "rm", "x"}, {"mb"}} {
		if err := run(args, io.Discard); err == nil {
			t.Errorf("mc %q succeeded", args)
		}
	}
}
