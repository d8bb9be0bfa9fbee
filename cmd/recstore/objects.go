package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/auvious/recstore"
)

// openStore checks the positional arguments, builds the Config and opens
// a Store, which checks it: an invalid one exits with status 2, before
// any request.
func openStore(ctx context.Context, fs *flagSet, minArgs, maxArgs int) (*recstore.Store, error) {
	cfg, err := fs.configWithArgs(minArgs, maxArgs)
	if err != nil {
		return nil, err
	}
	return fs.open(ctx, cfg)
}

func uploadCommand() command {
	var contentType string
	var quiet, legalHold bool
	var retention retentionFlags
	return command{
		name: "upload", args: "FILE|- KEY",
		summary: "upload a recording from a file or standard input",
		details: "Streams FILE (or standard input, given as -) to KEY under the configured key prefix, in parts, with\n" +
			"bounded memory. A failed upload leaves no object and no multipart parts. A progress bar shows on a\n" +
			"terminal.",
		examples: []string{"upload --config storage.json call.webm calls/2026/11/28/c-42.webm",
			"upload --config storage.json --content-type video/webm - calls/live.webm < /tmp/live.webm",
			"upload --config storage.json --retention-mode COMPLIANCE --retain-until 2555d --legal-hold call.webm calls/c-42.webm"},
		flags: func(fs *flagSet) {
			fs.configFlags()
			fs.StringVar(&contentType, "content-type", "", "Content-Type (default: from FILE's extension, else application/octet-stream)")
			fs.BoolVar(&quiet, "quiet", false, "no progress bar")
			fs.BoolVar(&legalHold, "legal-hold", false, "place an Object Lock legal hold on the object")
			retention.add(fs)
		},
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			lock, err := retention.option(time.Now())
			if err != nil {
				return err
			}
			store, err := openStore(ctx, fs, 2, 2)
			if err != nil {
				return err
			}
			defer store.Close()
			src, key := fs.arg(0), fs.arg(1)
			in, size, err := openSource(c, src)
			if err != nil {
				return err
			}
			defer in.Close()
			if contentType == "" {
				contentType = contentTypeOf(src)
			}
			var opts []recstore.UploadOption
			if contentType != "" {
				opts = append(opts, recstore.WithContentType(contentType))
			}
			if lock != nil {
				opts = append(opts, lock)
			}
			if legalHold {
				opts = append(opts, recstore.WithLegalHold())
			}
			bar := newProgress(c.stderr, "upload", size, quiet)
			info, err := store.Upload(ctx, key, bar.reader(in), opts...)
			bar.done(err)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "uploaded %s: %d bytes, ETag %s, checksum %s\n", info.Key, info.Size, info.ETag, orNone(info.Checksum))
			printLockAndEncryption(c, info)
			return nil
		},
	}
}

func copyCommand() command {
	return command{
		name: "cp", args: "SRC DST", summary: "copy an object inside the bucket, on the server",
		examples: []string{"cp --config storage.json calls/c-42.webm archive/c-42.webm"},
		flags:    func(fs *flagSet) { fs.configFlags() },
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			store, err := openStore(ctx, fs, 2, 2)
			if err != nil {
				return err
			}
			defer store.Close()
			info, err := store.Copy(ctx, fs.arg(0), fs.arg(1))
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "copied %s to %s: %d bytes\n", fs.arg(0), info.Key, info.Size)
			return nil
		},
	}
}

func removeCommand() command {
	var allVersions bool
	return command{
		name: "rm", args: "KEY...", summary: "delete objects (a missing key is not an error)",
		details: "In a versioned bucket a delete only adds a delete marker; --all-versions removes every version and\n" +
			"delete marker of each key, except versions that S3 Object Lock protects, which it names.",
		examples: []string{"rm --config storage.json calls/c-42.webm calls/c-43.webm", "rm --config storage.json --all-versions calls/c-42.webm"},
		flags: func(fs *flagSet) {
			fs.configFlags()
			fs.BoolVar(&allVersions, "all-versions", false, "remove every version of each key (s3:ListBucketVersions, s3:DeleteObjectVersion)")
		},
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			store, err := openStore(ctx, fs, 1, -1)
			if err != nil {
				return err
			}
			defer store.Close()
			var opts []recstore.DeleteOption
			if allVersions {
				opts = append(opts, recstore.WithAllVersions())
			}
			for _, key := range fs.args {
				if err := store.Delete(ctx, key, opts...); err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "deleted %s\n", key)
			}
			return nil
		},
	}
}

