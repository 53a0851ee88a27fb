package ociimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// readTar returns the regular files of a tarball and the headers of all.
func readTar(t *testing.T, r io.Reader) (map[string][]byte, map[string]*tar.Header) {
	t.Helper()
	files, hdrs := map[string][]byte{}, map[string]*tar.Header{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, hdrs
		}
		if err != nil {
			t.Fatal(err)
		}
		hdrs[h.Name] = h
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			files[h.Name] = b
		}
	}
}

// TestTarballIsAnOCILayoutAndADockerArchive checks what Dagger's import
// and `docker load` each read: index.json -> manifest -> config and layer,
// manifest.json -> config and layer; digests match content; the layer
// holds the root filesystem with its modes, links and mount points.
func TestTarballIsAnOCILayoutAndADockerArchive(t *testing.T) {
	rootfs := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(rootfs, "usr", "bin"), 0o755))
	must(os.WriteFile(filepath.Join(rootfs, "usr", "bin", "tool"), []byte("#!bin"), 0o755))
	must(os.Link(filepath.Join(rootfs, "usr", "bin", "tool"), filepath.Join(rootfs, "usr", "bin", "alias")))
	must(os.Symlink("tool", filepath.Join(rootfs, "usr", "bin", "sym")))
	must(os.Mkdir(filepath.Join(rootfs, "tmp"), 0o755))
	must(os.Chmod(filepath.Join(rootfs, "tmp"), 0o777|os.ModeSticky))
	must(os.WriteFile(filepath.Join(rootfs, "tmp", "leftover"), []byte("x"), 0o644))

	out := filepath.Join(t.TempDir(), "img.tar")
	desc, err := WriteTarball(rootfs, out, "tempo-stack/x:offline", Config{Entrypoint: []string{"/usr/bin/tool"}})
	must(err)
	f, err := os.Open(out)
	must(err)
	defer f.Close()
	files, _ := readTar(t, f)
	blob := func(digest string) []byte {
		t.Helper()
		b, ok := files["blobs/sha256/"+DigestHex(digest)]
		if !ok {
			t.Fatalf("blob %s missing", digest)
		}
		if sum := sha256.Sum256(b); "sha256:"+hex.EncodeToString(sum[:]) != digest {
			t.Fatalf("blob %s has another digest", digest)
		}
		return b
	}

	var index struct {
		Manifests []Descriptor `json:"manifests"`
	}
	must(json.Unmarshal(files["index.json"], &index))
	if len(index.Manifests) != 1 || index.Manifests[0].Digest != desc.Digest || index.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "tempo-stack/x:offline" {
		t.Fatalf("index.json: %+v, want the manifest %s named tempo-stack/x:offline", index.Manifests, desc.Digest)
	}
	var man struct {
		Config Descriptor   `json:"config"`
		Layers []Descriptor `json:"layers"`
	}
	must(json.Unmarshal(blob(desc.Digest), &man))
	var cfg struct {
		Config Config `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	must(json.Unmarshal(blob(man.Config.Digest), &cfg))
	if len(man.Layers) != 1 || len(cfg.RootFS.DiffIDs) != 1 || cfg.RootFS.DiffIDs[0] != man.Layers[0].Digest {
		t.Fatalf("uncompressed layer's digest must be its diff id: layers %+v, diff ids %v", man.Layers, cfg.RootFS.DiffIDs)
	}
	if cfg.Config.Entrypoint[0] != "/usr/bin/tool" {
		t.Fatalf("entrypoint %v", cfg.Config.Entrypoint)
	}

	var docker []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	must(json.Unmarshal(files["manifest.json"], &docker))
	if len(docker) != 1 || docker[0].Config != "blobs/sha256/"+DigestHex(man.Config.Digest) ||
		len(docker[0].Layers) != 1 || docker[0].Layers[0] != "blobs/sha256/"+DigestHex(man.Layers[0].Digest) ||
		docker[0].RepoTags[0] != "tempo-stack/x:offline" {
		t.Fatalf("docker manifest.json %+v does not name the OCI config and layer", docker)
	}

	layerFiles, hdrs := readTar(t, bytes.NewReader(blob(man.Layers[0].Digest)))
	// The walk meets alias first: it carries the content, tool links to it.
	if string(layerFiles["usr/bin/alias"]) != "#!bin" || hdrs["usr/bin/alias"].Mode&0o777 != 0o755 {
		t.Errorf("usr/bin/alias: %q mode %o", layerFiles["usr/bin/alias"], hdrs["usr/bin/alias"].Mode)
	}
	if h := hdrs["usr/bin/tool"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "usr/bin/alias" {
		t.Errorf("hard link not kept as a link: %+v", h)
	}
	if h := hdrs["usr/bin/sym"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "tool" {
		t.Errorf("symlink: %+v", h)
	}
	if h := hdrs["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("tmp/ must stay a 1777 mount point: %+v", h)
	}
	if _, ok := hdrs["tmp/leftover"]; ok {
		t.Error("what is under a mount point must not be in the image")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "*")); len(left) != 1 {
		t.Errorf("temporary files left beside the tarball: %v", left)
	}
}
