// Package images builds the container images of the offline stack from the
// tool cache, with no registry and no container runtime: one tarball per
// kind that Dagger's Container.import and `docker load` both read, named
// stack.OfflineImage(kind) (Tempo: one image per release built here,
// stack.OfflineTempoImage). Static binaries go on scratch (with a static
// busybox for the shell that compose entrypoints use); dynamic ones
// (Grafana's cgo server, Debian's Prometheus) on a debootstrap root
// filesystem.
package images

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/debian"
	"github.com/tempo-stack/tempo-stack/internal/ociimage"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Base is what an image starts from.
type Base string

const (
	// Scratch is an empty root with a static busybox, /etc/passwd and /tmp.
	Scratch Base = "scratch"
	// Debian is a debootstrap minbase of Debian with ca-certificates.
	Debian Base = "debian"
)

// File is a file or directory of the tool cache copied into the image.
type File struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
	Dir bool   `json:"dir,omitempty"`
	// Optional files are copied when present (Grafana's public/ exists only
	// where its front end was built).
	Optional bool `json:"optional,omitempty"`
}

// Spec is one image.
type Spec struct {
	Kind stack.Kind `json:"kind"`
	// Image is its reference; its tarball is stack.OfflineTarball(Image).
	Image  string          `json:"image"`
	Base   Base            `json:"base"`
	Files  []File          `json:"files"`
	Config ociimage.Config `json:"config"`
	// Links are symbolic links made in the image, path to target: a
	// stand-in binary under the name an upstream image's commands call.
	Links map[string]string `json:"links,omitempty"`
}

// Ref is the image's reference, what stack plans name for offline images.
func (s Spec) Ref() string { return s.Image }

// Name is what mage images:build and messages call the image: its
// tarball's name (tempo-2.9, minio).
func (s Spec) Name() string { return strings.TrimSuffix(stack.OfflineTarball(s.Image), ".tar") }

// busyboxApplets are linked in scratch images: the shell and tools compose
// entrypoints and a user's `docker exec` need.
var busyboxApplets = []string{"sh", "mkdir", "ls", "cat", "cp", "rm", "wget", "env"}

// recipe changes when how images are laid out changes, rebuilding them all.
const recipe = 3

const pathEnv = "PATH=/usr/local/bin:/usr/bin:/bin"

// Specs are the images of every kind the offline stack runs, from the tool
// cache tc. Entrypoints are the service's binary, as for the upstream
// images: plans give only arguments.
func Specs(tc *toolchain.Toolchain) []Spec {
	scratch := func(k stack.Kind, bin string) Spec {
		return Spec{Kind: k, Image: stack.OfflineImage(k), Base: Scratch,
			Files:  []File{{Src: tc.Bin(bin), Dst: "/usr/bin/" + bin}, {Src: tc.Bin("probe"), Dst: "/usr/bin/probe"}},
			Config: ociimage.Config{Entrypoint: []string{"/usr/bin/" + bin}, Env: []string{pathEnv}, WorkingDir: "/"},
		}
	}
	home := "/usr/share/grafana"
	kafka := scratch(stack.KindKafka, "kafka-broker")
	// Compose files seed the topic with `rpk topic create`, as with
	// Redpanda's image; the broker answers as rpk too.
	kafka.Links = map[string]string{"/usr/bin/rpk": "kafka-broker"}
	mc := scratch(stack.KindMinIOClient, "minio-client")
	mc.Files[0].Dst = "/usr/bin/mc"
	mc.Config.Entrypoint = []string{"/usr/bin/mc"}
	var tempo []Spec
	for _, p := range stack.OfflineProfiles() {
		t := scratch(stack.KindTempo, stack.TempoBinary(p))
		t.Image = stack.OfflineTempoImage(p)
		// Every Tempo image has its release's build as /usr/bin/tempo.
		t.Files[0].Dst = "/usr/bin/tempo"
		t.Config.Entrypoint = []string{"/usr/bin/tempo"}
		tempo = append(tempo, t)
	}
	return append(tempo,
		scratch(stack.KindMinIO, "minio"),
		kafka,
		scratch(stack.KindGateway, "gateway"),
		mc,
		// The scratch base alone: its static busybox is what compose
		// healthchecks run in images that have no shell (Tempo's).
		Spec{Kind: stack.KindBusybox, Image: stack.OfflineImage(stack.KindBusybox), Base: Scratch, Config: ociimage.Config{Cmd: []string{"sh"}, Env: []string{pathEnv}, WorkingDir: "/"}},
		Spec{Kind: stack.KindPrometheus, Image: stack.OfflineImage(stack.KindPrometheus), Base: Debian,
			Files:  []File{{Src: tc.Bin("prometheus"), Dst: "/usr/bin/prometheus"}, {Src: tc.Bin("probe"), Dst: "/usr/bin/probe"}},
			Config: ociimage.Config{Entrypoint: []string{"/usr/bin/prometheus"}, Env: []string{pathEnv}, WorkingDir: "/"},
		},
		Spec{Kind: stack.KindGrafana, Image: stack.OfflineImage(stack.KindGrafana), Base: Debian,
			Files: []File{
				{Src: tc.Bin("grafana"), Dst: "/usr/bin/grafana"},
				{Src: tc.Bin("probe"), Dst: "/usr/bin/probe"},
				{Src: filepath.Join(tc.GrafanaHome(), "conf"), Dst: home + "/conf", Dir: true},
				{Src: filepath.Join(tc.GrafanaHome(), "public"), Dst: home + "/public", Dir: true, Optional: true},
			},
			Config: ociimage.Config{Entrypoint: []string{"/usr/bin/grafana"}, Cmd: []string{"server", "--homepath", home}, Env: []string{pathEnv}, WorkingDir: home},
		},
	)
}

