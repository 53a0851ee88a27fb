package hygiene

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const root = "../.."

// executableMagic are the first bytes of the executable formats a Go or C
// build writes on the platforms we build on.
var executableMagic = map[string][]byte{
	"ELF":               {0x7f, 'E', 'L', 'F'},
	"Mach-O 64-bit":     {0xcf, 0xfa, 0xed, 0xfe},
	"Mach-O 32-bit":     {0xce, 0xfa, 0xed, 0xfe},
	"Mach-O universal":  {0xca, 0xfe, 0xba, 0xbe},
	"PE (Windows .exe)": {'M', 'Z'},
}

// A built binary in git is a licence and supply-chain problem (a 13 MB
// kafka-broker built by hand was once committed): every tracked file must
// be source. Executable bits are only for scripts that name their
// interpreter.
func TestNoCommittedExecutables(t *testing.T) {
	out, err := exec.Command("git", "-C", root, "ls-files", "-s", "-z").Output()
	if err != nil {
		t.Skipf("SKIPPED: not a git checkout (git ls-files: %v)", err)
	}
	files := 0
	for _, entry := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		meta, path, ok := strings.Cut(entry, "\t")
		if !ok {
			continue
		}
		files++
		head := make([]byte, 4)
		f, err := os.Open(filepath.Join(root, path))
		if err != nil {
			continue // deleted in the work tree, not yet committed
		}
		n, _ := f.Read(head)
		f.Close()
		head = head[:n]
		for format, magic := range executableMagic {
			if bytes.HasPrefix(head, magic) && (format != "PE (Windows .exe)" || isPE(filepath.Join(root, path))) {
				t.Errorf("%s is a committed %s executable: remove it (git rm --cached) and build it into the tool cache or build/", path, format)
			}
		}
		if strings.HasPrefix(meta, "100755") && !bytes.HasPrefix(head, []byte("#!")) {
			t.Errorf("%s is committed executable (mode 755) but is no script with a #! line", path)
		}
	}
	if files == 0 {
		t.Fatal("git listed no files")
	}
}

// isPE confirms an MZ header with the PE signature its e_lfanew points at,
// so a text file that happens to start with "MZ" is not taken for one.
func isPE(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 0x40 {
		return false
	}
	off := int(b[0x3c]) | int(b[0x3d])<<8 | int(b[0x3e])<<16 | int(b[0x3f])<<24
	return off > 0 && off+4 <= len(b) && bytes.Equal(b[off:off+4], []byte("PE\x00\x00"))
}

// agplModules are the AGPL programs tempo-stack runs but never links.
var agplModules = []string{
	"github.com/grafana/tempo",
	"github.com/grafana/grafana",
	"github.com/minio/minio",
	"go.k6.io/k6",
}

// Neither module graph (the root module, and the Dagger module in ci/)
// may hold an AGPL program's Go module: a client library such as
// grafana-api-golang-client or minio-go is a different module and fine.
func TestNoAGPLModules(t *testing.T) {
	for _, dir := range []string{root, filepath.Join(root, "ci")} {
		cmd := exec.Command("go", "list", "-m", "all")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -m all in %s: %v\n%s", dir, err, out)
		}
		mods := strings.Split(strings.TrimSpace(string(out)), "\n")
		for _, line := range mods {
			path := strings.Fields(line)[0]
			for _, agpl := range agplModules {
				if path == agpl || strings.HasPrefix(path, agpl+"/") {
					t.Errorf("%s: the module graph holds %s (AGPL); run it as a separate program, never import it", dir, line)
				}
			}
		}
		if len(mods) < 10 {
			t.Errorf("%s: only %d modules listed, the graph was not read", dir, len(mods))
		}
	}
}

// hostOnly are the packages of the machine mage runs on: the tool cache
// and its builds, the engine, Docker, host processes, the CLI wrapper. The
// Dagger module runs in the engine and must not build them (it once
// pulled in 33 internal packages, every build of the module paying for
// them).
var hostOnly = []string{
	"internal/composerun", "internal/daggercli", "internal/debian", "internal/docker",
	"internal/engine", "internal/gosdk", "internal/images", "internal/localrun",
	"internal/loopback", "internal/ociimage", "internal/procgroup", "internal/toolchain",
	"internal/provider",
}

func TestModuleBuildsOnlyWhatItRuns(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./daggermod")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./daggermod: %v\n%s", err, out)
	}
	const self = "github.com/tempo-stack/tempo-stack/"
	var internal int
	for _, pkg := range strings.Fields(string(out)) {
		rel, ok := strings.CutPrefix(pkg, self)
		if !ok {
			continue
		}
		if strings.HasPrefix(rel, "internal/") {
			internal++
		}
		for _, h := range hostOnly {
			// provider/daggerprovider is the module's side of the runtime.
			if rel == h || (strings.HasPrefix(rel, h+"/") && h != "internal/provider") {
				t.Errorf("the module builds %s, a package of the host mage runs on: import what the function runs, not the host's side", rel)
			}
		}
	}
	if internal == 0 {
		t.Fatalf("no internal package listed for ./daggermod, the list was not read:\n%s", out)
	}
	t.Logf("the module builds %d internal packages", internal)
}
