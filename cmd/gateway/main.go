// Command gateway is the offline stand-in for Traefik: it routes requests by
// Host header to the stack's UIs, reading the same route file that Traefik's
// file provider reads (stack/…/gateway.yaml), so there is one routing table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// routeFile is the subset of Traefik's dynamic configuration we render.
type routeFile struct {
	HTTP struct {
		Routers map[string]struct {
			Rule    string `yaml:"rule"`
			Service string `yaml:"service"`
		} `yaml:"routers"`
		Services map[string]struct {
			LoadBalancer struct {
				Servers []struct {
					URL string `yaml:"url"`
				} `yaml:"servers"`
			} `yaml:"loadBalancer"`
		} `yaml:"services"`
	} `yaml:"http"`
}

var hostRule = regexp.MustCompile("^Host\\(`([^`]+)`\\)$")

// loadRoutes maps host names to backend URLs.
func loadRoutes(b []byte) (map[string]*url.URL, error) {
	var f routeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	routes := map[string]*url.URL{}
	for name, r := range f.HTTP.Routers {
		m := hostRule.FindStringSubmatch(r.Rule)
		if m == nil {
			return nil, fmt.Errorf("router %s: rule %q: only Host(`name`) is supported", name, r.Rule)
		}
		svc, ok := f.HTTP.Services[r.Service]
		if !ok || len(svc.LoadBalancer.Servers) == 0 {
			return nil, fmt.Errorf("router %s: service %q has no server", name, r.Service)
		}
		u, err := url.Parse(svc.LoadBalancer.Servers[0].URL)
		if err != nil {
			return nil, fmt.Errorf("router %s: %w", name, err)
		}
		routes[strings.ToLower(m[1])] = u
	}
	if len(routes) == 0 {
		return nil, errors.New("no routes")
	}
	return routes, nil
}

func handler(routes map[string]*url.URL) http.Handler {
	proxies := map[string]*httputil.ReverseProxy{}
	for host, u := range routes {
		proxies[host] = httputil.NewSingleHostReverseProxy(u)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.ToLower(r.Host)
		if i := strings.LastIndex(host, ":"); i >= 0 {
			host = host[:i]
		}
		if p, ok := proxies[host]; ok {
			p.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/ping" {
			fmt.Fprintln(w, "OK")
			return
		}
		var hosts []string
		for h := range routes {
			hosts = append(hosts, h)
		}
		sort.Strings(hosts)
		http.Error(w, fmt.Sprintf("no route for host %q; routed hosts: %s", host, strings.Join(hosts, ", ")), http.StatusNotFound)
	})
}

func main() {
	listen := flag.String("listen", ":80", "address to listen on")
	routesPath := flag.String("routes", "gateway.yaml", "route file (Traefik file-provider format)")
	flag.Parse()
	b, err := os.ReadFile(*routesPath)
	if err != nil {
		log.Fatalf("gateway: %v", err)
	}
	routes, err := loadRoutes(b)
	if err != nil {
		log.Fatalf("gateway: %s: %v", *routesPath, err)
	}
	srv := &http.Server{Addr: *listen, Handler: handler(routes), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("gateway listening on %s with %d routes", *listen, len(routes))
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("gateway: %v", err)
	}
}