// Builder writes images into Dir.
type Builder struct {
	Dir string // where <kind>.tar and its stamp go
	// Work is where base root filesystems are cached.
	Work string
	// Mirror is where the Debian base's packages come from ("":
	// debian.DefaultMirror).
	Mirror string
	Log    io.Writer
}

// New is the builder of the tool cache's images.
func New(tc *toolchain.Toolchain) *Builder {
	return &Builder{Dir: filepath.Join(tc.Dir, "images"), Work: filepath.Join(tc.Dir, "src", "image-base"), Mirror: tc.DebianMirror, Log: tc.Out}
}

// Path is where the image ref is written.
func (b *Builder) Path(ref string) string { return filepath.Join(b.Dir, stack.OfflineTarball(ref)) }

// Build writes the images of specs that are missing or stale, and returns
// their paths by reference.
func (b *Builder) Build(ctx context.Context, specs []Spec) (map[string]string, error) {
	out := map[string]string{}
	if err := os.MkdirAll(b.Dir, 0o755); err != nil {
		return nil, err
	}
	for i, s := range specs {
		prefix := fmt.Sprintf("[images %d/%d] %s", i+1, len(specs), s.Ref())
		stamp, err := b.stamp(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Ref(), err)
		}
		path := b.Path(s.Image)
		if old, err := os.ReadFile(path + ".stamp"); err == nil && string(old) == stamp {
			if _, err := os.Stat(path); err == nil {
				fmt.Fprintf(b.Log, "%s: up to date (%s)\n", prefix, path)
				out[s.Image] = path
				continue
			}
		}
		start := time.Now()
		fmt.Fprintf(b.Log, "%s: building on %s\n", prefix, s.Base)
		if err := b.build(ctx, s, path); err != nil {
			return nil, fmt.Errorf("image %s: %w", s.Ref(), err)
		}
		if err := os.WriteFile(path+".stamp", []byte(stamp), 0o644); err != nil {
			return nil, err
		}
		fi, _ := os.Stat(path)
		fmt.Fprintf(b.Log, "%s: built in %s, %.1f MB, %s\n", prefix, time.Since(start).Round(time.Second), float64(fi.Size())/1e6, path)
		out[s.Image] = path
	}
	return out, nil
}