func listCommand() command {
	return command{
		name: "ls", args: "[PREFIX]", summary: "list objects under a prefix",
		details:  "Prints last-modified time, size in bytes and key, one object per line, in key order. Keys are\nshown without the configured key prefix.",
		examples: []string{"ls --config storage.json", "ls --config storage.json calls/2026/11/"},
		flags:    func(fs *flagSet) { fs.configFlags() },
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			store, err := openStore(ctx, fs, 0, 1)
			if err != nil {
				return err
			}
			defer store.Close()
			for obj, err := range store.List(ctx, fs.arg(0)) {
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "%s %12d %s\n", obj.LastModified.UTC().Format(time.RFC3339), obj.Size, obj.Key)
			}
			return nil
		},
	}
}

func statCommand() command {
	return command{
		name: "stat", args: "KEY", summary: "show an object's size, checksum, type and metadata",
		examples: []string{"stat --config storage.json calls/c-42.webm"},
		flags:    func(fs *flagSet) { fs.configFlags() },
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			store, err := openStore(ctx, fs, 1, 1)
			if err != nil {
				return err
			}
			defer store.Close()
			info, err := store.Stat(ctx, fs.arg(0))
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "key:           %s\nsize:          %d\netag:          %s\nchecksum:      %s\n"+
				"content-type:  %s\nlast-modified: %s\n", info.Key, info.Size, info.ETag, orNone(info.Checksum),
				info.ContentType, info.LastModified.UTC().Format(time.RFC3339))
			for _, k := range slices.Sorted(maps.Keys(info.Metadata)) {
				fmt.Fprintf(c.stdout, "metadata:      %s=%s\n", k, info.Metadata[k])
			}
			printLockAndEncryption(c, info)
			return nil
		},
	}
}

func presignCommand() command {
	var ttl time.Duration
	return command{
		name: "presign", args: "KEY", summary: "print a presigned GET URL for playback",
		details: "The URL carries the temporary session's token and works for anyone who has it until it expires:\n" +
			"hand it only to whoever may play the recording. It never outlives the session that signed it; the\n" +
			"expiry goes to standard error.",
		examples: []string{"presign --config storage.json calls/c-42.webm", "presign --config storage.json --ttl 5m calls/c-42.webm"},
		flags: func(fs *flagSet) {
			fs.configFlags()
			fs.DurationVar(&ttl, "ttl", recstore.DefaultPresignTTL, "lifetime of the URL, at most 168h")
		},
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			store, err := openStore(ctx, fs, 1, 1)
			if err != nil {
				return err
			}
			defer store.Close()
			url, expires, err := store.PresignGet(ctx, fs.arg(0), ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, url)
			fmt.Fprintf(c.stderr, "valid until %s (%s)\n", expires.UTC().Format(time.RFC3339), time.Until(expires).Round(time.Second))
			return nil
		},
	}
}

// contentTypeOf names a recording's type from its extension: a fixed table
// for recording formats, so that every machine agrees, then the system's.
func contentTypeOf(path string) string {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".webm":
		return "video/webm"
	case ".mp4":
		return "video/mp4"
	case ".mkv":
		return "video/x-matroska"
	case ".ogg", ".opus":
		return "audio/ogg"
	case ".m4a":
		return "audio/mp4"
	case ".wav":
		return "audio/wav"
	case ".mp3":
		return "audio/mpeg"
	}
	return mime.TypeByExtension(ext)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// openSource opens FILE, or standard input for "-", and returns its size
// when known (-1 otherwise).
func openSource(c *cli, path string) (io.ReadCloser, int64, error) {
	if path == "-" {
		return io.NopCloser(c.stdin), -1, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		return f, fi.Size(), nil
	}
	return f, -1, nil
}

// printLockAndEncryption prints the lines of stat that only some objects
// have: encryption, version, retention and legal hold.
func printLockAndEncryption(c *cli, info recstore.ObjectInfo) {
	if info.ServerSideEncryption != "" {
		fmt.Fprintf(c.stdout, "encryption:    %s %s\n", info.ServerSideEncryption, info.KMSKeyID)
	}
	if info.VersionID != "" {
		fmt.Fprintf(c.stdout, "version:       %s\n", info.VersionID)
	}
	if info.RetentionMode != "" {
		fmt.Fprintf(c.stdout, "retention:     %s until %s\n", info.RetentionMode, info.RetainUntil.UTC().Format(time.RFC3339))
	}
	if info.LegalHold {
		fmt.Fprintln(c.stdout, "legal-hold:    on")
	}
}
