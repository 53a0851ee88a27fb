// Package ociimage turns a root filesystem directory into a single-layer OCI
// image written into a content store (an OCI layout's blobs), with no
// registry and no container runtime involved.
package ociimage

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Config is the part of the OCI image config a runtime reads.
type Config struct {
	Env        []string `json:"Env,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
}

// Descriptor of a blob.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// skip are the directories of a root filesystem that belong to the running
// system, not the image.
var skip = map[string]bool{"proc": true, "sys": true, "dev": true, "run": true, "tmp": true}

// Write stores rootfs as an image in the layout at dir (blobs/sha256/...,
// index.json, oci-layout) and returns the manifest's descriptor. Existing
// blobs of other images in dir are kept.
func Write(rootfs, dir, refName string, cfg Config) (Descriptor, error) {
	img, err := write(rootfs, dir, refName, cfg)
	return img.manifest, err
}

// image is what write stored.
type image struct{ manifest, config, layer Descriptor }

func write(rootfs, dir, refName string, cfg Config) (image, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return image{}, err
	}
	layer, err := writeLayer(rootfs, blobs)
	if err != nil {
		return image{}, err
	}
	config := map[string]any{
		"created":      time.Unix(0, 0).UTC().Format(time.RFC3339),
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config":       cfg,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{layer.Digest}},
	}
	cfgDesc, err := writeJSON(blobs, "application/vnd.oci.image.config.v1+json", config)
	if err != nil {
		return image{}, err
	}
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        cfgDesc,
		"layers":        []Descriptor{layer},
	}
	man, err := writeJSON(blobs, "application/vnd.oci.image.manifest.v1+json", manifest)
	if err != nil {
		return image{}, err
	}
	named := man
	named.Annotations = map[string]string{"org.opencontainers.image.ref.name": refName}
	index := map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []Descriptor{named}}
	b, _ := json.MarshalIndent(index, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644); err != nil {
		return image{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return image{}, err
	}
	return image{manifest: man, config: cfgDesc, layer: layer}, nil
}

func writeJSON(blobs, mediaType string, v any) (Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Descriptor{}, err
	}
	sum := sha256.Sum256(b)
	d := Descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(b))}
	return d, os.WriteFile(filepath.Join(blobs, hex.EncodeToString(sum[:])), b, 0o644)
}

// countingHash feeds a hash and counts bytes.
type countingHash struct {
	hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.Hash.Write(p)
}

// writeLayer tars rootfs (uncompressed, so the layer digest is its diff
// id) into a temp blob and renames it to its digest.
func writeLayer(rootfs, blobs string) (Descriptor, error) {
	tmp, err := os.CreateTemp(blobs, "layer-*.tmp")
	if err != nil {
		return Descriptor{}, err
	}
	defer os.Remove(tmp.Name())
	h := &countingHash{Hash: sha256.New()}
	tw := tar.NewWriter(io.MultiWriter(tmp, h))
	links := map[uint64]string{} // inode -> first path, for hard links
	err = filepath.Walk(rootfs, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(rootfs, path)
		if rel == "." {
			return nil
		}
		name := filepath.ToSlash(rel)
		if fi.IsDir() && skip[name] {
			// Keep the mount point, not what is mounted there.
			// Its mode stays (tmp keeps 1777 and its sticky bit).
			hdr := &tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: tarMode(fi), ModTime: time.Unix(0, 0)}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			return filepath.SkipDir
		}
		if fi.Mode()&(os.ModeDevice|os.ModeNamedPipe|os.ModeSocket) != 0 {
			return nil
		}
		var target string
		if fi.Mode()&os.ModeSymlink != 0 {
			if target, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, target)
		if err != nil {
			return err
		}
		hdr.Name = name
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		if o, ok := ownerOf(fi); ok {
			hdr.Uid, hdr.Gid = o.uid, o.gid
			if fi.Mode().IsRegular() && o.links > 1 {
				if first, seen := links[o.inode]; seen {
					hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
				} else {
					links[o.inode] = name
				}
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Descriptor{}, fmt.Errorf("tar %s: %w", rootfs, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := os.Rename(tmp.Name(), filepath.Join(blobs, sum)); err != nil {
		return Descriptor{}, err
	}
	d := Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: "sha256:" + sum, Size: h.n}
	return d, nil
}

// DigestHex is a digest without its algorithm.
func DigestHex(d string) string { return strings.TrimPrefix(d, "sha256:") }

// tarMode is a directory's permission bits with setuid, setgid and sticky
// in tar's encoding.
func tarMode(fi os.FileInfo) int64 {
	m := int64(fi.Mode().Perm())
	if fi.Mode()&os.ModeSticky != 0 {
		m |= 0o1000
	}
	if fi.Mode()&os.ModeSetgid != 0 {
		m |= 0o2000
	}
	if fi.Mode()&os.ModeSetuid != 0 {
		m |= 0o4000
	}
	return m
}

// WriteTarball writes the image of rootfs as a tarball at path that both
// Dagger's Container.import (an OCI layout) and `docker load` read: the
// layout plus a docker-archive manifest.json, which Docker 20.10 (Debian's
// docker.io) needs. The file appears whole or not at all.
func WriteTarball(rootfs, path, refName string, cfg Config) (Descriptor, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".oci-layout-")
	if err != nil {
		return Descriptor{}, err
	}
	defer os.RemoveAll(dir)
	img, err := write(rootfs, dir, refName, cfg)
	if err != nil {
		return Descriptor{}, err
	}
	blob := func(d Descriptor) string { return "blobs/sha256/" + DigestHex(d.Digest) }
	docker := []map[string]any{{"Config": blob(img.config), "RepoTags": []string{refName}, "Layers": []string{blob(img.layer)}}}
	b, _ := json.Marshal(docker)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		return Descriptor{}, err
	}
	tmp := path + ".tmp"
	if err := tarDir(dir, tmp); err != nil {
		_ = os.Remove(tmp)
		return Descriptor{}, err
	}
	return img.manifest, os.Rename(tmp, path)
}

func tarDir(dir, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		hdr, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil || !fi.Mode().IsRegular() {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// owner is what a layer keeps of a file beyond its mode: its owner, and
// its inode and link count, so hard links stay links (ownerOf, per system).
type owner struct {
	uid, gid int
	links    uint64
	inode    uint64
}
