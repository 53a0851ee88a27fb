package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tempo-stack/tempo-stack/internal/tenant"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Block is one block's meta.json as the backend holds it.
type Block struct {
	ID              string `json:"blockID"`
	CompactionLevel int    `json:"compactionLevel"`
	TotalObjects    int    `json:"totalObjects"`
	// Format is the block's encoding (vParquet4, ...).
	Format string `json:"format"`
	// Compacted: the block was replaced by a compaction (meta.compacted.json).
	Compacted bool `json:"-"`
}

// blockList is what the backend holds for the tenant.
type blockList []Block

func (l blockList) live() (out blockList) {
	for _, b := range l {
		if !b.Compacted {
			out = append(out, b)
		}
	}
	return out
}

func (l blockList) summary() string {
	var live, compacted, maxLevel, objects int
	for _, b := range l {
		if b.Compacted {
			compacted++
			continue
		}
		live++
		objects += b.TotalObjects
		maxLevel = max(maxLevel, b.CompactionLevel)
	}
	return fmt.Sprintf("%d live blocks (%d traces, highest compaction level %d), %d compacted away", live, objects, maxLevel, compacted)
}

// listBlocks reads every block's metadata of ctx's tenant straight
// from the backend: the bucket on S3, the shared directory on local.
func (e Endpoints) listBlocks(ctx context.Context) (blockList, error) {
	if e.Plan.Combination.Storage == stack.S3 {
		return e.listS3Blocks(ctx)
	}
	if e.RefreshBlocks != nil {
		if err := e.RefreshBlocks(ctx); err != nil {
			return nil, fmt.Errorf("copy the blocks volume: %w", err)
		}
	}
	return listLocalBlocks(filepath.Join(e.BlocksDir, tenant.Dir(ctx)))
}

func listLocalBlocks(dir string) (blockList, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var blocks []string
	for _, en := range entries {
		if en.IsDir() {
			blocks = append(blocks, filepath.Join(dir, en.Name()))
		}
	}
	return readMetas(blocks, func(block, name string) (io.ReadCloser, error) {
		return os.Open(filepath.Join(block, name))
	})
}

// readMetas reads the metadata of each block directory with open.
func readMetas(blocks []string, open func(block, name string) (io.ReadCloser, error)) (blockList, error) {
	var out blockList
	for _, dir := range blocks {
		b, ok, err := readMeta(func(name string) (io.ReadCloser, error) { return open(dir, name) })
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, b)
		}
	}
	sortBlocks(out)
	return out, nil
}

func (e Endpoints) minio() (*minio.Client, error) {
	return minio.New(e.Addr(stack.ServiceMinIO, stack.PortMinIOAPI), &minio.Options{Creds: credentials.NewStaticV4(
		e.Secrets[stack.SecretMinIOAccessKey], e.Secrets[stack.SecretMinIOSecretKey], "")})
}

func (e Endpoints) listS3Blocks(ctx context.Context) (blockList, error) {
	mc, err := e.minio()
	if err != nil {
		return nil, err
	}
	bucket := e.Plan.Buckets[0]
	prefix := tenant.Dir(ctx) + "/"
	var blocks []string
	for obj := range mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, obj.Err)
		}
		if strings.HasSuffix(obj.Key, "/") {
			blocks = append(blocks, strings.TrimSuffix(obj.Key, "/")) // not the tenant index files
		}
	}
	return readMetas(blocks, func(block, name string) (io.ReadCloser, error) {
		o, err := mc.GetObject(ctx, bucket, path.Join(block, name), minio.GetObjectOptions{})
		if err != nil {
			return nil, err
		}
		if _, err := o.Stat(); err != nil {
			o.Close()
			if minio.ToErrorResponse(err).Code == "NoSuchKey" {
				return nil, os.ErrNotExist
			}
			return nil, err
		}
		return o, nil
	})
}

// readMeta reads meta.json, or meta.compacted.json for a block a compaction
// replaced; ok is false for a directory with neither (a block being written).
func readMeta(open func(name string) (io.ReadCloser, error)) (Block, bool, error) {
	for _, name := range []string{"meta.json", "meta.compacted.json"} {
		r, err := open(name)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return Block{}, false, err
		}
		var b Block
		err = json.NewDecoder(r).Decode(&b)
		r.Close()
		if err != nil {
			return Block{}, false, fmt.Errorf("%s: %w", name, err)
		}
		b.Compacted = name == "meta.compacted.json"
		return b, true, nil
	}
	return Block{}, false, nil
}

func sortBlocks(l blockList) { sort.Slice(l, func(i, j int) bool { return l[i].ID < l[j].ID }) }
