// Command probe is a health check for FROM-scratch images, which have no
// curl: it GETs a URL, prints the answer, and exits 0 only on a 200. With
// -wait it retries until the deadline.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	wait := flag.Duration("wait", 0, "keep trying this long before failing")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: probe [-wait 30s] http://host:port/path")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(probe(flag.Arg(0), *wait, os.Stdout, os.Stderr))
}

func probe(url string, wait time.Duration, stdout, stderr io.Writer) int {
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(wait)
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				fmt.Fprintf(stdout, "%s", body)
				return 0
			}
			err = fmt.Errorf("%s: %s", resp.Status, body)
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(stderr, "probe %s: %v\n", url, err)
			return 1
		}
		time.Sleep(250 * time.Millisecond)
	}
}
