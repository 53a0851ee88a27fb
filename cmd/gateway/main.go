// Command gateway is the offline stand-in for Traefik: it routes requests by
// Host header to the stack's UIs and passes TCP entry points (Tempo's API,
// OTLP) through to their service, reading the same route file that
// Traefik's file provider reads (stack/…/gateway.yaml), so there is one
// routing table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
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

	"github.com/tempo-stack/tempo-stack/internal/netpipe"
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
	TCP struct {
		Routers map[string]struct {
			EntryPoints []string `yaml:"entryPoints"`
			Service     string   `yaml:"service"`
		} `yaml:"routers"`
		Services map[string]struct {
			LoadBalancer struct {
				Servers []struct {
					Address string `yaml:"address"`
				} `yaml:"servers"`
			} `yaml:"loadBalancer"`
		} `yaml:"services"`
	} `yaml:"tcp"`
}

// tcpBackends maps each TCP entry point to the address its router's
// service passes connections to.
func tcpBackends(b []byte) (map[string]string, error) {
	var f routeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for name, r := range f.TCP.Routers {
		svc, ok := f.TCP.Services[r.Service]
		if !ok || len(svc.LoadBalancer.Servers) == 0 {
			return nil, fmt.Errorf("tcp router %s: service %q has no server", name, r.Service)
		}
		for _, ep := range r.EntryPoints {
			out[ep] = svc.LoadBalancer.Servers[0].Address
		}
	}
	return out, nil
}

// entryPoints is the repeatable -tcp name=address flag.
type entryPoints map[string]string

func (e entryPoints) String() string { return fmt.Sprint(map[string]string(e)) }

func (e entryPoints) Set(v string) error {
	name, addr, ok := strings.Cut(v, "=")
	if !ok || name == "" || addr == "" {
		return fmt.Errorf("want name=address, such as tempo-api=:3200")
	}
	e[name] = addr
	return nil
}

// forward accepts connections on l and pipes each to backend until either
// side closes.
func forward(ctx context.Context, l net.Listener, backend string) {
	var d net.Dialer
	netpipe.Serve(l, func() (net.Conn, error) { return d.DialContext(ctx, "tcp", backend) },
		func(err error) { log.Printf("gateway: %s: %v", backend, err) })
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

// fromTraefik translates the subset of Traefik's static-configuration flags
// that the stack renders (entry points, the file provider, ping) into this
// gateway's flags, so an offline image can stand in for Traefik's under the
// very command a compose file gives Traefik. Other arguments pass unchanged.
func fromTraefik(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "--") || (!strings.ContainsRune(a, '.') && !strings.HasPrefix(a, "--ping")) {
			out = append(out, a)
			continue
		}
		key, val, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		switch {
		case strings.HasPrefix(key, "entrypoints.") && strings.HasSuffix(key, ".address"):
			name := strings.TrimSuffix(strings.TrimPrefix(key, "entrypoints."), ".address")
			if name == "web" {
				out = append(out, "-listen", val)
			} else {
				out = append(out, "-tcp", name+"="+val)
			}
		case key == "providers.file.filename":
			out = append(out, "-routes", val)
		case key == "ping" || key == "ping.entrypoint":
			// /ping always answers on the web entry point here.
		default:
			return nil, fmt.Errorf("traefik flag %s is not supported by this stand-in (supported: --entrypoints.<name>.address, --providers.file.filename, --ping, --ping.entrypoint)", a)
		}
	}
	return out, nil
}

func main() {
	args, err := fromTraefik(os.Args[1:])
	if err != nil {
		log.Fatalf("gateway: %v", err)
	}
	listen := flag.String("listen", ":80", "address to listen on")
	routesPath := flag.String("routes", "gateway.yaml", "route file (Traefik file-provider format)")
	tcp := entryPoints{}
	flag.Var(tcp, "tcp", "a TCP entry point, name=address (repeatable); the route file's tcp routers say where it goes")
	if err := flag.CommandLine.Parse(args); err != nil {
		log.Fatalf("gateway: %v", err)
	}
	b, err := os.ReadFile(*routesPath)
	if err != nil {
		log.Fatalf("gateway: %v", err)
	}
	routes, err := loadRoutes(b)
	if err != nil {
		log.Fatalf("gateway: %s: %v", *routesPath, err)
	}
	backends, err := tcpBackends(b)
	if err != nil {
		log.Fatalf("gateway: %s: %v", *routesPath, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for name, addr := range tcp {
		backend, ok := backends[name]
		if !ok {
			log.Fatalf("gateway: entry point %s: no tcp router of %s uses it", name, *routesPath)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			log.Fatalf("gateway: %v", err)
		}
		defer l.Close()
		log.Printf("gateway: %s on %s -> %s", name, addr, backend)
		go forward(ctx, l, backend)
	}
	srv := &http.Server{Addr: *listen, Handler: handler(routes), ReadHeaderTimeout: 10 * time.Second}
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
