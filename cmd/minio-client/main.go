// Command minio-client is the offline stand-in for MinIO's mc, installed as
// mc in the offline image that replaces minio/mc: the subset a compose file
// uses to seed its bucket (alias set, mb, ls), on the real S3 API through
// minio-go. It exists because mc's image cannot be pulled without a
// registry.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mc:", err)
		os.Exit(1)
	}
}

const supported = "supported: mc alias set NAME URL ACCESS_KEY SECRET_KEY, mc mb [--ignore-existing] NAME/BUCKET, mc ls NAME"

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(supported)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch args[0] {
	case "alias":
		if len(args) != 6 || args[1] != "set" {
			return fmt.Errorf("mc %s: want alias set NAME URL ACCESS_KEY SECRET_KEY", strings.Join(args, " "))
		}
		if _, err := url.Parse(args[3]); err != nil {
			return fmt.Errorf("alias %s: %w", args[2], err)
		}
		if err := saveAlias(args[2], alias{URL: args[3], AccessKey: args[4], SecretKey: args[5]}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Added `%s` successfully.\n", args[2])
		return nil
	case "mb":
		fs := flag.NewFlagSet("mc mb", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		ignore := fs.Bool("ignore-existing", false, "no error when the bucket exists")
		fs.BoolVar(ignore, "p", false, "no error when the bucket exists")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() == 0 {
			return fmt.Errorf("mc mb: want [--ignore-existing] NAME/BUCKET... (%v)", err)
		}
		for _, target := range fs.Args() {
			name, bucket, _ := strings.Cut(target, "/")
			cl, err := client(name)
			if err != nil {
				return err
			}
			exists, err := cl.BucketExists(ctx, bucket)
			if err != nil {
				return fmt.Errorf("mc mb %s: %w", target, err)
			}
			if exists {
				if !*ignore {
					return fmt.Errorf("mc mb %s: bucket already exists", target)
				}
				fmt.Fprintf(stdout, "Bucket `%s` already exists.\n", target)
				continue
			}
			if err := cl.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
				return fmt.Errorf("mc mb %s: %w", target, err)
			}
			fmt.Fprintf(stdout, "Bucket created successfully `%s`.\n", target)
		}
		return nil
	case "ls":
		if len(args) != 2 {
			return fmt.Errorf("mc ls: want NAME")
		}
		cl, err := client(strings.TrimSuffix(args[1], "/"))
		if err != nil {
			return err
		}
		buckets, err := cl.ListBuckets(ctx)
		if err != nil {
			return fmt.Errorf("mc ls %s: %w", args[1], err)
		}
		for _, b := range buckets {
			fmt.Fprintf(stdout, "[%s] %s/\n", b.CreationDate.Format("2006-01-02 15:04:05 MST"), b.Name)
		}
		return nil
	}
	return fmt.Errorf("mc %s: not supported by this stand-in (%s)", args[0], supported)
}

type alias struct {
	URL       string `json:"url"`
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
	API       string `json:"api"`
	Path      string `json:"path"`
}

type config struct {
	Version string           `json:"version"`
	Aliases map[string]alias `json:"aliases"`
}

// configPath is mc's own: ~/.mc/config.json (MC_CONFIG_DIR overrides).
func configPath() string {
	if d := os.Getenv("MC_CONFIG_DIR"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = os.TempDir()
	}
	return filepath.Join(home, ".mc", "config.json")
}

func loadConfig() (config, error) {
	c := config{Version: "10", Aliases: map[string]alias{}}
	b, err := os.ReadFile(configPath())
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", configPath(), err)
	}
	if c.Aliases == nil {
		c.Aliases = map[string]alias{}
	}
	return c, nil
}

func saveAlias(name string, a alias) error {
	c, err := loadConfig()
	if err != nil {
		return err
	}
	a.API, a.Path = "s3v4", "auto"
	c.Aliases[name] = a
	b, _ := json.MarshalIndent(c, "", "\t")
	if err := os.MkdirAll(filepath.Dir(configPath()), 0o700); err != nil {
		return err
	}
	return os.WriteFile(configPath(), b, 0o600)
}

// client reaches an alias: MC_HOST_<name> (scheme://key:secret@host), as
// mc reads it, or the alias saved by `alias set`.
func client(name string) (*minio.Client, error) {
	var a alias
	if v := os.Getenv("MC_HOST_" + name); v != "" {
		u, err := url.Parse(v)
		if err != nil || u.User == nil {
			return nil, fmt.Errorf("MC_HOST_%s: want scheme://ACCESS_KEY:SECRET_KEY@host:port", name)
		}
		secret, _ := u.User.Password()
		a = alias{URL: u.Scheme + "://" + u.Host, AccessKey: u.User.Username(), SecretKey: secret}
	} else {
		c, err := loadConfig()
		if err != nil {
			return nil, err
		}
		var ok bool
		if a, ok = c.Aliases[name]; !ok {
			return nil, fmt.Errorf("no alias %q: set it with mc alias set %s URL ACCESS_KEY SECRET_KEY", name, name)
		}
	}
	u, err := url.Parse(a.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("alias %s: bad URL %q", name, a.URL)
	}
	return minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(a.AccessKey, a.SecretKey, ""), Secure: u.Scheme == "https"})
}