// stamp identifies what an image is made of: its spec and the content of
// every source file (size and modification time for directories), so a
// changed tool rebuilds its image and a rebuilt identical one does not.
func (b *Builder) stamp(s Spec) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "recipe %d\n", recipe)
	spec, _ := json.Marshal(s)
	h.Write(spec)
	for _, f := range s.Files {
		real, err := filepath.EvalSymlinks(f.Src)
		if err != nil {
			if f.Optional && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return "", fmt.Errorf("%w (build it: go run mage.go tools:build)", err)
		}
		fmt.Fprintf(h, "%s\n", real)
		if f.Dir {
			err = filepath.Walk(real, func(p string, fi os.FileInfo, err error) error {
				if err == nil {
					fmt.Fprintf(h, "%s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
				}
				return err
			})
		} else {
			err = hashFile(h, real)
		}
		if err != nil {
			return "", err
		}
	}
	if s.Base == Debian {
		fmt.Fprintf(h, "debian %s\n", debian.Suite)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

func (b *Builder) build(ctx context.Context, s Spec, path string) error {
	root, err := os.MkdirTemp(b.Dir, ".rootfs-"+s.Name()+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	switch s.Base {
	case Scratch:
		if err := b.scratchRoot(ctx, root); err != nil {
			return err
		}
	case Debian:
		base := filepath.Join(b.Work, "rootfs")
		if err := debian.Bootstrap(ctx, b.Log, b.Mirror, base, "etc/ssl/certs/ca-certificates.crt", "ca-certificates"); err != nil {
			return err
		}
		if err := trimDebian(base); err != nil {
			return err
		}
		if err := debian.Run(ctx, b.Log, "", nil, "cp", "-a", base+"/.", root); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown base %q", s.Base)
	}
	for _, f := range s.Files {
		src, err := filepath.EvalSymlinks(f.Src)
		if err != nil {
			if f.Optional && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return err
		}
		if s.Base == Scratch && !f.Dir {
			if err := checkStatic(src); err != nil {
				return err
			}
		}
		dst := filepath.Join(root, f.Dst)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if f.Dir {
			err = debian.Run(ctx, b.Log, "", nil, "cp", "-a", src, dst)
		} else {
			err = copyExec(src, dst)
		}
		if err != nil {
			return err
		}
	}
	for dst, target := range s.Links {
		if err := os.Symlink(target, filepath.Join(root, dst)); err != nil {
			return err
		}
	}
	_, err = ociimage.WriteTarball(root, path, s.Ref(), s.Config)
	return err
}

// trimDebian drops what debootstrap leaves that no image needs: the
// downloaded packages and the package lists (about 80 MB).
func trimDebian(root string) error {
	for _, pattern := range []string{"var/cache/apt/archives/*.deb", "var/lib/apt/lists/*_*"} {
		files, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, f := range files {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// scratchRoot lays out what a static binary's image needs around it.
func (b *Builder) scratchRoot(ctx context.Context, root string) error {
	busybox, err := b.busybox(ctx)
	if err != nil {
		return err
	}
	for _, d := range []string{"bin", "etc", "usr/bin", "var"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Mkdir(filepath.Join(root, "tmp"), 0o755); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o777|os.ModeSticky); err != nil {
		return err
	}
	if err := copyExec(busybox, filepath.Join(root, "bin", "busybox")); err != nil {
		return err
	}
	for _, a := range busyboxApplets {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd":        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":         "root:x:0:\nnogroup:x:65534:\n",
		"etc/nsswitch.conf": "hosts: files dns\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// busybox is Debian's static busybox, unpacked (not installed) into the
// work directory once.
func (b *Builder) busybox(ctx context.Context) (string, error) {
	dir := filepath.Join(b.Work, "busybox-static")
	bin := filepath.Join(dir, "bin", "busybox")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(b.Work, 0o755); err != nil {
		return "", err
	}
	dl, err := os.MkdirTemp(b.Work, ".busybox-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dl)
	if err := debian.Run(ctx, b.Log, dl, nil, "apt-get", "download", "busybox-static"); err != nil {
		return "", fmt.Errorf("%w (run apt-get update first, or check the Debian mirror)", err)
	}
	debs, _ := filepath.Glob(filepath.Join(dl, "busybox-static_*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download busybox-static left %v", debs)
	}
	unpacked := filepath.Join(dl, "x")
	if err := debian.Run(ctx, b.Log, "", nil, "dpkg-deb", "-x", debs[0], unpacked); err != nil {
		return "", err
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(unpacked, dir); err != nil {
		return "", err
	}
	return bin, checkStatic(bin)
}

// checkStatic refuses a dynamically linked binary for a scratch image,
// where it could not start: its loader and libraries are not there.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: it cannot run on a scratch image (build it with CGO_ENABLED=0 or give it a Debian base)", path)
		}
	}
	return nil
}

func copyExec(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Names lists the names of specs, for messages.
func Names(specs []Spec) string {
	var out []string
	for _, s := range specs {
		out = append(out, s.Name())
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// Select returns the specs named (by name, or by kind: "tempo" is every
// Tempo release), or all with none named.
func Select(specs []Spec, names ...string) ([]Spec, error) {
	if len(names) == 0 {
		return specs, nil
	}
	var out []Spec
	for _, n := range names {
		found := false
		for _, s := range specs {
			if s.Name() == n || string(s.Kind) == n {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no image for %q: valid names are %s (or a kind: tempo)", n, Names(specs))
		}
	}
	return out, nil
}

// BuildNamed builds the tool cache's images named (all with none named),
// skipping up-to-date ones, and returns the builder (its Dir holds
// <name>.tar) and the paths by reference.
func BuildNamed(ctx context.Context, tc *toolchain.Toolchain, names ...string) (*Builder, map[string]string, error) {
	specs, err := Select(Specs(tc), names...)
	if err != nil {
		return nil, nil, err
	}
	b := New(tc)
	built, err := b.Build(ctx, specs)
	return b, built, err
}

// List prints every image of the tool cache: reference, base, tarball.
func List(w io.Writer, tc *toolchain.Toolchain) {
	b := New(tc)
	for _, s := range Specs(tc) {
		fmt.Fprintf(w, "%-34s %-8s %s\n", s.Ref(), s.Base, b.Path(s.Image))
	}
}
